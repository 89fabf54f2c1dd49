/** /admin (docs/protocol.md §10): operators find and manage users and apps, and read the audit log. */
import { isConfirmedEmail } from '../accounts/addresses.js';
import type { SecondFactors } from '../accounts/second-factors.js';
import type { PasskeyRecord } from '../storage/passkey-store.js';
import type { AppRecord, AppTokenStats, AuditEntry, SessionRecord, UserRecord } from '../storage/storage.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type NavOptions } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { appIcon, copyBox, dateTime, formatHtml } from './parts.js';
import { usedLine } from './passkeys-section.js';

export interface AdminPage {
  msgs: Messages;
  nav: NavOptions;
  csrf: string;
  here: string;
}

type Tab = 'users' | 'apps' | 'audit' | 'mail' | 'upstreams' | 'webhooks' | 'settings';

/** The admin pages' frame: the tabs, then the page. */
export function frame(o: AdminPage, tab: Tab, title: string, body: SafeHtml): SafeHtml {
  const m = o.msgs;
  const link = (t: Tab, href: string, label: string) => html`<li><a href="${href}"${t === tab ? html` aria-current="page"` : null}>${label}</a></li>`;
  return layout({
    msgs: m,
    title,
    nav: o.nav,
    here: o.here,
    body: html`<nav class="tabs" aria-label="${m.admin.title}"><ul>
${link('users', '/admin', m.admin.users)}${link('apps', '/admin/apps', m.admin.apps)}${link('audit', '/admin/audit', m.admin.audit)}${link('mail', '/admin/mail', m.mail.outbox)}${link('upstreams', '/admin/upstreams', m.upstreams.adminTitle)}${link('webhooks', '/admin/webhooks', m.webhooks.title)}${link('settings', '/admin/settings', m.organisation.tab)}
</ul></nav>
${body}`,
  });
}

function searchForm(m: Messages, action: string, label: string, value: string): SafeHtml {
  return html`<form method="get" action="${action}" class="search" role="search">
<label for="q" class="visually-hidden">${label}</label>
<input id="q" name="q" type="search" value="${value}" placeholder="${label}" maxlength="100">
<button type="submit">${m.admin.search}</button></form>`;
}

function userStatus(m: Messages, u: UserRecord): SafeHtml {
  return html`<span class="badge ${u.status}">${u.status === 'active' ? m.admin.userActive : m.admin.userBlocked}</span>
${u.isAdmin ? html`<span class="badge role">${m.admin.roleAdmin}</span>` : null}
${u.isDeveloper ? html`<span class="badge role">${m.admin.roleDeveloper}</span>` : null}`;
}

export function adminUsersPage(o: AdminPage & { query: string; users: UserRecord[] }): SafeHtml {
  const m = o.msgs;
  return frame(o, 'users', m.admin.users, html`<h1>${m.admin.users}</h1>
${searchForm(m, '/admin', m.admin.searchUsers, o.query)}
${o.users.length === 0 ? html`<p class="empty">${m.admin.nothingFound}</p>` : html`<ul class="app-list">${o.users.map((u) => html`<li>
<span class="avatar" aria-hidden="true">${Array.from(u.displayName ?? u.login)[0]?.toUpperCase()}</span>
<div class="grow"><a href="/admin/users/${u.id}" class="app-name">${u.displayName ?? u.login}</a>
<div class="muted small"><span translate="no">${u.login}</span>${u.defaultEmail ? html` · <span translate="no">${u.defaultEmail}</span>` : null}</div></div>
<div class="badges">${userStatus(m, u)}</div></li>`)}</ul>`}`);
}

/** An address or number with whether it is confirmed (only confirmed ones are released to apps). */
function confirmation(m: Messages, value: string, confirmed: boolean): SafeHtml {
  return html`<li><span translate="no">${value}</span> <span class="badge ${confirmed ? 'active' : 'pending'}">${confirmed ? m.mail.confirmed : m.mail.notConfirmed}</span></li>`;
}

