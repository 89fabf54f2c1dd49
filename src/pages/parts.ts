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
<span><strong>${user.displayName}</strong><br><span class="muted" translate="no">${user.login}</span>${extra}</span></p>`;
}

/**
 * What the app will be allowed to do, in plain words, with optional scopes as
 * checkboxes. A Gatehouse permission and the OpenID Connect scope with the
 * same data (`login:default_phone` and `phone`) read alike: each line is said once.
 */
export function scopeChoices(msgs: Messages, appName: string, scopes: string[], optionalScopes: string[], preselected: string[] = []): SafeHtml {
  const lines = [...new Set([msgs.consentIdentity, ...scopes.map((s) => msgs.scopes[s] ?? scopeLabel(s))])];
  return html`<p>${format(msgs.consentRequired, { app: appName })}</p>
<ul class="scopes">
${lines.map((line) => html`<li>${line}</li>`)}
</ul>
${optionalScopes.length > 0
  ? html`<fieldset class="optional"><legend>${msgs.consentOptional}</legend>
${optionalScopes.map((s) => html`<label class="check"><input type="checkbox" name="granted_optional" value="${s}" ${preselected.includes(s) ? 'checked' : ''}> ${msgs.scopes[s] ?? scopeLabel(s)}</label>`)}
</fieldset>`
  : null}`;
}

/**
 * Allow and Deny. `data-arm`: assets/decision.js (the page's layout loads it
 * with `decision: true`) makes them work only once the page has been visible
 * and focused for a moment, so a click aimed at another window cannot land on them.
 */
export function decisionButtons(msgs: Messages): SafeHtml {
  return html`<div class="actions">
<button type="submit" name="decision" value="allow" class="primary" data-arm>${msgs.allow}</button>
<button type="submit" name="decision" value="deny" data-arm>${msgs.deny}</button>
</div>`;
}

/** A time in the reader's language, in UTC (the server does not know the reader's time zone). */
export function dateTime(msgs: Messages, at: number): string {
  return new Intl.DateTimeFormat(msgs.lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(at) + ' UTC';
}

/** A value with a copy button (assets/pages.js); without script the value is still there to select. */
export function copyBox(msgs: Messages, id: string, value: string, label: string): SafeHtml {
  return html`<div class="secret-box"><code id="${id}" class="token-text" aria-label="${label}">${value}</code>
<button type="button" class="copy" data-copy="${id}" data-copied="${msgs.copied}" aria-label="${format(msgs.copyWhat, { what: label })}">${msgs.copy}</button></div>`;
}

/** A small square picture of an app: its icon, or its initial on the accent colour. */
export function appIcon(app: { name: string; iconUrl: string | null }, size: 40 | 64 = 40): SafeHtml {
  return app.iconUrl
    ? html`<img class="app-icon s${size}" src="${app.iconUrl}" alt="" width="${size}" height="${size}">`
    : html`<span class="app-icon s${size} initial" aria-hidden="true">${Array.from(app.name)[0]?.toUpperCase() ?? '?'}</span>`;
}

/** `format` for markup: fills `{name}` with pieces of HTML (a login marked not to be translated), escaping the rest. */
export function formatHtml(template: string, vars: Record<string, SafeHtml>): SafeHtml {
  const parts = template.split(/\{(\w+)\}/);
  return html`${parts.map((part, i) => (i % 2 === 1 ? (vars[part] ?? `{${part}}`) : part))}`;
}
