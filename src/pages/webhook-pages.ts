/**
 * /admin/webhooks: the endpoints with their state and events, the secret of a
 * new one shown once, the form to add one (an event per checkbox), and each
 * endpoint's delivery log with redelivery by hand.
 */
import type { WebhookDeliveryRecord } from '../storage/webhook-store.js';
import { EVENT_DESCRIPTIONS, EVENT_TYPES } from '../webhooks/events.js';
import type { WebhookEndpoint } from '../webhooks/webhooks.js';
import { frame, type AdminPage } from './admin-pages.js';
import { html, type SafeHtml } from './html.js';
import { csrfField } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { copyBox, dateTime } from './parts.js';

export interface AdminWebhooksOptions extends AdminPage {
  endpoints: WebhookEndpoint[];
  /** The secret of the endpoint just added, shown this once. */
  revealed: { endpoint: WebhookEndpoint; secret: string } | null;
  /** What the add form held when it was refused. */
  values: { url: string; description: string; events: string[] };
  notice: string | null;
  error: string | null;
}

function state(m: Messages, e: WebhookEndpoint): SafeHtml {
  return html`<span class="badge ${e.enabled ? 'active' : 'blocked'}">${e.enabled ? m.webhooks.enabled : m.webhooks.disabled}</span>`;
}

function toggle(o: AdminPage, e: WebhookEndpoint): SafeHtml {
  const w = o.msgs.webhooks;
  return html`<form method="post" action="/admin/webhooks/${e.id}/${e.enabled ? 'disable' : 'enable'}" class="inline">${csrfField(o.csrf)}
<button type="submit" class="small">${e.enabled ? w.disable : w.enable}</button></form>`;
}

export function adminWebhooksPage(o: AdminWebhooksOptions): SafeHtml {
  const m = o.msgs;
  const w = m.webhooks;
  // Endpoints disabled after failing a whole retry schedule: the operator's notice, at the top.
  const failing = o.endpoints.filter((e) => !e.enabled && e.disabledReason !== null && e.disabledReason.startsWith('every attempt'));
  return frame(o, 'webhooks', w.title, html`<section aria-labelledby="webhooks">
<h1 id="webhooks">${w.title}</h1>
${failing.map((e) => html`<p class="alert" role="alert">${format(w.disabledNotice, { url: e.url, reason: e.disabledReason ?? '' })}</p>`)}
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}
${o.revealed ? html`<div class="notice secret-once" role="status"><p><strong>${format(w.secretTitle, { url: o.revealed.endpoint.url })}</strong></p>
<p class="small">${w.secretText}</p>${copyBox(m, 'webhook-secret', o.revealed.secret, w.secretLabel)}</div>` : null}
<p class="muted">${w.text}</p>
${o.endpoints.length === 0 ? html`<p class="empty">${w.none}</p>` : html`<ul class="grant-list">${o.endpoints.map((e) => html`<li>
<div class="grow"><strong translate="no">${e.url}</strong> ${state(m, e)}${e.description ? html` <span class="muted">${e.description}</span>` : null}
<p class="small">${e.events.map((t, i) => html`${i > 0 ? ', ' : ''}<code>${t}</code>`)}</p>
<p class="muted small"><code>${e.id}</code> · ${format(w.created, { time: dateTime(m, e.createdAt) })}${e.lastSuccessAt !== null ? html` · ${format(w.lastSuccess, { time: dateTime(m, e.lastSuccessAt) })}` : null}${!e.enabled && e.disabledReason ? html` · ${e.disabledReason}` : null}</p></div>
<div class="button-row"><a class="button small" href="/admin/webhooks/${e.id}">${w.log}</a>${toggle(o, e)}
<form method="post" action="/admin/webhooks/${e.id}/remove" class="inline">${csrfField(o.csrf)}<button type="submit" class="danger small" aria-label="${format(w.removeOf, { url: e.url })}">${w.remove}</button></form></div>
</li>`)}</ul>`}
</section>
<section aria-labelledby="add-webhook">
<h2 id="add-webhook">${w.add}</h2>
${o.error ? html`<p class="alert" role="alert">${o.error}</p>` : null}
<form method="post" action="/admin/webhooks" class="form wide-form">${csrfField(o.csrf)}
<label for="webhook-url">${w.url}</label>
<input id="webhook-url" name="url" type="url" required maxlength="2000" value="${o.values.url}" aria-describedby="webhook-url-hint" spellcheck="false" translate="no">
<small id="webhook-url-hint" class="hint">${w.urlHint}</small>
<label for="webhook-description">${w.description}</label>
<input id="webhook-description" name="description" maxlength="200" value="${o.values.description}">
<fieldset><legend>${w.events}</legend>
${EVENT_TYPES.map((t) => html`<label class="check"><input type="checkbox" name="events" value="${t}"${o.values.events.includes(t) ? html` checked` : null}><span><code>${t}</code> <span class="muted small">${EVENT_DESCRIPTIONS[t]}</span></span></label>`)}
</fieldset>
<button type="submit" class="primary">${w.create}</button>
</form>
</section>`);
}