export function adminUserPage(o: AdminPage & {
  user: UserRecord; apps: AppRecord[]; sessions: SessionRecord[]; passkeys: PasskeyRecord[]; activeTokens: number; audit: AuditEntry[]; logins: LoginsById;
  notice: string | null; error: string | null; newPassword: string | null; self: boolean; signInLocked: boolean;
  /** Which second factors the user has (never their secrets). */
  factors: SecondFactors;
}): SafeHtml {
  const m = o.msgs;
  const ad = m.admin;
  const u = o.user;
  const unconfirmed = u.emails.some((e) => !isConfirmedEmail(u, e)) || (u.defaultPhone !== null && u.defaultPhone !== u.confirmedPhone);
  const act = (action: string, label: string, danger = false) => html`<form method="post" action="/admin/users/${u.id}/${action}" class="inline">${csrfField(o.csrf)}
<button type="submit"${danger ? html` class="danger"` : null}>${label}</button></form>`;
  return frame(o, 'users', u.displayName ?? u.login, html`<p class="crumbs"><a href="/admin">${ad.users}</a></p>
<div class="page-head"><h1 class="grow">${u.displayName ?? u.login}</h1><div class="badges">${userStatus(m, u)}</div></div>
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}
${o.error ? html`<p class="alert" role="alert">${o.error}</p>` : null}
${o.newPassword ? html`<section class="once" aria-labelledby="pw-title"><h2 id="pw-title">${ad.newPasswordTitle}</h2><p>${ad.newPasswordText}</p>
${copyBox(m, 'new-password', o.newPassword, ad.newPasswordTitle)}</section>` : null}
<dl class="details">
<dt>${ad.login}</dt><dd translate="no">${u.login}</dd>
<dt>${ad.userId}</dt><dd><code>${u.id}</code></dd>
<dt>${ad.emails}</dt><dd>${u.emails.length === 0 ? html`<span class="muted">${m.console.none}</span>` : html`<ul class="plain">${u.emails.map((e) => confirmation(m, e, isConfirmedEmail(u, e)))}</ul>`}</dd>
${u.defaultPhone !== null ? html`<dt>${m.account.phone}</dt><dd><ul class="plain">${confirmation(m, u.defaultPhone, u.defaultPhone === u.confirmedPhone)}</ul></dd>` : null}
<dt>${ad.created}</dt><dd>${dateTime(m, u.createdAt)}</dd>
<dt>${ad.sessions}</dt><dd>${o.sessions.length}</dd>
<dt>${m.passkeys.adminTitle}</dt><dd>${adminPasskeys(o)}</dd>
${o.signInLocked ? html`<dt>${ad.signInLocked}</dt><dd class="alert">${ad.signInLockedText}</dd>` : null}
<dt>${m.twoStep.adminFactors}</dt><dd>${twoStepStatus(m, o.factors)}</dd>
<dt>${ad.activeTokens}</dt><dd>${o.activeTokens}</dd>
<dt>${ad.ownedApps}</dt><dd>${o.apps.length === 0 ? html`<span class="muted">${m.console.none}</span>` : html`<ul class="plain">${o.apps.map((a) => html`<li><a href="/admin/apps/${a.clientId}">${a.name}</a></li>`)}</ul>`}</dd>
</dl>
<section aria-labelledby="actions"><h2 id="actions">${ad.actions}</h2>
${o.self ? html`<p class="muted">${ad.selfNote}</p>` : null}
<div class="button-row">
${u.status === 'active' ? (o.self ? null : act('block', ad.block, true)) : act('unblock', ad.unblock)}
${o.self ? null : act('revoke', ad.revokeAll, true)}
${o.self ? null : act('reset_password', ad.resetPassword, true)}
${o.signInLocked ? act('unlock_sign_in', ad.unlockSignIn) : null}
${u.isDeveloper ? act('remove_developer', ad.removeDeveloper) : act('make_developer', ad.makeDeveloper)}
${u.isAdmin ? (o.self ? null : act('remove_admin', ad.removeAdmin)) : act('make_admin', ad.makeAdmin)}
${unconfirmed ? act('confirm_addresses', m.mail.confirmAddresses) : null}
${o.factors.totp || o.factors.recoveryCodesLeft > 0 ? act('reset_two_step', m.twoStep.adminReset, true) : null}
</div></section>
<section aria-labelledby="history"><h2 id="history">${ad.history}</h2>${auditTable(m, o.audit, o.logins)}</section>`);
}

