/** Sign-in, sign-up, signed-out and home pages (docs/protocol.md §10). */
import { html, type SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { identity, type PageUser } from './parts.js';
import { upstreamButtons, type UpstreamButton } from './upstream-pages.js';

export interface LoginPageOptions {
  msgs: Messages;
  csrf: string;
  returnTo: string;
  login?: string | null;
  error?: string | null;
  /** Good news to show above the form (a password just reset). */
  notice?: string | null;
  appName?: string | null;
  signupEnabled: boolean;
  display?: 'page' | 'popup';
  /** The passkey script (src/sdk/passkeys.ts); null when the browser SDK is not built: then only the password form shows. */
  passkeyScript?: string | null;
  /** "Continue with …" for each identity provider the operator configured (src/upstreams/). */
  upstreams?: readonly UpstreamButton[];
}

function errorBox(error: string | null | undefined): SafeHtml | null {
  return error ? html`<p class="alert" role="alert">${error}</p>` : null;
}

export function loginPage(o: LoginPageOptions): SafeHtml {
  const m = o.msgs;
  const signupHref = `/signup?return_to=${encodeURIComponent(o.returnTo)}`;
  return layout({
    msgs: m,
    title: m.signIn,
    display: o.display ?? 'page',
    script: o.passkeyScript ?? null,
    body: html`
<h1>${m.signInTitle}</h1>
${o.appName ? html`<p class="subtitle">${format(m.signInTo, { app: o.appName })}</p>` : null}
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}
${errorBox(o.error)}
<form method="post" action="/login" class="form">
${csrfField(o.csrf)}
<input type="hidden" name="return_to" value="${o.returnTo}">
<label for="login">${m.login}</label>
<input id="login" name="login" autocomplete="${o.passkeyScript ? 'username webauthn' : 'username'}" autocapitalize="none" spellcheck="false" required maxlength="64" value="${o.login ?? ''}" ${o.login ? '' : 'autofocus'}>
<label for="password">${m.password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256" ${o.login ? 'autofocus' : ''}>
<button type="submit" class="primary">${m.signIn}</button>
</form>
${o.passkeyScript ? passkeySignIn(o) : null}
${upstreamButtons(m, o.upstreams ?? [], o.returnTo, o.display ?? 'page')}
<p class="aside"><a href="/login/forgot">${m.mail.forgotLink}</a></p>
${o.signupEnabled ? html`<p class="aside">${m.noAccount} <a href="${signupHref}">${m.signUp}</a></p>` : null}`,
  });
}

/**
 * "Sign in with a passkey", no login typed (src/sdk/passkeys.ts): hidden until
 * the script finds WebAuthn; it also offers passkeys in the login field's
 * autofill (`autocomplete="username webauthn"`).
 */
function passkeySignIn(o: LoginPageOptions): SafeHtml {
  const p = o.msgs.passkeys;
  return html`<div id="passkey-sign-in" hidden>
<p class="divider">${p.or}</p>
<form method="post" action="/login/passkey" class="passkey-form" data-webauthn="get" data-options="/login/passkey/options" data-autofill data-status="passkey-status" data-reveal="passkey-sign-in">
${csrfField(o.csrf)}
<input type="hidden" name="return_to" value="${o.returnTo}">
<input type="hidden" name="display" value="${o.display ?? 'page'}">
<input type="hidden" name="response" value="">
<button type="button" data-start>${p.signInWith}</button>
</form>
<p id="passkey-status" class="alert" role="alert" hidden data-failed="${p.signInBrowserFailed}" data-cancelled="${p.signInCancelled}"></p>
</div>`;
}

/** What a new account is asked for, as typed so far: on sign-up and on the first run's setup. */
export interface NewAccountValues {
  login?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

/** The fields of a new account: login, password with its rules, address and names. */
export function newAccountFields(m: Messages, v: NewAccountValues): SafeHtml {
  return html`<label for="login">${m.login}</label>
<input id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="40" value="${v.login ?? ''}" autofocus>
<label for="password">${m.password}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256" aria-describedby="password-hint">
<small id="password-hint" class="hint">${m.passwordHint}</small>
<label for="email">${m.email}</label>
<input id="email" name="email" type="email" autocomplete="email" maxlength="254" value="${v.email ?? ''}">
<div class="row">
<div><label for="first_name">${m.firstName}</label>
<input id="first_name" name="first_name" autocomplete="given-name" maxlength="100" value="${v.firstName ?? ''}"></div>
<div><label for="last_name">${m.lastName}</label>
<input id="last_name" name="last_name" autocomplete="family-name" maxlength="100" value="${v.lastName ?? ''}"></div>
</div>`;
}

export interface SignupPageOptions {
  msgs: Messages;
  csrf: string;
  returnTo: string;
  values?: NewAccountValues;
  error?: string | null;
  display?: 'page' | 'popup';
}

export function signupPage(o: SignupPageOptions): SafeHtml {
  const m = o.msgs;
  const v = o.values ?? {};
  return layout({
    msgs: m,
    title: m.signUp,
    display: o.display ?? 'page',
    body: html`
<h1>${m.signUpTitle}</h1>
${errorBox(o.error)}
<form method="post" action="/signup" class="form">
${csrfField(o.csrf)}
<input type="hidden" name="return_to" value="${o.returnTo}">
${newAccountFields(m, v)}
<button type="submit" class="primary">${m.signUp}</button>
</form>
<p class="aside">${m.haveAccount} <a href="/login?return_to=${encodeURIComponent(o.returnTo)}">${m.signIn}</a></p>`,
  });
}

export function messagePage(msgs: Messages, title: string, text: string, extra: SafeHtml | null = null): SafeHtml {
  return layout({ msgs, title, body: html`<h1>${title}</h1><p>${text}</p>${extra}` });
}

/** `showConsole`: whether the signed-in user may use the developer console (`mayUseConsole`), as the navigation shows it. */
export function homePage(msgs: Messages, csrf: string, user: PageUser | null, showConsole = false): SafeHtml {
  if (!user) {
    return layout({
      msgs,
      title: msgs.homeTitle,
      body: html`<h1>${msgs.productName}</h1><p>${msgs.homeSignedOut}</p>
<p class="actions"><a class="button primary" href="/login">${msgs.signIn}</a> <a class="button" href="/signup">${msgs.signUp}</a></p>`,
    });
  }
  return layout({
    msgs,
    title: msgs.homeTitle,
    body: html`<h1>${msgs.homeTitle}</h1>
${identity(user)}
<p class="actions"><a class="button primary" href="/account">${msgs.navAccount}</a>${showConsole ? html` <a class="button" href="/console">${msgs.navConsole}</a>` : null}</p>
<form method="post" action="/logout" class="form">${csrfField(csrf)}<button type="submit">${msgs.signOut}</button></form>`,
  });
}

/** The sign-out confirmation; `hidden` carries an app's logout request (OIDC RP-Initiated Logout). */
export function logoutPage(msgs: Messages, csrf: string, user: PageUser, appName: string | null, hidden: Record<string, string>): SafeHtml {
  return layout({
    msgs,
    title: msgs.logoutTitle,
    body: html`<h1>${msgs.logoutTitle}</h1>
${appName ? html`<p>${format(msgs.logoutFromApp, { app: appName })}</p>` : null}
${identity(user)}
<form method="post" action="/logout" class="form">${csrfField(csrf)}
${Object.entries(hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit" class="primary">${msgs.signOut}</button></form>`,
  });
}
