/**
 * The pages of mail links: "forgot your password?" and the new password,
 * confirming an address, and the operators' outbox (/admin/mail).
 */
import type { OutboxRecord } from '../storage/mail-store.js';
import { messagePage } from './account-pages.js';
import { frame, type AdminPage } from './admin-pages.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { dateTime, formatHtml } from './parts.js';

const alert = (text: string | null | undefined) => (text ? html`<p class="alert" role="alert">${text}</p>` : null);

export function forgotPage(o: { msgs: Messages; csrf: string; value?: string; error?: string | null }): SafeHtml {
  const m = o.msgs;
  return layout({
    msgs: m,
    title: m.mail.forgotTitle,
    body: html`<h1>${m.mail.forgotTitle}</h1>
${alert(o.error)}
<p>${m.mail.forgotText}</p>
<form method="post" action="/login/forgot" class="form">
${csrfField(o.csrf)}
<label for="login">${m.mail.forgotField}</label>
<input id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="254" value="${o.value ?? ''}" autofocus>
<button type="submit" class="primary">${m.mail.forgotSend}</button>
</form>
<p class="aside"><a href="/login">${m.mail.backToSignIn}</a></p>`,
  });
}

/** The one answer to every "forgot" request, whether or not an account matched. */
export function forgotSentPage(msgs: Messages): SafeHtml {
  return messagePage(msgs, msgs.mail.forgotSentTitle, msgs.mail.forgotSentText, html`<p class="aside"><a href="/login">${msgs.mail.backToSignIn}</a></p>`);
}

export function resetPage(o: { msgs: Messages; csrf: string; token: string; login: string; error?: string | null }): SafeHtml {
  const m = o.msgs;
  return layout({
    msgs: m,
    title: m.mail.resetTitle,
    body: html`<h1>${m.mail.resetTitle}</h1>
${alert(o.error)}
<p>${formatHtml(m.mail.resetFor, { login: html`<strong translate="no">${o.login}</strong>` })}</p>
<form method="post" action="/login/reset" class="form">
${csrfField(o.csrf)}
<input type="hidden" name="token" value="${o.token}">
<input type="text" name="username" value="${o.login}" autocomplete="username" hidden>
<label for="password">${m.account.newPassword}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256" aria-describedby="password-hint" autofocus>
<small id="password-hint" class="hint">${m.passwordHint}</small>
<button type="submit" class="primary">${m.mail.resetSave}</button>
</form>`,
  });
}

export function badLinkPage(msgs: Messages, text: string, again: { href: string; label: string }): SafeHtml {
  return messagePage(msgs, msgs.mail.badLinkTitle, text, html`<p class="actions start"><a class="button primary" href="${again.href}">${again.label}</a></p>`);
}

export function confirmEmailPage(o: { msgs: Messages; csrf: string; token: string; login: string; address: string }): SafeHtml {
  const m = o.msgs;
  return layout({
    msgs: m,
    title: m.mail.confirmTitle,
    body: html`<h1>${m.mail.confirmTitle}</h1>
<p>${formatHtml(m.mail.confirmText, { address: html`<strong translate="no">${o.address}</strong>`, login: html`<strong translate="no">${o.login}</strong>` })}</p>
<form method="post" action="/confirm-email" class="form">
${csrfField(o.csrf)}
<input type="hidden" name="token" value="${o.token}">
<button type="submit" class="primary">${m.mail.confirmButton}</button>
</form>`,
  });
}

export function confirmedPage(msgs: Messages, address: string): SafeHtml {
  return layout({
    msgs,
    title: msgs.mail.confirmedTitle,
    body: html`<h1>${msgs.mail.confirmedTitle}</h1>
<p>${formatHtml(msgs.mail.confirmedText, { address: html`<strong translate="no">${address}</strong>` })}</p>
<p class="actions start"><a class="button primary" href="/account">${msgs.mail.toAccount}</a></p>`,
  });
}

/** Plain text with the links to this Gatehouse made followable (the outbox shows them so a fresh install can be tried). */
function linkedText(text: string, issuer: string): SafeHtml {
  const parts = text.split(/(https?:\/\/[^\s<>"]+)/);
  return html`${parts.map((part, i) => (i % 2 === 1 && part.startsWith(`${issuer}/`) ? html`<a href="${part}">${part}</a>` : part))}`;
}

export interface OutboxEntry {
  mail: OutboxRecord;
  /** The text, while the outbox keeps it (not yet sent, or no SMTP). */
  text: string | null;
}

export function adminMailPage(o: AdminPage & { entries: OutboxEntry[]; smtp: boolean; issuer: string }): SafeHtml {
  const m = o.msgs;
  const mm = m.mail;
  const badge = (status: OutboxRecord['status']) => (status === 'sent' ? 'active' : status === 'failed' ? 'blocked' : 'pending');
  return frame(o, 'mail', mm.outbox, html`<h1>${mm.outbox}</h1>
<p class="${o.smtp ? 'muted' : 'warning'}">${o.smtp ? mm.outboxSmtp : formatHtml(mm.outboxNoSmtp, { setting: html`<code>GATEHOUSE_SMTP_URL</code>` })}</p>
${o.entries.length === 0 ? html`<p class="empty">${mm.outboxEmpty}</p>` : html`<ul class="app-list mail-list">${o.entries.map(({ mail, text }) => html`<li>
<div class="grow"><strong translate="no">${mail.subject}</strong> <span class="badge ${badge(mail.status)}">${mm.status[mail.status] ?? mail.status}</span>
<p class="muted small">${mm.kinds[mail.kind] ?? mail.kind} · ${formatHtml(mm.outboxTo, { address: html`<span translate="no">${mail.to}</span>` })} · ${dateTime(m, mail.createdAt)}${mail.attempts > 0 ? html` · ${format(mm.outboxAttempts, { n: String(mail.attempts) })}` : null}</p>
${mail.lastError ? html`<p class="small">${formatHtml(mm.outboxError, { error: html`<code>${mail.lastError}</code>` })}</p>` : null}
${text !== null ? html`<details class="mail-text"><summary>${mm.outboxRead}</summary><pre>${linkedText(text, o.issuer)}</pre></details>` : null}</div>
</li>`)}</ul>`}`);
}