/** An account's second factors as an operator sees them: on or off and how many, never a key or a code. */
function twoStepStatus(m: Messages, f: SecondFactors): SafeHtml {
  const t = m.twoStep;
  return html`<ul class="plain"><li>${t.adminTotp}: <span class="badge ${f.totp ? 'active' : 'pending'}">${f.totp ? t.on : t.adminOff}</span>${f.totp || f.recoveryCodesLeft > 0 ? html` · ${format(t.adminRecovery, { n: String(f.recoveryCodesLeft) })}` : null}</li></ul>`;
}

/** A user's passkeys: name, added, last used, and a remove button (confirmed first); never key material. */
function adminPasskeys(o: AdminPage & { user: UserRecord; passkeys: PasskeyRecord[] }): SafeHtml {
  const m = o.msgs;
  const k = m.passkeys;
  if (o.passkeys.length === 0) return html`<span class="muted">${k.adminNone}</span>`;
  return html`<ul class="plain">${o.passkeys.map((p) => html`<li><strong>${p.name}</strong>
<span class="muted small">${usedLine(m, p)}</span>
<form method="post" action="/admin/users/${o.user.id}/passkeys/remove" class="inline">${csrfField(o.csrf)}<input type="hidden" name="passkey" value="${p.id}">
<button type="submit" class="danger small" aria-label="${format(k.removeOf, { name: p.name })}">${k.remove}</button></form></li>`)}</ul>`;
}

export function adminAppsPage(o: AdminPage & { query: string; apps: (AppRecord & { ownerLogin: string | null })[]; notice: string | null }): SafeHtml {
  const m = o.msgs;
  const ad = m.admin;
  return frame(o, 'apps', ad.apps, html`<h1>${ad.apps}</h1>
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}
${searchForm(m, '/admin/apps', ad.searchApps, o.query)}
${o.apps.length === 0 ? html`<p class="empty">${ad.nothingFound}</p>` : html`<ul class="app-list">${o.apps.map((a) => html`<li>
${appIcon(a)}
<div class="grow"><a class="app-name" href="/admin/apps/${a.clientId}"><strong>${a.name}</strong></a>
<div class="muted small"><code>${a.clientId}</code>${a.ownerLogin ? html` · ${formatHtml(ad.ownedBy, { login: html`<span translate="no">${a.ownerLogin}</span>` })}` : null}</div>
${a.introspects.length > 0 ? html`<div class="muted small">${ad.introspects} ${a.introspects.map((id, i) => html`${i > 0 ? ', ' : ''}<a href="/admin/apps?q=${id}"><code>${id}</code></a>`)}</div>` : null}</div>
<span class="badge ${a.status}">${m.console.status[a.status]}</span>${a.blockedBy === 'owner' ? html` <span class="muted small">${ad.blockedByOwner}</span>` : null}
${a.firstParty ? html`<span class="badge role">${ad.firstParty}</span>` : null}
${a.registrationTokenHash !== null ? html`<span class="badge role" title="${ad.registeredHint}">${ad.registered}</span>` : null}
<form method="post" action="/admin/apps/${a.clientId}/${a.firstParty ? 'third-party' : 'first-party'}" class="inline">${csrfField(o.csrf)}
<button type="submit" class="small" aria-label="${format(a.firstParty ? ad.unmarkFirstPartyApp : ad.markFirstPartyApp, { app: a.name })}">${a.firstParty ? ad.unmarkFirstParty : ad.markFirstParty}</button></form>
<form method="post" action="/admin/apps/${a.clientId}/${a.status === 'blocked' ? 'unblock' : 'block'}" class="inline">${csrfField(o.csrf)}
<button type="submit" class="small${a.status === 'blocked' ? '' : ' danger'}" aria-label="${format(a.status === 'blocked' ? ad.unblockApp : ad.blockApp, { app: a.name })}">${a.status === 'blocked' ? ad.unblock : ad.block}</button></form>
</li>`)}</ul>`}`);
}

