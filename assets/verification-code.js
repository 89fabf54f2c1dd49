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
  if (params.get('code')) {
    document.getElementById('code').textContent = params.get('code');
    show('code-view');
  } else if (params.get('access_token')) {
    document.getElementById('token').textContent = params.get('access_token');
    var expiry = document.getElementById('token-expiry');
    var seconds = Number(params.get('expires_in'));
    if (seconds > 0) expiry.textContent = expiry.dataset.template.replace('{time}', humanDuration(seconds, expiry));
    show('token-view');
  } else if (params.get('error')) {
    document.getElementById('error-code').textContent = params.get('error');
    document.getElementById('error-description').textContent = params.get('error_description') || params.get('error');
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
