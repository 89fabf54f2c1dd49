/** /account (docs/protocol.md §10): profile, avatar, password, apps with access, devices, sessions. */
import { isConfirmedEmail } from '../accounts/addresses.js';
import type { Device, GrantedApp } from '../accounts/profile.js';
import { scopeLabel } from '../oauth/scopes.js';
import type { PasskeyRecord } from '../storage/passkey-store.js';
import type { SessionRecord, UserRecord } from '../storage/storage.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type NavOptions } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { appIcon, dateTime } from './parts.js';
import { accountSection, type TwoStepState } from './two-step-pages.js';
import { passkeysSection } from './passkeys-section.js';

/** The profile form's fields as typed, so a refused form comes back as it was. */
export interface ProfileValues {
  firstName: string;
  lastName: string;
  displayName: string;
  emails: string;
  defaultEmail: string;
  birthday: string;
  sex: string;
  phone: string;
}

export function profileValues(user: UserRecord): ProfileValues {
  return {
    firstName: user.firstName ?? '',
    lastName: user.lastName ?? '',
    displayName: user.displayName ?? '',
    emails: user.emails.join('\n'),
    defaultEmail: user.defaultEmail ?? '',
    birthday: user.birthday ?? '',
    sex: user.sex ?? '',
    phone: user.defaultPhone ?? '',
  };
}

export interface AccountPageOptions {
  msgs: Messages;
  nav: NavOptions;
  csrf: string;
  here: string;
  user: UserRecord;
  values: ProfileValues;
  apps: GrantedApp[];
  devices: Device[];
  sessions: SessionRecord[];
  currentSession: SessionRecord['hash'];
  notice: string | null;
  /** An error, and the section it belongs to (so it shows where the reader is). */
  error: { section: 'profile' | 'avatar' | 'password' | 'passkeys' | 'delete' | 'identities'; text: string } | null;
  /** Two-step sign-in: on or off, recovery codes left, whether the operator requires it. */
  twoStep: TwoStepState;
  passkeys: PasskeyRecord[];
  /** The passkey script (src/sdk/passkeys.ts), or null when the browser SDK is not built. */
  passkeyScript: string | null;
  /** Linked identities at other providers (pages/upstream-pages.ts); null when the operator configured none. */
  identities: SafeHtml | null;
}

/** A short, stable handle of a session for forms; the session hash itself stays on the server. */
export function sessionHandle(session: Pick<SessionRecord, 'hash'>): string {
  return session.hash.slice(0, 16);
}

/** "Chrome on Linux" from a user agent: enough to recognise a browser, without the noise. */
export function describeUserAgent(ua: string | null): { browser: string; os: string } | null {
  if (!ua) return null;
  const browser =
    /Edg\//.test(ua) ? 'Edge' : /OPR\//.test(ua) ? 'Opera' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari' : /^curl\//.test(ua) ? 'curl' : null;
  const os =
    /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad|iOS/.test(ua) ? 'iOS' : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /Linux|X11/.test(ua) ? 'Linux' : null;
  return browser || os ? { browser: browser ?? '?', os: os ?? '?' } : null;
}

/** Which addresses apps may see: confirmed ones; the others can have their link sent again. */
function addressStatus(o: AccountPageOptions): SafeHtml | null {
  const mm = o.msgs.mail;
  const u = o.user;
  if (u.emails.length === 0 && u.defaultPhone === null) return null;
  const phoneConfirmed = u.defaultPhone !== null && u.defaultPhone === u.confirmedPhone;
  return html`<h3 id="addresses">${mm.addressesTitle}</h3>
<p class="muted small">${mm.notConfirmedHint}</p>
<ul class="grant-list" aria-labelledby="addresses">${u.emails.map((e, i) => {
  const ok = isConfirmedEmail(u, e);
  return html`<li><div class="grow"><span translate="no" id="address-${String(i)}">${e}</span> <span class="badge ${ok ? 'active' : 'pending'}">${ok ? mm.confirmed : mm.notConfirmed}</span></div>
${ok ? null : html`<form method="post" action="/account/emails/confirm" class="inline">${csrfField(o.csrf)}<input type="hidden" name="address" value="${e}">
<button type="submit" class="small" aria-describedby="address-${String(i)}">${mm.sendAgain}</button></form>`}</li>`;
})}
${u.defaultPhone !== null ? html`<li><div class="grow"><span translate="no">${u.defaultPhone}</span> <span class="badge ${phoneConfirmed ? 'active' : 'pending'}">${phoneConfirmed ? mm.confirmed : mm.notConfirmed}</span>
${phoneConfirmed ? null : html`<p class="muted small">${mm.phoneNotConfirmed}</p>`}</div></li>` : null}</ul>`;
}