/** One app as an operator sees it: who owns it, what it may do, how much it is used, what happened to it, and the operator's switches. */
export function adminAppPage(o: AdminPage & {
  app: AppRecord; ownerLogin: string | null; stats: AppTokenStats; audit: AuditEntry[]; logins: LoginsById; notice: string | null;
}): SafeHtml {
  const m = o.msgs;
  const ad = m.admin;
  const c = m.console;
  const a = o.app;
  const scopes = (list: string[]) => (list.length === 0 ? html`<span class="muted">${c.none}</span>` : html`<ul class="plain">${list.map((s) => html`<li><code>${s}</code></li>`)}</ul>`);
  const act = (action: string, label: string, danger = false) => html`<form method="post" action="/admin/apps/${a.clientId}/${action}" class="inline">${csrfField(o.csrf)}
<input type="hidden" name="back" value="app"><button type="submit"${danger ? html` class="danger"` : null}>${label}</button></form>`;
  return frame(o, 'apps', a.name, html`<p class="crumbs"><a href="/admin/apps">${ad.apps}</a></p>
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}
<div class="page-head">${appIcon(a, 64)}<h1 class="grow">${a.name}</h1><div class="badges"><span class="badge ${a.status}">${c.status[a.status]}</span>${a.firstParty ? html` <span class="badge role">${ad.firstParty}</span>` : null}${a.registrationTokenHash !== null ? html` <span class="badge role">${ad.registered}</span>` : null}</div></div>
${a.status === 'blocked' ? html`<p class="warning">${a.blockedBy === 'owner' ? ad.blockedByOwner : c.blockedByOperator}</p>` : null}
<dl class="details">
<dt>${c.clientId}</dt><dd><code>${a.clientId}</code></dd>
<dt>${ad.owner}</dt><dd>${a.ownerId !== null ? html`<a href="/admin/users/${a.ownerId}" translate="no">${o.ownerLogin ?? a.ownerId}</a>` : html`<span class="muted">${a.registrationTokenHash !== null ? ad.registeredHint : ad.noOwner}</span>`}</dd>
<dt>${ad.authMethod}</dt><dd><code>${a.tokenEndpointAuthMethod}</code>${a.jwksUri ? html` · <code>${a.jwksUri}</code>` : null}</dd>
<dt>${c.description}</dt><dd>${a.description ? a.description : html`<span class="muted">${c.none}</span>`}</dd>
<dt>${c.sectionPlatforms}</dt><dd>${a.platforms.length === 0 ? html`<span class="muted">${c.none}</span>` : html`<ul class="plain">${a.platforms.map((p) => html`<li>${c.platforms[p.type]}${p.appId ? html` · <code>${p.appId}</code>` : null}${p.packageName ? html` · <code>${p.packageName}</code>` : null}</li>`)}</ul>`}</dd>
<dt>${c.redirectUris}</dt><dd>${a.redirectUris.length === 0 ? html`<span class="muted">${c.none}</span>` : html`<ul class="plain">${a.redirectUris.map((u) => html`<li><code>${u}</code></li>`)}</ul>`}</dd>
<dt>${c.requiredScopes}</dt><dd>${scopes(a.scopes)}</dd>
<dt>${c.optionalScopes}</dt><dd>${scopes(a.optionalScopes)}</dd>
<dt>${ad.resourceServerOf}</dt><dd>${a.introspects.length === 0 ? html`<span class="muted">${c.none}</span>` : html`<ul class="plain">${a.introspects.map((id) => html`<li><a href="/admin/apps/${id}"><code>${id}</code></a></li>`)}</ul>`}</dd>
<dt>${ad.created}</dt><dd>${dateTime(m, a.createdAt)}</dd>
<dt>${c.activeTokens}</dt><dd>${o.stats.activeTokens}</dd>
<dt>${c.activeUsers}</dt><dd>${o.stats.users}</dd>
</dl>
<section aria-labelledby="actions"><h2 id="actions">${ad.actions}</h2>
<div class="button-row">
${a.status === 'blocked' ? act('unblock', ad.unblock) : act('block', ad.block, true)}
${a.firstParty ? act('third-party', ad.unmarkFirstParty) : act('first-party', ad.markFirstParty)}
</div>
</section>
<section aria-labelledby="audit"><h2 id="audit">${ad.audit}</h2>
${auditTable(m, o.audit, o.logins)}
</section>`);
}

