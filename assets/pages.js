// Copy buttons of the account, console and admin pages: `data-copy` names the
// element whose text is copied. Without script the text is still there to select.
(function () {
  'use strict';
  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  document.querySelectorAll('button.copy[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var target = document.getElementById(button.dataset.copy);
      if (!target) return;
      var text = target.textContent;
      var label = button.textContent;
      function done() {
        button.textContent = button.dataset.copied;
        setTimeout(function () { button.textContent = label; }, 2000);
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { select(target); });
      } else {
        select(target);
        try { if (document.execCommand('copy')) done(); } catch (e) { /* selected for a manual copy */ }
      }
    });
  });
})();
