/** Pieces several pages share. */
import { scopeLabel } from '../oauth/scopes.js';
import { html, type SafeHtml } from './html.js';
import { format, type Messages } from './messages/en.js';

export interface PageUser {
  displayName: string;
  login: string;
}

/** Avatar initial, name and login; `extra` follows the login (e.g. "switch account"). */
export function identity(user: PageUser, extra: SafeHtml | null = null): SafeHtml {
  return html`<p class="identity"><span class="avatar" aria-hidden="true">${user.displayName.slice(0, 1).toUpperCase()}</span>
<span><strong>${user.displayName}</strong><br><span class="muted">${user.login}</span>${extra}</span></p>`;
}

/** What the app will be allowed to do, in plain words, with optional scopes as checkboxes. */
export function scopeChoices(msgs: Messages, appName: string, scopes: string[], optionalScopes: string[], preselected: string[] = []): SafeHtml {
  return html`<p>${format(msgs.consentRequired, { app: appName })}</p>
<ul class="scopes">
<li>${msgs.consentIdentity}</li>
${scopes.map((s) => html`<li>${msgs.scopes[s] ?? scopeLabel(s)}</li>`)}
</ul>
${optionalScopes.length > 0
  ? html`<fieldset class="optional"><legend>${msgs.consentOptional}</legend>
${optionalScopes.map((s) => html`<label class="check"><input type="checkbox" name="granted_optional" value="${s}" ${preselected.includes(s) ? 'checked' : ''}> ${msgs.scopes[s] ?? scopeLabel(s)}</label>`)}
</fieldset>`
  : null}`;
}

export function decisionButtons(msgs: Messages): SafeHtml {
  return html`<div class="actions">
<button type="submit" name="decision" value="allow" class="primary">${msgs.allow}</button>
<button type="submit" name="decision" value="deny">${msgs.deny}</button>
</div>`;
}
