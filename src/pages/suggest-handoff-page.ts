/**
 * Gatehouse's last page in the instant-login pop-up (docs/protocol.md §8): it hands the
 * frame that opened the pop-up a personalisation grant, then goes on to the
 * site's token page (handoff.js in the SDK build does both). Without
 * JavaScript, a link goes on.
 */
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import { format, type Messages } from './messages/en.js';

export interface HandoffPageOptions {
  msgs: Messages;
  appName: string;
  /** The authorization response's URL on the site's token page. */
  redirect: string;
  csrf: string;
  clientId: string;
  script: string;
}

export function handoffPage(o: HandoffPageOptions): SafeHtml {
  const m = o.msgs;
  const title = format(m.suggestHandoffTitle, { app: o.appName });
  return layout({
    msgs: m,
    title,
    display: 'popup',
    body: html`<h1>${title}</h1>
<div id="gh-handoff" class="handoff" data-redirect="${o.redirect}" data-csrf="${o.csrf}" data-client-id="${o.clientId}"><span class="spinner" aria-hidden="true"></span></div>
<noscript><p>${m.suggestHandoffNoScript}</p><p><a class="button primary" href="${o.redirect}">${m.formPostContinue}</a></p></noscript>
<script src="${o.script}"></script>`,
  });
}
