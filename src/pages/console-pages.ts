/** The developer console (docs/protocol.md §10): a developer's apps, the app form, one app's page. */
import type { AppOverview } from '../apps/console.js';
import { isDeviceFlowOnly, PLATFORM_TYPES } from '../apps/platforms.js';
import { SCOPE_CATALOGUE, scopeLabel } from '../oauth/scopes.js';
import type { AppRecord, PlatformType } from '../storage/storage.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type NavOptions } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { appIcon, copyBox, dateTime, formatHtml } from './parts.js';

export interface ConsolePage {
  msgs: Messages;
  nav: NavOptions;
  csrf: string;
  /** Path and query of this page (language links). */
  here: string;
}

function statusBadge(m: Messages, status: AppRecord['status']): SafeHtml {
  return html`<span class="badge ${status}">${m.console.status[status]}</span>`;
}

function alertBox(text: string | null | undefined): SafeHtml | null {
  return text ? html`<p class="alert" role="alert">${text}</p>` : null;
}

function noticeBox(text: string | null | undefined): SafeHtml | null {
  return text ? html`<p class="notice" role="status">${text}</p>` : null;
}

export function consoleClosedPage(o: ConsolePage, beforeSetup = false): SafeHtml {
  const m = o.msgs;
  return layout({ msgs: m, title: m.console.title, nav: o.nav, here: o.here, body: html`<h1>${m.console.title}</h1><p>${beforeSetup ? m.setup.consoleClosed : m.console.closed}</p>` });
}

export function consoleHomePage(o: ConsolePage & { apps: AppRecord[]; notice?: string | null }): SafeHtml {
  const m = o.msgs;
  return layout({
    msgs: m,
    title: m.console.title,
    nav: o.nav,
    here: o.here,
    body: html`<div class="page-head"><h1>${m.console.title}</h1>
<a class="button primary" href="/console/apps/new">${m.console.createApp}</a></div>
${noticeBox(o.notice)}
<p class="muted">${m.console.intro}</p>
${o.apps.length === 0
  ? html`<p class="empty">${m.console.noApps}</p>`
  : html`<ul class="app-list">${o.apps.map((a) => html`<li>
${appIcon(a)}
<div class="grow"><a href="/console/apps/${a.clientId}" class="app-name">${a.name}</a>
<div class="muted small"><code>${a.clientId}</code></div></div>
${statusBadge(m, a.status)}
</li>`)}</ul>`}`,
  });
}

/** The app form's fields as typed, so a refused form comes back as it was. */
export interface AppFormValues {
  name: string;
  description: string;
  redirectUris: string;
  suggestHostnames: string;
  postLogoutRedirectUris: string;
  /** Per catalogue scope: not asked, required, or optional (the user may clear it). */
  scopeModes: Record<string, 'off' | 'required' | 'optional'>;
  platforms: PlatformType[];
  iosAppId: string;
  iosStoreUrl: string;
  androidPackage: string;
  androidFingerprints: string;
  androidStoreUrl: string;
  ttl: string;
  idTokenAlg: 'ES256' | 'RS256';
  requireTwoStep: boolean;
  /** A web app's token_endpoint_auth_method and, for private_key_jwt, its keys. */
  authMethod: string;
  jwksUri: string;
  jwks: string;
  requireDpop: boolean;
  requirePar: boolean;
}

/** The methods a web app may choose on the form (public apps use `none`). */
export const FORM_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'] as const;

/** Lifetimes offered for access tokens; the operator's maximum caps them (docs/protocol.md §4). */
export const TTL_CHOICES = [3600, 86400, 7 * 86400, 30 * 86400, 90 * 86400, 365 * 86400] as const;

function ttlLabel(m: Messages, seconds: number): string {
  const named = m.console.ttlChoices[String(seconds)];
  return named ?? format(m.console.ttlSeconds, { n: String(seconds) });
}

function textArea(id: string, label: string, value: string, hint: string, rows = 3): SafeHtml {
  return html`<label for="${id}">${label}</label>
<textarea id="${id}" name="${id}" rows="${rows}" spellcheck="false" autocapitalize="none" translate="no" aria-describedby="${id}-hint">${value}</textarea>
<small id="${id}-hint" class="hint">${hint}</small>`;
}

