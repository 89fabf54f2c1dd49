/** The consent page: app, user, scopes in plain words, optional scopes as checkboxes (SPEC §3). */
import { scopeLabel } from '../oauth/scopes.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';
import { format, type Messages } from './messages/en.js';

export interface ConsentPageOptions {
  msgs: Messages;
  csrf: string;
  appName: string;
  user: { displayName: string; login: string };
  scopes: string[];
  optionalScopes: string[];
  /** Optional scopes ticked by default (granted before). */
  preselected: string[];
  deviceName: string | null;
  /** The authorization request's parameters, posted back with the decision and validated again. */
  params: Record<string, string>;
  switchAccountHref: string;
  display: 'page' | 'popup';
}

export function consentPage(o: ConsentPageOptions): SafeHtml {
  const m = o.msgs;
  const hidden = Object.entries(o.params).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return layout({
    msgs: m,
    title: format(m.consentTitle, { app: o.appName }),
    display: o.display,
    body: html`
<h1>${format(m.consentTitle, { app: o.appName })}</h1>
<p class="identity"><span class="avatar" aria-hidden="true">${o.user.displayName.slice(0, 1).toUpperCase()}</span>
<span><strong>${o.user.displayName}</strong><br><span class="muted">${o.user.login}</span>
· <a href="${o.switchAccountHref}">${m.notYou} ${m.switchAccount}</a></span></p>
<form method="post" action="/authorize" class="form consent">
${csrfField(o.csrf)}
${hidden}
<p>${format(m.consentRequired, { app: o.appName })}</p>
<ul class="scopes">
<li>${m.consentIdentity}</li>
${o.scopes.map((s) => html`<li>${scopeLabel(s)}</li>`)}
</ul>
${o.optionalScopes.length > 0
  ? html`<fieldset class="optional"><legend>${m.consentOptional}</legend>
${o.optionalScopes.map((s) => html`<label class="check"><input type="checkbox" name="granted_optional" value="${s}" ${o.preselected.includes(s) ? 'checked' : ''}> ${scopeLabel(s)}</label>`)}
</fieldset>`
  : null}
${o.deviceName ? html`<p class="muted">${format(m.consentDevice, { device: o.deviceName })}</p>` : null}
<div class="actions">
<button type="submit" name="decision" value="allow" class="primary">${m.allow}</button>
<button type="submit" name="decision" value="deny">${m.deny}</button>
</div>
</form>
<p class="aside muted">${m.consentFooter}</p>`,
  });
}

export function errorPage(msgs: Messages, code: string, description: string): SafeHtml {
  return layout({
    msgs,
    title: msgs.errorTitle,
    body: html`<h1>${msgs.errorTitle}</h1>
<p>${msgs.errorBack}</p>
<dl class="error"><dt>${msgs.errorCode}</dt><dd><code>${code}</code></dd><dd>${description}</dd></dl>`,
  });
}
