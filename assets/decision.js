// Arms the Allow and Deny buttons (`data-arm`) of the consent and device
// pages only once the page has been visible and focused for 500 ms, and
// disarms them again whenever the window loses focus or is hidden, as
// browsers do for their permission prompts. Any site can open the consent
// pop-up where the visitor's next click lands ("double-click here"): that
// click now meets disarmed buttons.
//
// Loaded in the head, so the guard is in place before the buttons are drawn.
// Disarmed buttons stay focusable (aria-disabled, not disabled) and a click or
// Enter on them does nothing. Without script the buttons are plain submit
// buttons and work: the guard is an enhancement on top of the form.
//
// Once a decision has been sent the form is sealed: the second click of a
// double-click, or an impatient second press, sends nothing more. The page
// coming back from the back-forward cache is a new appearance and unseals.
(function () {
  'use strict';
  var DELAY_MS = 500;
  var armed = false;
  var sent = false;
  var timer = null;

  function mark() {
    document.querySelectorAll('button[data-arm]').forEach(function (button) {
      if (armed) {
        button.removeAttribute('aria-disabled');
        button.setAttribute('data-armed', '');
      } else {
        button.setAttribute('aria-disabled', 'true');
        button.removeAttribute('data-armed');
      }
    });
  }
  function present() {
    return document.visibilityState === 'visible' && document.hasFocus();
  }
  function disarm() {
    armed = false;
    clearTimeout(timer);
    timer = null;
    mark();
  }
  // Disarm, then arm after DELAY_MS more of being visible and focused.
  function rearm() {
    disarm();
    if (!present()) return;
    timer = setTimeout(function () {
      timer = null;
      if (!present()) return;
      armed = true;
      mark();
    }, DELAY_MS);
  }
  function guarded(target) {
    return target instanceof Element && target.closest('button[data-arm]') !== null;
  }

  // Capturing, on the document: runs before the button submits its form, and
  // is in place before the body is parsed. A form submitted by Enter in a
  // field "clicks" its first button, so it is stopped here too.
  document.addEventListener('click', function (event) {
    if ((!armed || sent) && guarded(event.target)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  document.addEventListener('submit', function (event) {
    if (!(event.target instanceof HTMLFormElement) || !event.target.querySelector('button[data-arm]')) return;
    if (!armed || sent) event.preventDefault();
    else sent = true;
  }, true);

  window.addEventListener('blur', disarm);
  window.addEventListener('focus', rearm);
  // Back to the page from the back-forward cache: a new appearance.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      sent = false;
      rearm();
    }
  });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') rearm();
    else disarm();
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', rearm);
  else rearm();
})();
