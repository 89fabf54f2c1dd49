/** The consent page: app, user, scopes in plain words, optional scopes as checkboxes (docs/protocol.md §3). */
import { html, type SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { ERROR_DESCRIPTIONS } from './messages/error-descriptions.js';
import { appIcon, decisionButtons, identity, scopeChoices, type PageUser } from './parts.js';

export interface ConsentPageOptions {
  msgs: Messages;
  csrf: string;
  appName: string;
  /** The app's icon (uploaded in the developer console), if it has one. */
  appIconUrl?: string | null;
  user: PageUser;
  scopes: string[];
  optionalScopes: string[];
  /** Optional scopes ticked by default (granted before). */
  preselected: string[];
  deviceName: string | null;
  /** The authorization request's parameters, posted back with the decision and validated again. */
  params: Record<string, string>;
  switchAccountHref: string;
  display: 'page' | 'popup';
  /** Where the answer goes: the redirect URI's host (or an app's own scheme); null for this server's own code page. */
  site: string | null;
  /** The developer's username, or null when the operator of this server registered the app. */
  developer: string | null;
}

/** What a person can check the app by: the host the answer goes to, or the scheme of an installed app. */
export function siteOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.host !== '' ? url.host : url.protocol.replace(/:$/, '');
}

export function consentPage(o: ConsentPageOptions): SafeHtml {
  const m = o.msgs;
  const hidden = Object.entries(o.params).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return layout({
    msgs: m,
    title: format(m.consentTitle, { app: o.appName }),
    display: o.display,
    decision: true,
    body: html`
<div class="consent-head">${appIcon({ name: o.appName, iconUrl: o.appIconUrl ?? null }, 64)}<h1>${format(m.consentTitle, { app: o.appName })}</h1></div>
${identity(o.user, html` · <a href="${o.switchAccountHref}">${m.notYou} ${m.switchAccount}</a>`)}
<dl class="details app-facts">
<dt>${m.consentSite}</dt><dd id="app-site">${o.site !== null ? html`<span translate="no">${o.site}</span>` : m.consentSiteHere}</dd>
<dt>${m.deviceDeveloperLabel}</dt><dd id="app-developer">${o.developer !== null ? html`<span translate="no">${o.developer}</span>` : m.deviceDeveloperOperator}</dd>
</dl>
<form method="post" action="/authorize" class="form consent">
${csrfField(o.csrf)}
${hidden}
${scopeChoices(m, o.appName, o.scopes, o.optionalScopes, o.preselected)}
${o.deviceName ? html`<p class="muted device">${format(m.consentDevice, { device: o.deviceName })}</p>` : null}
${decisionButtons(m)}
</form>
<p class="aside muted">${m.consentFooter}</p>`,
  });
}

/** The description in the page's language where it has one (messages/error-descriptions.ts), else as written, marked English. */
function describe(msgs: Messages, description: string): SafeHtml {
  const words = ERROR_DESCRIPTIONS[msgs.lang] ?? {};
  const repeated = /^parameter [a-z_]+ was sent more than once$/.test(description) ? words['a parameter was sent more than once'] : undefined;
  const said = words[description] ?? repeated;
  return said !== undefined ? html`<dd>${said}</dd>` : html`<dd lang="en">${description}</dd>`;
}

export function errorPage(msgs: Messages, code: string, description: string): SafeHtml {
  return layout({
    msgs,
    title: msgs.errorTitle,
    body: html`<h1>${msgs.errorTitle}</h1>
<p>${msgs.errorBack}</p>
<dl class="error"><dt>${msgs.errorCode}</dt><dd><code>${code}</code></dd>${describe(msgs, description)}</dl>`,
  });
}