/** Logins of the users an audit log names, by user id, so people read names instead of numbers. */
export type LoginsById = ReadonlyMap<string, string>;

function userLink(id: string, logins: LoginsById): SafeHtml {
  const login = logins.get(id);
  return html`<a href="/admin/users/${id}">${login ? html`<span translate="no">${login}</span>` : html`<code>${id}</code>`}</a>`;
}

function auditTable(m: Messages, entries: AuditEntry[], logins: LoginsById): SafeHtml {
  if (entries.length === 0) return html`<p class="empty">${m.admin.noAudit}</p>`;
  return html`<div class="table-wrap"><table class="audit stack"><caption class="visually-hidden">${m.admin.audit}</caption>
<thead><tr><th scope="col">${m.admin.auditWhen}</th><th scope="col">${m.admin.auditWhat}</th><th scope="col">${m.admin.auditWho}</th><th scope="col">${m.admin.auditDetails}</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td data-label="${m.admin.auditWhen}">${dateTime(m, e.at)}</td>
<td data-label="${m.admin.auditWhat}"><code>${e.action}</code> <span class="badge ${e.outcome === 'ok' ? 'active' : 'blocked'}">${m.admin.outcome[e.outcome]}</span>${e.repeated ? html` ×${e.repeated.count}<br><span class="muted small">→ ${dateTime(m, e.repeated.lastAt)}</span>` : null}</td>
<td data-label="${m.admin.auditWho}">${m.admin.actor[e.actorType]}${e.actorId ? html` ${e.actorType === 'user' ? userLink(e.actorId, logins) : html`<code>${e.actorId}</code>`}` : null}${e.ip ? html`<br><span class="muted small" translate="no">${e.ip}</span>` : null}</td>
<td data-label="${m.admin.auditDetails}" class="small">${e.userId && e.userId !== e.actorId ? html`${m.admin.auditUser} ${userLink(e.userId, logins)} ` : null}${e.clientId ? html`${m.admin.auditApp} <a href="/admin/apps/${e.clientId}"><code>${e.clientId}</code></a> ` : null}
${Object.keys(e.details).length > 0 ? html`<code class="details-json">${JSON.stringify(e.details)}</code>` : null}</td></tr>`)}</tbody></table></div>`;
}

export function adminAuditPage(o: AdminPage & { entries: AuditEntry[]; logins: LoginsById; login: string; nextBefore: string | null }): SafeHtml {
  const m = o.msgs;
  const ad = m.admin;
  const next = o.nextBefore ? `/admin/audit?${new URLSearchParams({ ...(o.login ? { login: o.login } : {}), before: o.nextBefore }).toString()}` : null;
  return frame(o, 'audit', ad.audit, html`<h1>${ad.audit}</h1>
<p class="muted">${ad.auditText}</p>
<form method="get" action="/admin/audit" class="search" role="search">
<label for="login" class="visually-hidden">${ad.auditByLogin}</label>
<input id="login" name="login" type="search" value="${o.login}" placeholder="${ad.auditByLogin}" maxlength="64">
<button type="submit">${ad.search}</button></form>
${auditTable(m, o.entries, o.logins)}
${next ? html`<p><a class="button" href="${next}">${ad.older}</a></p>` : null}`);
}
