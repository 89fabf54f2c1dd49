// Shows the code or token carried in this page's fragment, then drops the
// fragment from the address bar so it stays out of history and bookmarks.
(function () {
  'use strict';
  var params = new URLSearchParams(location.hash.slice(1));
  if (location.hash) history.replaceState(null, '', location.pathname);
  function show(id) {
    document.getElementById('empty-view').hidden = true;
    document.getElementById(id).hidden = false;
  }
  // The words come from the page (its message catalogue), so they are in the page's language.
  function humanDuration(seconds, element) {
    var days = Math.floor(seconds / 86400);
    if (days >= 2) return element.dataset.days.replace('{n}', days);
    var hours = Math.floor(seconds / 3600);
    if (hours >= 2) return element.dataset.hours.replace('{n}', hours);
    return element.dataset.minutes.replace('{n}', Math.max(1, Math.round(seconds / 60)));
  }
  // Anyone can link here with any fragment: only values shaped like Gatehouse's are shown.
  var code = params.get('code') || '';
  var token = params.get('access_token') || '';
  if (/^\d{7}$/.test(code)) {
    document.getElementById('code').textContent = code;
    show('code-view');
  } else if (/^gate_at_[A-Za-z0-9_-]{20,100}$/.test(token)) {
    document.getElementById('token').textContent = token;
    var expiry = document.getElementById('token-expiry');
    var seconds = Number(params.get('expires_in'));
    if (seconds > 0) expiry.textContent = expiry.dataset.template.replace('{time}', humanDuration(seconds, expiry));
    show('token-view');
  } else if (params.get('error')) {
    // The page's own words for a known error code, or its generic message; error_description is never shown.
    var error = params.get('error');
    var known = null;
    var generic = null;
    document.querySelectorAll('#error-messages [data-error]').forEach(function (message) {
      if (message.dataset.error === error) known = message;
      if (message.dataset.error === '') generic = message;
    });
    document.getElementById('error-description').textContent = (known || generic).textContent;
    if (known) document.getElementById('error-code').textContent = error;
    else document.getElementById('error-code-line').hidden = true;
    show('error-view');
  } else {
    document.getElementById('empty-text').hidden = false;
  }
  document.querySelectorAll('button.copy').forEach(function (button) {
    button.addEventListener('click', function () {
      var text = document.getElementById(button.dataset.copy).textContent;
      var label = button.textContent;
      function done() {
        button.textContent = button.dataset.copied;
        setTimeout(function () { button.textContent = label; }, 2000);
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { select(button.dataset.copy); });
      } else {
        select(button.dataset.copy);
        try { document.execCommand('copy'); done(); } catch (e) { /* selected for manual copy */ }
      }
    });
  });
  function select(id) {
    var range = document.createRange();
    range.selectNodeContents(document.getElementById(id));
    var selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
})();
