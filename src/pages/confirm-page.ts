/**
 * The one confirmation step of every destructive action (deleting an app,
 * revoking access, blocking a user…): the form comes back as a page that says
 * what will happen, and only its second submission, carrying `confirmed=yes`,
 * acts. Works without script and with the keyboard alone. The focus starts
 * on Cancel, never on the destructive button: an Enter pressed out of habit
 * changes nothing.
 */
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type NavOptions } from './layout.js';
import type { Messages } from './messages/en.js';

export interface ConfirmOptions {
  msgs: Messages;
  nav?: NavOptions;
  here?: string;
  csrf: string;
  title: string;
  text: string;
  /** Where the confirmed form goes, and the fields it repeats. */
  action: string;
  fields: Record<string, string>;
  confirmLabel: string;
  cancelHref: string;
}

export function confirmPage(o: ConfirmOptions): SafeHtml {
  const fields = Object.entries(o.fields).filter(([name]) => name !== 'csrf' && name !== 'confirmed');
  return layout({
    msgs: o.msgs,
    title: o.title,
    ...(o.nav ? { nav: o.nav } : {}),
    ...(o.here !== undefined ? { here: o.here } : {}),
    body: html`<h1>${o.title}</h1>
<p class="warning">${o.text}</p>
<form method="post" action="${o.action}" class="form">
${csrfField(o.csrf)}
${fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<input type="hidden" name="confirmed" value="yes">
<div class="actions end"><a class="button" href="${o.cancelHref}" autofocus>${o.msgs.cancel}</a>
<button type="submit" class="danger">${o.confirmLabel}</button></div>
</form>`,
  });
}
