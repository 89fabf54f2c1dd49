/** /device: the person types the code from their TV or console and allows or denies (SPEC §5.1). */
import { formatUserCode, normalizeUserCode } from '../oauth/device-authorization.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { decisionButtons, identity, scopeChoices, type PageUser } from './parts.js';

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
  deviceName: string | null;
  user: PageUser;
  scopes: string[];
  optionalScopes: string[];
}

export function deviceConfirmPage(o: DeviceConfirmOptions): SafeHtml {
  const m = o.msgs;
  const title = o.deviceName ? format(m.deviceConfirmTitle, { app: o.appName, device: o.deviceName }) : format(m.deviceConfirmTitleNoName, { app: o.appName });
  const normalized = normalizeUserCode(o.userCode);
  return layout({
    msgs: m,
    title,
    decision: true,
    body: html`
<h1>${title}</h1>
${identity(o.user)}
${normalized ? html`<p class="code-check">${m.deviceCodeCheck} <strong translate="no">${formatUserCode(normalized)}</strong></p>` : null}
<form method="post" action="/device" class="form consent">
${csrfField(o.csrf)}
<input type="hidden" name="user_code" value="${o.userCode}">
${scopeChoices(m, o.appName, o.scopes, o.optionalScopes)}
${decisionButtons(m)}
</form>
<p class="aside muted">${m.consentFooter}</p>`,
  });
}