function field(id: string, label: string, value: string, hint: string | null, extra: SafeHtml | null = null): SafeHtml {
  return html`<label for="${id}">${label}</label>
<input id="${id}" name="${id}" value="${value}" spellcheck="false" autocapitalize="none"${hint ? html` aria-describedby="${id}-hint"` : null} ${extra}>
${hint ? html`<small id="${id}-hint" class="hint">${hint}</small>` : null}`;
}

export function appFormPage(o: ConsolePage & { app: AppRecord | null; values: AppFormValues; error: string | null; maxTtlSeconds: number }): SafeHtml {
  const m = o.msgs;
  const c = m.console;
  const v = o.values;
  const editing = o.app !== null;
  const title = editing ? format(c.editTitle, { app: o.app!.name }) : c.newTitle;
  const ttlNow = Number(v.ttl);
  const ttls: number[] = TTL_CHOICES.filter((t) => t <= o.maxTtlSeconds);
  if (Number.isInteger(ttlNow) && ttlNow > 0 && !ttls.includes(ttlNow)) ttls.push(ttlNow);
  const checkedPlatform = (p: PlatformType) => (v.platforms.includes(p) ? 'checked' : '');
  // The Gatehouse permissions, then the OpenID Connect scopes that carry the same data for standard libraries,
  // each under its own words, so no two choices read alike.
  const scopeChoice = (name: string, label: string) => {
    const mode = v.scopeModes[name] ?? 'off';
    const radio = (value: 'off' | 'required' | 'optional', text: string) =>
      html`<label class="check"><input type="radio" name="scope:${name}" value="${value}" ${mode === value ? 'checked' : ''}${editing ? html` aria-describedby="scopes-warning"` : null}> ${text}</label>`;
    return html`<fieldset class="scope-choice"><legend>${label} <code>${name}</code></legend>
<div class="radios">${radio('off', c.scopeOff)}${radio('required', c.scopeRequired)}${radio('optional', c.scopeOptional)}</div></fieldset>`;
  };
  return layout({
    msgs: m,
    title,
    nav: o.nav,
    here: o.here,
    body: html`<h1>${title}</h1>
${alertBox(o.error)}
<form method="post" action="${editing ? `/console/apps/${o.app!.clientId}/edit` : '/console/apps/new'}" class="form wide-form">
${csrfField(o.csrf)}
<fieldset><legend>${c.sectionBasics}</legend>
${field('name', c.name, v.name, null, html`required maxlength="100" autocomplete="off"`)}
<label for="description">${c.description}</label>
<textarea id="description" name="description" rows="3" maxlength="2000">${v.description}</textarea>
</fieldset>

<fieldset><legend>${c.sectionPlatforms}</legend>
<p class="hint">${c.platformsHint}</p>
${PLATFORM_TYPES.map((p) => html`<label class="check"><input type="checkbox" name="platform" value="${p}" ${checkedPlatform(p)}> ${c.platforms[p]}</label>
${p === 'ios' ? html`<div class="sub">${field('ios_app_id', c.iosAppId, v.iosAppId, c.iosAppIdHint, html`maxlength="255"`)}${field('ios_store_url', c.iosStoreUrl, v.iosStoreUrl, null, html`type="url" maxlength="500"`)}</div>` : null}
${p === 'android' ? html`<div class="sub">${field('android_package', c.androidPackage, v.androidPackage, c.androidPackageHint, html`maxlength="255"`)}
${textArea('android_fingerprints', c.androidFingerprints, v.androidFingerprints, c.androidFingerprintsHint, 2)}
${field('android_store_url', c.androidStoreUrl, v.androidStoreUrl, null, html`type="url" maxlength="500"`)}</div>` : null}`)}
</fieldset>

<fieldset><legend>${c.sectionRedirects}</legend>
${textArea('redirect_uris', c.redirectUris, v.redirectUris, c.redirectUrisHint, 3)}
${textArea('suggest_hostnames', c.suggestHostnames, v.suggestHostnames, c.suggestHostnamesHint, 2)}
</fieldset>

<fieldset><legend>${c.sectionScopes}</legend>
<p class="hint">${c.scopesHint}</p>
${editing ? html`<p class="warning" id="scopes-warning">${c.scopesWarning}</p>` : null}
<div class="scope-grid">${SCOPE_CATALOGUE.filter((s) => !isOidcScope(s.name)).map((s) => scopeChoice(s.name, m.scopes[s.name] ?? scopeLabel(s.name)))}</div>
<h3 id="oidc-scopes">${c.oidcScopesTitle}</h3>
<p class="hint">${c.oidcScopesHint}</p>
<div class="scope-grid">${SCOPE_CATALOGUE.filter((s) => isOidcScope(s.name)).map((s) => scopeChoice(s.name, c.oidcScopes[s.name] ?? scopeLabel(s.name)))}</div>
</fieldset>

<fieldset><legend>${c.sectionTokens}</legend>
<label for="ttl">${c.ttl}</label>
<select id="ttl" name="ttl" aria-describedby="ttl-hint">${ttls.map((t) => html`<option value="${t}" ${t === ttlNow ? 'selected' : ''}>${ttlLabel(m, t)}</option>`)}</select>
<small id="ttl-hint" class="hint">${c.ttlHint}</small>
<label for="id_token_alg">${c.idTokenAlg}</label>
<select id="id_token_alg" name="id_token_alg">${(['ES256', 'RS256'] as const).map((a) => html`<option value="${a}" ${v.idTokenAlg === a ? 'selected' : ''}>${a}</option>`)}</select>
${textArea('post_logout_redirect_uris', c.postLogoutUris, v.postLogoutRedirectUris, c.postLogoutUrisHint, 2)}
<label class="check"><input type="checkbox" name="require_dpop" value="yes" aria-describedby="require-dpop-hint" ${v.requireDpop ? 'checked' : ''}> ${c.requireDpop}</label>
<small id="require-dpop-hint" class="hint">${c.requireDpopHint}</small>
<label class="check"><input type="checkbox" name="require_par" value="yes" aria-describedby="require-par-hint" ${v.requirePar ? 'checked' : ''}> ${c.requirePar}</label>
<small id="require-par-hint" class="hint">${c.requireParHint}</small>
</fieldset>

<fieldset><legend>${c.sectionClientAuth}</legend>
<label for="auth_method">${c.authMethod}</label>
<select id="auth_method" name="auth_method" aria-describedby="auth_method-hint">${FORM_AUTH_METHODS.map((a) => html`<option value="${a}" ${v.authMethod === a ? 'selected' : ''}>${c.authMethods[a]}</option>`)}</select>
<small id="auth_method-hint" class="hint">${c.authMethodHint}</small>
${field('jwks_uri', c.jwksUri, v.jwksUri, c.jwksUriHint, html`type="url" inputmode="url"`)}
${textArea('jwks', c.jwks, v.jwks, c.jwksHint, 3)}
</fieldset>

<fieldset><legend>${c.sectionSignIn}</legend>
<label class="check"><input type="checkbox" name="require_two_step" value="yes" aria-describedby="require-two-step-hint" ${v.requireTwoStep ? 'checked' : ''}> ${c.requireTwoStep}</label>
<small id="require-two-step-hint" class="hint">${c.requireTwoStepHint}</small>
</fieldset>

<div class="actions end">
<a class="button" href="${editing ? `/console/apps/${o.app!.clientId}` : '/console'}">${m.cancel}</a>
<button type="submit" class="primary">${editing ? c.save : c.create}</button>
</div>
</form>`,
  });
}