export interface AdminWebhookLogOptions extends AdminPage {
  endpoint: WebhookEndpoint;
  deliveries: WebhookDeliveryRecord[];
  nextBefore: string | null;
  notice: string | null;
}

export function adminWebhookLogPage(o: AdminWebhookLogOptions): SafeHtml {
  const m = o.msgs;
  const w = m.webhooks;
  const e = o.endpoint;
  const badge = (s: WebhookDeliveryRecord['status']) => (s === 'delivered' ? 'active' : s === 'failed' ? 'blocked' : 'pending');
  const table = o.deliveries.length === 0 ? html`<p class="empty">${w.noDeliveries}</p>` : html`<div class="table-wrap"><table class="stack deliveries"><caption class="visually-hidden">${w.log}</caption>
<thead><tr><th scope="col">${w.when}</th><th scope="col">${w.status}</th><th scope="col">${w.attempts}</th><th scope="col">${w.response}</th><th scope="col">${w.next}</th><th scope="col"><span class="visually-hidden">${w.redeliver}</span></th></tr></thead>
<tbody>${o.deliveries.map((d) => html`<tr>
<td data-label="${w.when}"><code>${d.type}</code><br><span class="muted small">${dateTime(m, d.createdAt)}</span><br><code class="small">${d.eventId}</code></td>
<td data-label="${w.status}"><span class="badge ${badge(d.status)}">${w.statuses[d.status] ?? d.status}</span>${d.lastError ? html`<br><span class="small">${w.lastError}: <code>${d.lastError}</code></span>` : null}</td>
<td data-label="${w.attempts}">${String(d.attempts)}${d.lastAttemptAt !== null ? html`<br><span class="muted small">${dateTime(m, d.lastAttemptAt)}</span>` : null}</td>
<td data-label="${w.response}">${d.responseStatus !== null ? html`<code>${String(d.responseStatus)}</code>` : '—'}</td>
<td data-label="${w.next}">${d.status === 'pending' ? dateTime(m, d.nextAttemptAt) : '—'}</td>
<td><form method="post" action="/admin/webhooks/${e.id}/redeliver" class="inline">${csrfField(o.csrf)}<input type="hidden" name="delivery" value="${d.id}">
<button type="submit" class="small" aria-label="${format(w.redeliverOf, { id: d.eventId })}">${w.redeliver}</button></form></td>
</tr>`)}</tbody></table></div>`;
  return frame(o, 'webhooks', format(w.logOf, { url: e.url }), html`<p class="crumbs"><a href="/admin/webhooks">${w.back}</a></p>
<div class="page-head"><h1 class="grow">${format(w.logOf, { url: e.url })}</h1><div class="badges">${state(m, e)}</div></div>
${!e.enabled && e.disabledReason ? html`<p class="${e.disabledReason.startsWith('every attempt') ? 'alert' : 'muted'}" role="status">${e.disabledReason}</p>` : null}
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}
<p class="small">${e.events.map((t, i) => html`${i > 0 ? ', ' : ''}<code>${t}</code>`)}</p>
<div class="button-row">${toggle(o, e)}</div>
${table}
${o.nextBefore ? html`<p><a class="button" href="/admin/webhooks/${e.id}?before=${encodeURIComponent(o.nextBefore)}">${w.older}</a></p>` : null}`);
}
