/**
 * /verification_code: Gatehouse's own page that shows a confirmation code
 * (docs/protocol.md §5.2) or a debug token (docs/protocol.md §5.3). Both arrive in the URL fragment,
 * which browsers never send to a server; the page's script shows them and then
 * removes the fragment from the address bar and history.
 *
 * Anyone can link to this page with any fragment, so the script shows nothing
 * it did not expect: a code only if it is 7 digits, a token only if it looks
 * like Gatehouse's, and for an error only the page's own message for a known
 * code (rendered here, in the reader's language) — never `error_description`.
 */
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import type { Messages } from './messages/en.js';

export function verificationPage(msgs: Messages): SafeHtml {
  return layout({
    msgs,
    title: msgs.verificationTitle,
    body: html`
<section id="code-view" hidden>
<h1>${msgs.verificationTitle}</h1>
<p>${msgs.verificationCodeText}</p>
<div class="secret-box"><output id="code" class="big-code" aria-live="polite" translate="no"></output>
<button type="button" class="copy" data-copy="code" data-copied="${msgs.copied}">${msgs.copy}</button></div>
</section>
<section id="token-view" hidden>
<h1>${msgs.debugTokenTitle}</h1>
<p>${msgs.debugTokenText}</p>
<div class="secret-box"><output id="token" class="token-text" translate="no"></output>
<button type="button" class="copy" data-copy="token" data-copied="${msgs.copied}">${msgs.copy}</button></div>
<p class="muted" id="token-expiry" data-template="${msgs.expiresIn}" data-days="${msgs.durationDays}" data-hours="${msgs.durationHours}" data-minutes="${msgs.durationMinutes}"></p>
</section>
<section id="error-view" hidden>
<h1>${msgs.verificationError}</h1>
<p class="alert" role="alert" id="error-description"></p>
<p>${msgs.errorBack}</p>
<p class="muted" id="error-code-line">${msgs.errorCode}: <code id="error-code"></code></p>
<div id="error-messages" hidden>
${Object.entries(msgs.verificationErrors).map(([code, text]) => html`<span data-error="${code}">${text}</span>`)}
<span data-error="">${msgs.verificationErrorUnknown}</span>
</div>
</section>
<section id="empty-view">
<h1>${msgs.verificationTitle}</h1>
<p id="empty-text" hidden>${msgs.verificationEmpty}</p>
<noscript><p>${msgs.noScript}</p></noscript>
</section>
<script src="/assets/verification-code.js"></script>`,
  });
}