/** The scopes of OpenID Connect itself, beside Gatehouse's own `login:` permissions. */
const isOidcScope = (name: string) => !name.startsWith('login:');

export interface AppPageOptions extends ConsolePage {
  app: AppRecord;
  overview: AppOverview;
  /** A secret to show once: just created, or just rotated. */
  secret: string | null;
  notice: string | null;
  error: string | null;
  debugTokenUrl: string;
  /** This server's issuer, for the quickstart. */
  issuer: string;
}

/**
 * How to start: the issuer and endpoints, a ready sign-in link for web apps
 * (the first redirect URI, `response_type=code`), the code exchange as a
 * command, the device flow for TV apps, and the button generator.
 */
function quickstart(o: AppPageOptions): SafeHtml {
  const c = o.msgs.console;
  const a = o.app;
  const i = o.issuer;
  const tv = isDeviceFlowOnly(a);
  const confidential = a.secretHash !== null;
  const redirectUri = a.redirectUris[0] ?? null;
  const signInLink = confidential && redirectUri !== null && !tv
    ? `${i}/authorize?${new URLSearchParams({ response_type: 'code', client_id: a.clientId, redirect_uri: redirectUri }).toString()}`
    : null;
  const endpoint = (label: string, path: string) => html`<dt>${label}</dt><dd><code>${i}${path}</code></dd>`;
  const exchange = `curl ${i}/token \\\n  -d grant_type=authorization_code -d code=THE_CODE \\\n  -d client_id=${a.clientId} -d client_secret=YOUR_SECRET`;
  const device = `curl ${i}/device/code -d client_id=${a.clientId}`;
  return html`<section aria-labelledby="quickstart" class="quickstart">
<h2 id="quickstart">${c.quickstart}</h2>
<p class="muted">${c.quickstartText}</p>
<h3>${c.issuer}</h3>
${copyBox(o.msgs, 'issuer', i, c.issuer)}
<dl class="details endpoints">
${endpoint(c.endpointDiscovery, '/.well-known/openid-configuration')}
${tv ? endpoint(c.endpointDevice, '/device/code') : endpoint(c.endpointAuthorize, '/authorize')}
${endpoint(c.endpointToken, '/token')}
${endpoint(c.endpointInfo, '/info')}
</dl>
${tv
  ? html`<h3>${c.deviceTitle}</h3><p>${c.deviceText}</p><pre tabindex="0"><code>${device}</code></pre>`
  : signInLink !== null
    ? html`<h3>${c.tryTitle}</h3>
<p>${formatHtml(c.tryText, { uri: html`<span class="uri" translate="no">${redirectUri!}</span>` })}</p>
<p><a class="button" href="${signInLink}" target="_blank" rel="noopener">${c.tryLink}</a></p>
<p>${c.exchangeText}</p>
<pre tabindex="0"><code>${exchange}</code></pre>`
    : html`<p class="muted">${confidential ? c.noRedirect : c.pkceText}</p>`}
${tv ? null : html`<h3>${c.buttonTitle}</h3>
<p>${c.buttonText}</p>
<p><a class="button" href="/button-generator?client_id=${a.clientId}">${c.buttonLink}</a></p>`}
</section>`;
}

