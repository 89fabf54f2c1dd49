/**
 * The pages of signing in through other identity providers (src/upstreams/):
 * the "Continue with …" buttons of the sign-in page, the confirmation page
 * of a new account, the error pages, the /account section of linked
 * identities and the /admin section of providers.
 */
import type { UpstreamIdentityRecord, UpstreamKind, UpstreamRecord } from '../storage/upstream-store.js';
import type { UpstreamProfile } from '../upstreams/profile.js';
import { html, trusted, type SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { frame, type AdminPage } from './admin-pages.js';
import { copyBox, dateTime } from './parts.js';

/** What the sign-in page needs of an upstream. */
export type UpstreamButton = Pick<UpstreamRecord, 'name' | 'displayName' | 'kind'>;

/** A small mark per kind: the presets' colours, and a neutral door for any OpenID Connect provider. Decorative. */
const ICONS: Record<UpstreamKind, string> = {
  oidc: '<svg aria-hidden="true" width="20" height="20" viewBox="0 0 20 20"><rect x="3" y="2" width="11" height="16" rx="2" fill="none" stroke="currentColor" stroke-width="1.6"/><path d="M9 10h9m-3-3 3 3-3 3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  yandex: '<svg aria-hidden="true" width="20" height="20" viewBox="0 0 20 20"><circle cx="10" cy="10" r="10" fill="#fc3f1d"/><path d="M11.3 15.5h1.9V4.5h-2.7c-2.8 0-4.2 1.4-4.2 3.5 0 1.7.8 2.7 2.3 3.8l-2.6 3.7h2.1l2.9-4.2-1-.7c-1.2-.8-1.8-1.5-1.8-2.8 0-1.2.8-2 2.4-2h.8z" fill="#fff"/></svg>',
  github: '<svg aria-hidden="true" width="20" height="20" viewBox="0 0 20 20"><circle cx="10" cy="10" r="10" fill="#24292f"/><path d="M10 4.2a5.8 5.8 0 0 0-1.8 11.3c.3 0 .4-.1.4-.3v-1c-1.6.3-2-.7-2-.7-.3-.7-.7-.9-.7-.9-.5-.4.1-.4.1-.4.6 0 .9.6.9.6.5.9 1.4.6 1.7.5 0-.4.2-.6.4-.8-1.3-.1-2.6-.6-2.6-2.8 0-.6.2-1.2.6-1.6 0-.1-.3-.7 0-1.5 0 0 .5-.2 1.6.6a5.5 5.5 0 0 1 2.9 0c1.1-.8 1.6-.6 1.6-.6.3.8.1 1.4 0 1.5.4.4.6 1 .6 1.6 0 2.2-1.3 2.7-2.6 2.8.2.2.4.6.4 1.1v1.6c0 .2.1.3.4.3A5.8 5.8 0 0 0 10 4.2z" fill="#fff"/></svg>',
};

export function upstreamIcon(kind: UpstreamKind): SafeHtml {
  return trusted(ICONS[kind] ?? ICONS.oidc);
}

/** `/upstream/{name}/start` for a sign-in that continues to `returnTo`. */
export function startHref(name: string, returnTo: string, display: 'page' | 'popup'): string {
  const q = new URLSearchParams({ return_to: returnTo });
  if (display === 'popup') q.set('display', 'popup');
  return `/upstream/${name}/start?${q.toString()}`;
}

/** "Continue with …" for each upstream, under the password form. Plain links: they work without script and in the pop-up. */
export function upstreamButtons(msgs: Messages, upstreams: readonly UpstreamButton[], returnTo: string, display: 'page' | 'popup'): SafeHtml | null {
  if (upstreams.length === 0) return null;
  return html`<p class="divider">${msgs.passkeys.or}</p>
<ul class="upstream-buttons">${upstreams.map((u) => html`<li><a class="button upstream" href="${startHref(u.name, returnTo, display)}">${upstreamIcon(u.kind)}<span>${format(msgs.upstreams.continueWith, { name: u.displayName })}</span></a></li>`)}</ul>`;
}

/** The sign-in page's address, keeping where the user was going. */
export function signInHref(returnTo: string, display: 'page' | 'popup'): string {
  const q = new URLSearchParams({ return_to: returnTo });
  if (display === 'popup') q.set('display', 'popup');
  return `/login?${q.toString()}`;
}

/** A sign-in through an upstream ended without signing in: what happened, and the way back. */
export function upstreamMessagePage(msgs: Messages, title: string, text: string, o: { display: 'page' | 'popup'; back: { href: string; label: string } | null }): SafeHtml {
  return layout({
    msgs,
    title,
    display: o.display,
    body: html`<h1>${title}</h1><p role="alert">${text}</p>
${o.back ? html`<p class="actions"><a class="button primary" href="${o.back.href}">${o.back.label}</a></p>` : null}`,
  });
}

export interface RegistrationPageOptions {
  msgs: Messages;
  csrf: string;
  upstream: UpstreamButton;
  profile: UpstreamProfile;
  login: string;
  error: string | null;
  display: 'page' | 'popup';
}

/** The profile taken from the upstream, and a free login to confirm or change. */
export function registrationPage(o: RegistrationPageOptions): SafeHtml {
  const m = o.msgs;
  const u = m.upstreams;
  const name = o.upstream.displayName;
  const fullName = o.profile.displayName ?? ([o.profile.firstName, o.profile.lastName].filter(Boolean).join(' ') || null);
  return layout({
    msgs: m,
    title: u.confirmTitle,
    display: o.display,
    body: html`<h1>${u.confirmTitle}</h1>
<p class="subtitle">${format(u.confirmText, { name })}</p>
${o.error ? html`<p class="alert" role="alert">${o.error}</p>` : null}
<dl class="profile-list">
${fullName ? html`<dt>${u.profileName}</dt><dd>${fullName}</dd>` : null}
${o.profile.email ? html`<dt>${u.profileEmail}</dt><dd><span translate="no">${o.profile.email}</span> <span class="muted small">(${o.profile.emailVerified ? format(u.emailVerified, { name }) : u.emailNotVerified})</span></dd>` : null}
</dl>
<form method="post" action="/upstream/register" class="form">
${csrfField(o.csrf)}
<label for="login">${u.pickLogin}</label>
<input id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="40" value="${o.login}" aria-describedby="login-hint" autofocus>
<small id="login-hint" class="hint">${format(u.loginHint, { name })}</small>
<button type="submit" class="primary">${u.create}</button>
</form>
<form method="post" action="/upstream/register/cancel" class="form">${csrfField(o.csrf)}<button type="submit">${u.cancel}</button></form>`,
  });
}

export interface IdentitiesSectionOptions {
  msgs: Messages;
  csrf: string;
  identities: UpstreamIdentityRecord[];
  upstreams: UpstreamButton[];
  error: string | null;
}

/** The /account section: linked identities (when linked, last used), unlink each, link another. */
export function identitiesSection(o: IdentitiesSectionOptions): SafeHtml | null {
  if (o.upstreams.length === 0 && o.identities.length === 0) return null;
  const m = o.msgs;
  const u = m.upstreams;
  const nameOf = (upstream: string) => o.upstreams.find((x) => x.name === upstream)?.displayName ?? upstream;
  const linkedUpstreams = new Set(o.identities.map((i) => i.upstream));
  return html`<section aria-labelledby="identities">
<h2 id="identities">${u.sectionTitle}</h2>
${o.error ? html`<p class="alert" role="alert">${o.error}</p>` : null}
<p class="muted">${u.sectionText}</p>
${o.identities.length === 0 ? html`<p class="empty">${u.none}</p>` : html`<ul class="grant-list">${o.identities.map((i) => html`<li>
<div class="grow"><strong>${nameOf(i.upstream)}</strong>${i.email ? html` <span class="muted" translate="no">${i.email}</span>` : null}
<p class="muted small">${format(u.linkedAt, { time: dateTime(m, i.createdAt) })} · ${i.lastUsedAt !== null ? format(u.lastUsed, { time: dateTime(m, i.lastUsedAt) }) : u.neverUsed}</p></div>
<form method="post" action="/account/upstreams/unlink" class="inline">${csrfField(o.csrf)}<input type="hidden" name="upstream" value="${i.upstream}"><input type="hidden" name="subject" value="${i.subject}">
<button type="submit" class="danger small" aria-label="${format(u.unlinkOf, { name: nameOf(i.upstream) })}">${u.unlink}</button></form>
</li>`)}</ul>`}
<div class="button-row">${o.upstreams.filter((x) => !linkedUpstreams.has(x.name)).map((x) => html`<form method="post" action="/account/upstreams/link" class="inline">${csrfField(o.csrf)}<input type="hidden" name="upstream" value="${x.name}">
<button type="submit" class="upstream">${upstreamIcon(x.kind)}<span>${format(u.linkWith, { name: x.displayName })}</span></button></form>`)}</div>
</section>`;
}

export interface AdminUpstreamsOptions extends AdminPage {
  upstreams: UpstreamRecord[];
  redirectUri: (name: string) => string;
  notice: string | null;
  error: string | null;
}

/** /admin/upstreams: each provider with its redirect URI to copy, a form to change it, removal, and a form to add one. */
export function adminUpstreamsPage(o: AdminUpstreamsOptions): SafeHtml {
  const m = o.msgs;
  const u = m.upstreams;
  return frame(o, 'upstreams', u.adminTitle, html`<section aria-labelledby="upstreams">
<h1 id="upstreams">${u.adminTitle}</h1>
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}
${o.error ? html`<p class="alert" role="alert">${o.error}</p>` : null}
<p class="muted">${u.adminText}</p>
${o.upstreams.length === 0 ? html`<p class="empty">${u.adminNone}</p>` : html`<ul class="grant-list">${o.upstreams.map((x, i) => html`<li>
<div class="grow"><strong>${upstreamIcon(x.kind)} ${x.displayName}</strong> <span class="muted small" translate="no">${x.name}</span>
<p class="muted small">${u.adminPreset}: ${u.kinds[x.kind] ?? x.kind} · ${u.adminIssuer}: <span translate="no">${x.issuer}</span>${x.linkVerifiedEmail ? html` · ${u.adminLinkByEmail}` : null}</p>
<p class="small">${u.adminRedirectUri}</p>${copyBox(m, `upstream-redirect-${String(i)}`, o.redirectUri(x.name), `${u.adminRedirectUri} ${x.displayName}`)}
<details class="edit"><summary>${format(u.adminEditOf, { name: x.displayName })}</summary>
<form method="post" action="/admin/upstreams/update" class="form narrow-form">${csrfField(o.csrf)}<input type="hidden" name="name" value="${x.name}">
<label for="edit-${String(i)}-display-name">${u.adminDisplayName}</label>
<input id="edit-${String(i)}-display-name" name="display_name" maxlength="100" autocomplete="off" value="${x.displayName}">
<label for="edit-${String(i)}-issuer">${u.adminIssuer}</label>
<input id="edit-${String(i)}-issuer" name="issuer" type="url" maxlength="500" autocomplete="off" value="${x.issuer}">
<label for="edit-${String(i)}-client-id">${u.adminClientId}</label>
<input id="edit-${String(i)}-client-id" name="client_id" maxlength="500" autocomplete="off" value="${x.clientId}">
<label for="edit-${String(i)}-client-secret">${u.adminClientSecret}</label>
<input id="edit-${String(i)}-client-secret" name="client_secret" type="password" maxlength="2000" autocomplete="new-password" aria-describedby="edit-${String(i)}-secret-hint">
<small id="edit-${String(i)}-secret-hint" class="hint">${u.adminSecretKeep}</small>
<label for="edit-${String(i)}-scope">${u.adminScope}</label>
<input id="edit-${String(i)}-scope" name="scope" maxlength="500" autocomplete="off" value="${x.scope}">
<label class="check"><input type="checkbox" name="link_verified_email" value="1" ${x.linkVerifiedEmail ? 'checked' : ''}> ${u.adminLinkByEmail}</label>
<button type="submit">${u.adminSave}</button>
</form></details></div>
<form method="post" action="/admin/upstreams/remove" class="inline">${csrfField(o.csrf)}<input type="hidden" name="name" value="${x.name}">
<button type="submit" class="danger small" aria-label="${format(u.adminRemoveOf, { name: x.displayName })}">${u.adminRemove}</button></form>
</li>`)}</ul>`}
<h2 id="upstream-add">${u.adminAdd}</h2>
<form method="post" action="/admin/upstreams" class="form narrow-form" aria-labelledby="upstream-add">
${csrfField(o.csrf)}
<label for="upstream-kind">${u.adminPreset}</label>
<select id="upstream-kind" name="kind">${(['oidc', 'yandex', 'github'] as const).map((k) => html`<option value="${k}">${u.kinds[k]}</option>`)}</select>
<label for="upstream-name">${u.adminName}</label>
<input id="upstream-name" name="name" required maxlength="40" pattern="[a-z0-9][a-z0-9-]*" autocomplete="off" autocapitalize="none" spellcheck="false">
<label for="upstream-display-name">${u.adminDisplayName}</label>
<input id="upstream-display-name" name="display_name" maxlength="100" autocomplete="off">
<label for="upstream-issuer">${u.adminIssuer}</label>
<input id="upstream-issuer" name="issuer" type="url" maxlength="500" autocomplete="off" placeholder="https://">
<label for="upstream-client-id">${u.adminClientId}</label>
<input id="upstream-client-id" name="client_id" required maxlength="500" autocomplete="off">
<label for="upstream-client-secret">${u.adminClientSecret}</label>
<input id="upstream-client-secret" name="client_secret" type="password" required maxlength="2000" autocomplete="new-password">
<label for="upstream-scope">${u.adminScope}</label>
<input id="upstream-scope" name="scope" maxlength="500" autocomplete="off">
<label class="check"><input type="checkbox" name="link_verified_email" value="1"> ${u.adminLinkByEmail}</label>
<button type="submit" class="primary">${u.adminAdd}</button>
</form>
</section>`);
}
