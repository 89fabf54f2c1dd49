/**
 * OAuth 2.0 Form Post Response Mode: the authorization response as a form the
 * browser posts to the app's redirect URI, submitted by a same-origin script.
 */
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import type { Messages } from './messages/en.js';

export function formPostPage(msgs: Messages, action: string, params: Record<string, string>): SafeHtml {
  return layout({
    msgs,
    title: msgs.formPostTitle,
    body: html`<h1>${msgs.formPostTitle}</h1>
<form method="post" action="${action}" id="form-post" class="form">
${Object.entries(params).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<noscript><p>${msgs.formPostNoScript}</p></noscript>
<button type="submit" class="primary">${msgs.formPostContinue}</button>
</form>
<script src="/assets/form-post.js"></script>`,
  });
}
