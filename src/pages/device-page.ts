/** /device: the person types the code from their TV or console and allows or denies (docs/protocol.md §5.1). */
import { formatUserCode, normalizeUserCode } from '../oauth/device-authorization.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { dateTime, decisionButtons, formatHtml, identity, scopeChoices, type PageUser } from './parts.js';

export function deviceCodePage(msgs: Messages, csrf: string, userCode: string, error: string | null): SafeHtml {
  return layout({
    msgs,
    title: msgs.deviceTitle,
    body: html`
<h1>${msgs.deviceTitle}</h1>
<p>${msgs.deviceText}</p>
${error ? html`<p class="alert" role="alert">${error}</p>` : null}
<form method="post" action="/device" class="form">
${csrfField(csrf)}
<label for="user_code">${msgs.deviceCodeLabel}</label>
<input id="user_code" name="user_code" class="code-input" value="${userCode}" placeholder="XXXX-XXXX" required maxlength="32"
 autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" autofocus>
<button type="submit" class="primary">${msgs.deviceContinue}</button>
</form>`,
  });
}

export interface DeviceConfirmOptions {
  msgs: Messages;
  csrf: string;
  userCode: string;
  appName: string;
  /** As the app gave it (refused unless short and free of bidi and format characters, src/oauth/device-params.ts). */
  deviceName: string | null;
  /** The login of the app's owner; null for an app the operator registered. */
  developer: string | null;
  /** When the device asked (the device code's creation). */
  requestedAt: number;
  user: PageUser;
  scopes: string[];
  optionalScopes: string[];
}

/**
 * The device's name comes from whoever started the request, so it is never
 * part of the question: it is a labelled, quoted field (isolated with <bdi>),
 * next to what the app cannot choose — its developer and the time of the
 * request — under a warning against codes that someone else sent.
 */
export function deviceConfirmPage(o: DeviceConfirmOptions): SafeHtml {
  const m = o.msgs;
  const title = format(m.deviceConfirmTitle, { app: o.appName });
  const normalized = normalizeUserCode(o.userCode);
  return layout({
    msgs: m,
    title,
    decision: true,
    body: html`
<h1>${title}</h1>
${identity(o.user)}
${normalized ? html`<p class="code-check">${m.deviceCodeCheck} <strong translate="no">${formatUserCode(normalized)}</strong></p>` : null}
<dl class="details device-request">
<dt>${m.deviceNameLabel}</dt><dd id="device-name">${o.deviceName ? formatHtml(m.deviceNameQuoted, { device: html`<bdi translate="no">${o.deviceName}</bdi>` }) : html`<span class="muted">${m.deviceNameNone}</span>`}</dd>
<dt>${m.deviceDeveloperLabel}</dt><dd id="device-developer">${o.developer ? html`<span translate="no">${o.developer}</span>` : m.deviceDeveloperOperator}</dd>
<dt>${m.deviceRequestedLabel}</dt><dd id="device-requested">${dateTime(m, o.requestedAt)}</dd>
</dl>
<p class="warning" role="note">${m.deviceWarning}</p>
<form method="post" action="/device" class="form consent">
${csrfField(o.csrf)}
<input type="hidden" name="user_code" value="${o.userCode}">
${scopeChoices(m, o.appName, o.scopes, o.optionalScopes)}
${decisionButtons(m)}
</form>
<p class="aside muted">${m.consentFooter}</p>`,
  });
}