export function accountPage(o: AccountPageOptions): SafeHtml {
  const m = o.msgs;
  const a = m.account;
  const v = o.values;
  const err = (section: 'profile' | 'avatar' | 'password' | 'delete') =>
    o.error?.section === section ? html`<p class="alert" role="alert">${o.error.text}</p>` : null;
  const emails = v.emails.split(/\s+/).filter(Boolean);
  const sexOption = (value: string, label: string) => html`<label class="check"><input type="radio" name="sex" value="${value}" ${v.sex === value ? 'checked' : ''}> ${label}</label>`;
  const avatarSrc = o.user.avatarId ? `/avatars/${o.user.avatarId}/islands-200` : null;
  return layout({
    msgs: m,
    title: a.title,
    nav: o.nav,
    here: o.here,
    script: o.passkeyScript,
    body: html`<div class="page-head">${avatarSrc
      ? html`<img class="avatar-img" src="/avatars/${o.user.avatarId}/islands-retina-middle" alt="" width="56" height="56">`
      : html`<span class="avatar big" aria-hidden="true">${Array.from(o.user.displayName ?? o.user.login)[0]?.toUpperCase()}</span>`}
<div class="grow"><h1>${a.title}</h1><p class="muted" translate="no">${o.user.login}</p></div></div>
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}

<section aria-labelledby="profile">
<h2 id="profile">${a.profile}</h2>
${err('profile')}
<form method="post" action="/account/profile" class="form wide-form">
${csrfField(o.csrf)}
<div class="row">
<div><label for="first_name">${a.firstName}</label><input id="first_name" name="first_name" autocomplete="given-name" maxlength="100" value="${v.firstName}"></div>
<div><label for="last_name">${a.lastName}</label><input id="last_name" name="last_name" autocomplete="family-name" maxlength="100" value="${v.lastName}"></div>
</div>
<label for="display_name">${a.displayName}</label>
<input id="display_name" name="display_name" autocomplete="nickname" maxlength="100" value="${v.displayName}" aria-describedby="display_name-hint">
<small id="display_name-hint" class="hint">${a.displayNameHint}</small>
<label for="emails">${a.emails}</label>
<textarea id="emails" name="emails" rows="2" spellcheck="false" autocapitalize="none" translate="no" aria-describedby="emails-hint">${v.emails}</textarea>
<small id="emails-hint" class="hint">${a.emailsHint}</small>
${emails.length > 1 ? html`<label for="default_email">${a.defaultEmail}</label>
<select id="default_email" name="default_email" translate="no">${emails.map((e) => html`<option value="${e}" ${e.toLowerCase() === v.defaultEmail.toLowerCase() ? 'selected' : ''}>${e}</option>`)}</select>`
  : html`<input type="hidden" name="default_email" value="${v.defaultEmail}">`}
<div class="row">
<div><label for="birthday">${a.birthday}</label>
<input id="birthday" name="birthday" inputmode="numeric" pattern="\\d{4}-\\d{2}-\\d{2}" placeholder="1990-12-31" maxlength="10" value="${v.birthday}" autocomplete="bday" aria-describedby="birthday-hint">
<small id="birthday-hint" class="hint">${a.birthdayHint}</small></div>
<div><label for="phone">${a.phone}</label>
<input id="phone" name="phone" type="tel" autocomplete="tel" maxlength="24" placeholder="+44 20 7946 0958" value="${v.phone}" aria-describedby="phone-hint">
<small id="phone-hint" class="hint">${a.phoneHint}</small></div>
</div>
<fieldset class="inline-choices"><legend>${a.sex}</legend>
${sexOption('', a.sexUnset)}${sexOption('female', a.sexFemale)}${sexOption('male', a.sexMale)}
</fieldset>
<div class="actions start"><button type="submit" class="primary">${a.saveProfile}</button></div>
</form>
${addressStatus(o)}
</section>

<section aria-labelledby="avatar">
<h2 id="avatar">${a.avatar}</h2>
${err('avatar')}
<div class="avatar-row">
${avatarSrc ? html`<img class="avatar-img large" src="${avatarSrc}" alt="${a.avatarAlt}" width="100" height="100">` : html`<p class="avatar-placeholder"><img src="/avatars/0/0-0/islands-retina-50" alt="" width="100" height="100">${a.noAvatar}</p>`}
<form method="post" action="/account/avatar" enctype="multipart/form-data" class="form grow">
${csrfField(o.csrf)}
<label for="avatar-file">${a.avatarUpload}</label>
<input id="avatar-file" name="avatar" type="file" accept="image/png,image/jpeg" required aria-describedby="avatar-hint">
<small id="avatar-hint" class="hint">${a.avatarHint}</small>
<div class="actions start"><button type="submit">${a.avatarSave}</button></div>
</form>
</div>
${o.user.avatarId ? html`<form method="post" action="/account/avatar/remove" class="inline">${csrfField(o.csrf)}<button type="submit" class="small">${a.avatarRemove}</button></form>` : null}
</section>

<section aria-labelledby="password">
<h2 id="password">${a.password}</h2>
${err('password')}
<p class="muted">${a.passwordText}</p>
<form method="post" action="/account/password" class="form narrow-form">
${csrfField(o.csrf)}
<input type="text" name="username" value="${o.user.login}" autocomplete="username" hidden>
<label for="current_password">${a.currentPassword}</label>
<input id="current_password" name="current_password" type="password" autocomplete="current-password" required maxlength="256">
<label for="new_password">${a.newPassword}</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="8" maxlength="256" aria-describedby="new_password-hint">
<small id="new_password-hint" class="hint">${m.passwordHint}</small>
<div class="actions start"><button type="submit" class="primary">${a.changePassword}</button></div>
</form>
</section>

${accountSection(m, o.csrf, o.user.login, o.twoStep, null)}
${passkeysSection({ msgs: m, csrf: o.csrf, passkeys: o.passkeys, error: o.error?.section === 'passkeys' ? o.error.text : null })}
${o.identities}

<section aria-labelledby="apps">
<h2 id="apps">${a.apps}</h2>
${o.apps.length === 0 ? html`<p class="empty">${a.noApps}</p>` : html`<ul class="grant-list">${o.apps.map((g) => html`<li>
${appIcon(g)}
<div class="grow"><strong>${g.name}</strong>
<ul class="plain small">${g.scopes.length === 0 ? html`<li>${m.consentIdentity}</li>` : g.scopes.map((s) => html`<li>${m.scopes[s] ?? scopeLabel(s)}</li>`)}</ul>
<p class="muted small">${g.lastUsedAt !== null ? format(a.lastUsed, { time: dateTime(m, g.lastUsedAt) }) : format(a.grantedAt, { time: dateTime(m, g.grantedAt) })}</p></div>
<form method="post" action="/account/apps/revoke" class="inline">${csrfField(o.csrf)}<input type="hidden" name="client_id" value="${g.clientId}">
<button type="submit" class="danger small" aria-label="${format(a.revokeAccessOf, { app: g.name })}">${a.revokeAccess}</button></form>
</li>`)}</ul>`}
</section>

<section aria-labelledby="devices">
<h2 id="devices">${a.devices}</h2>
${o.devices.length === 0 ? html`<p class="empty">${a.noDevices}</p>` : html`<ul class="grant-list">${o.devices.map((d) => html`<li>
<div class="grow"><strong>${d.deviceName ?? d.deviceId}</strong>
<p class="muted small">${format(a.deviceApp, { app: d.appName })} · ${format(a.lastUsed, { time: dateTime(m, d.lastUsedAt) })}</p></div>
<form method="post" action="/account/devices/revoke" class="inline">${csrfField(o.csrf)}<input type="hidden" name="client_id" value="${d.clientId}"><input type="hidden" name="device_id" value="${d.deviceId}">
<button type="submit" class="danger small" aria-label="${format(a.revokeDeviceOf, { device: d.deviceName ?? d.deviceId })}">${a.revokeDevice}</button></form>
</li>`)}</ul>`}
</section>

<section aria-labelledby="sessions">
<h2 id="sessions">${a.sessions}</h2>
<ul class="grant-list">${o.sessions.map((s) => {
  const agent = describeUserAgent(s.userAgent);
  const current = s.hash === o.currentSession;
  return html`<li><div class="grow"><strong>${agent ? html`<span translate="no">${format(a.browserOn, { browser: agent.browser, os: agent.os })}</span>` : a.unknownBrowser}</strong>
${current ? html` <span class="badge active">${a.thisSession}</span>` : null}
<p class="muted small">${format(a.signedInAt, { time: dateTime(m, s.createdAt) })}${s.ip ? html` · <span translate="no">${s.ip}</span>` : null}</p></div>
${current ? null : html`<form method="post" action="/account/sessions/end" class="inline">${csrfField(o.csrf)}<input type="hidden" name="session" value="${sessionHandle(s)}">
<button type="submit" class="small">${a.endSession}</button></form>`}</li>`;
})}</ul>
<p class="muted">${a.everywhereText}</p>
<form method="post" action="/account/sign-out-everywhere" class="inline">${csrfField(o.csrf)}<button type="submit" class="danger">${a.signOutEverywhere}</button></form>
</section>

<section aria-labelledby="data">
<h2 id="data">${a.yourData}</h2>
<p class="muted">${a.yourDataText}</p>
<form method="post" action="/account/data" class="inline">${csrfField(o.csrf)}<button type="submit">${a.downloadData}</button></form>
</section>

<section aria-labelledby="delete">
<h2 id="delete">${a.deleteTitle}</h2>
${err('delete')}
<p class="muted">${a.deleteText}</p>
<form method="post" action="/account/delete" class="form narrow-form">
${csrfField(o.csrf)}
${o.user.passwordHash !== null ? html`<input type="text" name="username" value="${o.user.login}" autocomplete="username" hidden>
<label for="delete_password">${a.deletePassword}</label>
<input id="delete_password" name="current_password" type="password" autocomplete="current-password" required maxlength="256">` : html`<p class="muted">${a.deleteNoPassword}</p>`}
<label class="check"><input type="checkbox" name="understood" value="yes" required> ${a.deleteUnderstand}</label>
<div class="actions start"><button type="submit" class="danger">${a.deleteAccount}</button></div>
</form>
</section>`,
  });
}