function list(items: string[], empty: string): SafeHtml {
  return items.length === 0 ? html`<span class="muted">${empty}</span>` : html`<ul class="plain">${items.map((i) => html`<li><code>${i}</code></li>`)}</ul>`;
}

export function appPage(o: AppPageOptions): SafeHtml {
  const m = o.msgs;
  const c = m.console;
  const a = o.app;
  const base = `/console/apps/${a.clientId}`;
  const scopeItems = (scopes: string[]) => (scopes.length === 0
    ? html`<span class="muted">${c.none}</span>`
    : html`<ul class="plain">${scopes.map((s) => html`<li>${m.scopes[s] ?? scopeLabel(s)} <code>${s}</code></li>`)}</ul>`);
  const confidential = a.secretHash !== null;
  const blocked = a.status === 'blocked';
  return layout({
    msgs: m,
    title: a.name,
    nav: o.nav,
    here: o.here,
    body: html`<p class="crumbs"><a href="/console">${c.title}</a></p>
<div class="page-head">${appIcon(a, 64)}<h1 class="grow">${a.name}</h1>${statusBadge(m, a.status)}</div>
${noticeBox(o.notice)}
${alertBox(o.error)}
${blocked ? html`<p class="warning">${o.overview.ownerMayUnblock ? c.blockedByOwner : c.blockedByOperator}</p>` : null}
${o.secret ? html`<section class="once" aria-labelledby="secret-title">
<h2 id="secret-title">${c.secretOnceTitle}</h2>
<p>${c.secretOnceText}</p>
${copyBox(m, 'client-secret', o.secret, c.clientSecret)}
</section>` : null}

<section aria-labelledby="credentials">
<h2 id="credentials">${c.credentials}</h2>
<h3>${c.clientId}</h3>
${copyBox(m, 'client-id', a.clientId, c.clientId)}
<h3>${c.clientSecret}</h3>
${confidential
  ? html`<p class="muted">${c.secretHidden}</p>
<form method="post" action="${base}/secret" class="inline">${csrfField(o.csrf)}<button type="submit">${c.rotateSecret}</button></form>`
  : html`<p class="muted">${c.publicClient}</p>`}
</section>

${quickstart(o)}

<section aria-labelledby="usage">
<h2 id="usage">${c.usage}</h2>
<dl class="stats"><div><dt>${c.activeTokens}</dt><dd>${o.overview.stats.activeTokens}</dd></div>
<div><dt>${c.activeUsers}</dt><dd>${o.overview.stats.users}</dd></div></dl>
</section>

<section aria-labelledby="debug">
<h2 id="debug">${c.debugTokens}</h2>
<p class="muted">${c.debugTokensText}</p>
${blocked ? null : isDeviceFlowOnly(a) ? html`<p class="muted">${c.debugTokensTv} <code>gatehouse token debug --app ${a.clientId} --user LOGIN</code></p>` : html`<p><a class="button primary" href="${o.debugTokenUrl}">${c.getDebugToken}</a></p>`}
${o.overview.debugTokens.length === 0
  ? html`<p class="empty">${c.noDebugTokens}</p>`
  : html`<div class="table-wrap"><table class="stack"><caption class="visually-hidden">${c.debugTokens}</caption>
<thead><tr><th scope="col">${c.tokenUser}</th><th scope="col">${c.tokenIssued}</th><th scope="col">${c.tokenExpires}</th><th scope="col"><span class="visually-hidden">${m.actions}</span></th></tr></thead>
<tbody>${o.overview.debugTokens.map((t) => html`<tr><td data-label="${c.tokenUser}" translate="no">${t.login}</td><td data-label="${c.tokenIssued}">${dateTime(m, t.createdAt)}</td><td data-label="${c.tokenExpires}">${dateTime(m, t.expiresAt)}</td>
<td><form method="post" action="${base}/debug-tokens/revoke" class="inline">${csrfField(o.csrf)}<input type="hidden" name="family" value="${t.familyId}">
<button type="submit" class="danger small">${c.revoke}</button></form></td></tr>`)}</tbody></table></div>`}
</section>

<section aria-labelledby="settings">
<div class="page-head"><h2 id="settings" class="grow">${c.settings}</h2><a class="button" href="${base}/edit">${c.edit}</a></div>
<dl class="details">
<dt>${c.description}</dt><dd>${a.description ? a.description : html`<span class="muted">${c.none}</span>`}</dd>
<dt>${c.sectionPlatforms}</dt><dd>${a.platforms.length === 0 ? html`<span class="muted">${c.none}</span>` : html`<ul class="plain">${a.platforms.map((p) => html`<li>${c.platforms[p.type]}${p.appId ? html` · <code>${p.appId}</code>` : null}${p.packageName ? html` · <code>${p.packageName}</code>` : null}</li>`)}</ul>`}</dd>
<dt>${c.redirectUris}</dt><dd>${list(a.redirectUris, c.none)}</dd>
<dt>${c.suggestHostnames}</dt><dd>${list(a.suggestHostnames, c.none)}</dd>
<dt>${c.requiredScopes}</dt><dd>${scopeItems(a.scopes)}</dd>
<dt>${c.optionalScopes}</dt><dd>${scopeItems(a.optionalScopes)}</dd>
<dt>${c.ttl}</dt><dd>${ttlLabel(m, a.accessTokenTtlSeconds)}</dd>
</dl>
</section>

<section aria-labelledby="icon">
<h2 id="icon">${c.icon}</h2>
<form method="post" action="${base}/icon" enctype="multipart/form-data" class="form">
${csrfField(o.csrf)}
<label for="icon-file">${c.iconUpload}</label>
<input id="icon-file" name="icon" type="file" accept="image/png,image/jpeg" required aria-describedby="icon-hint">
<small id="icon-hint" class="hint">${c.iconHint}</small>
<div class="actions start"><button type="submit">${c.iconSave}</button></div>
</form>
${a.iconUrl ? html`<form method="post" action="${base}/icon/remove" class="inline">${csrfField(o.csrf)}<button type="submit" class="small">${c.iconRemove}</button></form>` : null}
</section>

<section aria-labelledby="danger" class="danger-zone">
<h2 id="danger">${c.dangerZone}</h2>
${blocked
  ? (o.overview.ownerMayUnblock ? html`<form method="post" action="${base}/unblock" class="inline">${csrfField(o.csrf)}<button type="submit">${c.unblock}</button></form>` : null)
  : html`<p class="muted">${c.blockText}</p><form method="post" action="${base}/block" class="inline">${csrfField(o.csrf)}<button type="submit" class="danger">${c.block}</button></form>`}
<p class="muted">${c.deleteText}</p>
<form method="post" action="${base}/delete" class="inline">${csrfField(o.csrf)}<button type="submit" class="danger">${c.deleteApp}</button></form>
</section>`,
  });
}
