/**
 * The pages of two-step sign-in: setting up an authenticator app (a QR code,
 * the key in groups of four, a link phones open), the recovery codes shown
 * once, managing it on /account, and the second step of signing in.
 */
import { securityKeyStepForm } from './passkeys-section.js';
import type { SecondStepMethod } from '../accounts/second-factors.js';
import type { Enrolment } from '../accounts/two-step.js';
import { html, trusted, type SafeHtml } from './html.js';
import { csrfField, layout, type NavOptions } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { copyBox, formatHtml } from './parts.js';

const alert = (text: string | null | undefined) => (text ? html`<p class="alert" role="alert">${text}</p>` : null);

/** Signed-in pages (/account/…) have the top bar; the sign-in pages are a card, perhaps in a popup. */
export type Frame = { nav: NavOptions; here: string } | { display: 'page' | 'popup' };

function framed(msgs: Messages, frame: Frame, title: string, body: SafeHtml, copy = false): SafeHtml {
  return 'nav' in frame
    ? layout({ msgs, title, nav: frame.nav, here: frame.here, body })
    : layout({ msgs, title, display: frame.display, body, copy });
}

/** The key as people type it: groups of four. */
export function keyGroups(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/** The field for a code from the app: what phones fill from an SMS-like suggestion and keyboards show digits for. */
function totpField(m: Messages, label: string, autofocus: boolean): SafeHtml {
  return html`<label for="code">${label}</label>
<input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9 ]*" maxlength="7" required spellcheck="false" aria-describedby="code-hint"${autofocus ? html` autofocus` : null}>
<small id="code-hint" class="hint">${m.twoStep.codeHint}</small>`;
}

/** Either an app's code or a recovery code (turning off, new recovery codes). */
function anyCodeField(m: Messages, id: string): SafeHtml {
  return html`<label for="${id}">${m.twoStep.anyCodeLabel}</label>
<input id="${id}" name="code" autocomplete="one-time-code" required maxlength="20" autocapitalize="none" spellcheck="false">`;
}

export interface SetupPageOptions {
  msgs: Messages;
  csrf: string;
  frame: Frame;
  login: string;
  enrolment: Enrolment;
  /** The QR code as SVG markup (from the `qrcode` package: only paths, no script or text from input). */
  qrSvg: string;
  /** Where the code is posted. */
  action: string;
  /** On /account the password is asked too: a stolen session alone cannot turn on a factor only the thief holds. */
  askPassword: boolean;
  /** The operator's policy sent the user here during sign-in. */
  required: boolean;
  returnTo?: string;
  error?: string | null;
}

export function setupPage(o: SetupPageOptions): SafeHtml {
  const m = o.msgs;
  const t = m.twoStep;
  return framed(m, o.frame, t.setupTitle, html`<h1>${t.setupTitle}</h1>
${o.required ? html`<p class="warning">${t.setupRequired}</p>` : null}
${alert(o.error)}
<section aria-labelledby="scan" class="two-step-setup">
<h2 id="scan">${t.step1}</h2>
<p>${t.step1Text}</p>
<div class="qr" role="img" aria-label="${t.qrLabel}">${trusted(o.qrSvg)}</div>
<p>${t.onThisPhone} <a href="${o.enrolment.uri}">${t.openInApp}</a></p>
<p>${t.typeKey}</p>
${copyBox(m, 'totp-key', keyGroups(o.enrolment.secret), t.keyLabel)}
</section>
<section aria-labelledby="confirm">
<h2 id="confirm">${t.step2}</h2>
<form method="post" action="${o.action}" class="form narrow-form">
${csrfField(o.csrf)}
${o.returnTo !== undefined ? html`<input type="hidden" name="return_to" value="${o.returnTo}">` : null}
<input type="text" name="username" value="${o.login}" autocomplete="username" hidden>
${totpField(m, t.codeLabel, !o.askPassword)}
${o.askPassword ? html`<label for="password">${m.account.currentPassword}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">` : null}
<button type="submit" class="primary">${t.confirmButton}</button>
</form>
</section>`, !('nav' in o.frame));
}

export interface RecoveryCodesPageOptions {
  msgs: Messages;
  frame: Frame;
  login: string;
  codes: string[];
  /** Where "continue" leads: back to /account, or on to where the sign-in was going. */
  continueHref: string;
  /** Shown above the codes (two-step sign-in was just turned on). */
  notice?: string | null;
}

export function recoveryCodesPage(o: RecoveryCodesPageOptions): SafeHtml {
  const m = o.msgs;
  const t = m.twoStep;
  const file = `${format(t.codesFileIntro, { login: o.login })}\n\n${o.codes.join('\n')}\n`;
  return framed(m, o.frame, t.codesTitle, html`${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : null}
<h1>${t.codesTitle}</h1>
<p>${t.codesText}</p>
<div class="secret-box recovery-box"><ol id="recovery-codes" class="recovery-codes token-text" translate="no" aria-label="${t.codesLabel}">
${o.codes.map((c) => html`<li>${c}</li>\n`)}</ol>
<button type="button" class="copy" data-copy="recovery-codes" data-copied="${m.copied}" aria-label="${format(m.copyWhat, { what: t.codesLabel })}">${m.copy}</button></div>
<p class="actions start"><a class="button" href="data:text/plain;charset=utf-8,${encodeURIComponent(file)}" download="gatehouse-recovery-codes.txt">${t.download}</a>
<a class="button primary" href="${o.continueHref}">${'nav' in o.frame ? t.done : t.codesSaved}</a></p>`, !('nav' in o.frame));
}

/** The forms of an account with two-step sign-in on: new recovery codes, and turning it off (unless the operator requires it). */
export function manageForms(m: Messages, csrf: string, login: string, required: boolean): SafeHtml {
  const t = m.twoStep;
  return html`<h3 id="two-step-regenerate">${t.regenerate}</h3>
<p class="muted">${t.regenerateText}</p>
<form method="post" action="/account/two-step/recovery-codes" class="form narrow-form" aria-labelledby="two-step-regenerate">
${csrfField(csrf)}
${anyCodeField(m, 'regenerate-code')}
<div class="actions start"><button type="submit">${t.regenerateButton}</button></div>
</form>
<h3 id="two-step-off">${t.turnOff}</h3>
${required ? html`<p class="muted">${t.requiredByOperator}</p>` : html`<p class="muted">${t.turnOffText}</p>
<form method="post" action="/account/two-step/off" class="form narrow-form" aria-labelledby="two-step-off">
${csrfField(csrf)}
<input type="text" name="username" value="${login}" autocomplete="username" hidden>
<label for="off-password">${m.account.currentPassword}</label>
<input id="off-password" name="password" type="password" autocomplete="current-password" required maxlength="256">
${anyCodeField(m, 'off-code')}
<div class="actions start"><button type="submit" class="danger">${t.turnOff}</button></div>
</form>`}`;
}

export interface TwoStepState {
  on: boolean;
  recoveryCodesLeft: number;
  /** The operator's policy covers this user. */
  required: boolean;
}

/** The section of /account. */
export function accountSection(m: Messages, csrf: string, login: string, state: TwoStepState, error: string | null): SafeHtml {
  const t = m.twoStep;
  return html`<section aria-labelledby="two-step">
<h2 id="two-step">${t.section}</h2>
${alert(error)}
${state.on ? html`<p><span class="badge active">${t.on}</span> ${t.onText}</p>
<p class="${state.recoveryCodesLeft === 0 ? 'warning' : 'muted'}">${state.recoveryCodesLeft === 0 ? t.recoveryNoneLeft : format(t.recoveryLeft, { n: String(state.recoveryCodesLeft) })}</p>
${manageForms(m, csrf, login, state.required)}`
  : html`<p class="muted">${t.offText}</p>
${state.required ? html`<p class="warning">${t.setupRequired}</p>` : null}
<p class="actions start"><a class="button primary" href="/account/two-step/setup">${t.turnOn}</a></p>`}
</section>`;
}

/** /account/two-step: the section alone, where a refused form comes back with its error. */
export function managePage(o: { msgs: Messages; csrf: string; nav: NavOptions; here: string; login: string; state: TwoStepState; error: string | null }): SafeHtml {
  return layout({
    msgs: o.msgs,
    title: o.msgs.twoStep.manageTitle,
    nav: o.nav,
    here: o.here,
    body: html`<p class="crumbs"><a href="/account">${o.msgs.account.title}</a></p>
${accountSection(o.msgs, o.csrf, o.login, o.state, o.error)}`,
  });
}

export interface SecondStepPageOptions {
  msgs: Messages;
  csrf: string;
  display: 'page' | 'popup';
  login: string;
  returnTo: string;
  /** The method asked for now, and every method the user has (from second-factors.ts). */
  method: SecondStepMethod;
  methods: SecondStepMethod[];
  error?: string | null;
  /** The passkey script (src/sdk/passkeys.ts) that runs "Use your security key", or null when passkeys cannot work here. */
  securityKeyScript?: string | null;
}

/** /login/two-step: the code the second step asks for, and a link to each other way the user has. */
export function secondStepPage(o: SecondStepPageOptions): SafeHtml {
  const m = o.msgs;
  const t = m.twoStep;
  const link = (method: SecondStepMethod) => {
    const query = new URLSearchParams({ method });
    if (o.returnTo.length > 2000) query.set('return_to', o.returnTo);
    if (o.display === 'popup') query.set('display', 'popup');
    const label = method === 'totp' ? t.useTotp : method === 'recovery' ? t.useRecovery : t.useSecurityKey;
    return html`<p class="aside"><a href="/login/two-step?${query.toString()}">${label}</a></p>`;
  };
  const form = (fields: SafeHtml) => html`<form method="post" action="/login/two-step" class="form">
${csrfField(o.csrf)}
<input type="hidden" name="return_to" value="${o.returnTo}">
<input type="hidden" name="method" value="${o.method}">
${o.display === 'popup' ? html`<input type="hidden" name="display" value="popup">` : null}
<input type="text" name="username" value="${o.login}" autocomplete="username" hidden>
${fields}
<button type="submit" class="primary">${t.verify}</button>
</form>`;
  let body: SafeHtml | null;
  switch (o.method) {
    case 'totp':
      body = html`<p>${t.signInTotpText}</p>${form(totpField(m, t.codeLabel, true))}`;
      break;
    case 'recovery':
      body = html`<p>${t.signInRecoveryText}</p>${form(html`<label for="code">${t.recoveryLabel}</label>
<input id="code" name="code" autocomplete="off" autocapitalize="none" spellcheck="false" required maxlength="20" autofocus>`)}`;
      break;
    case 'security_key':
      body = securityKeyStepForm({ msgs: m, csrf: o.csrf, returnTo: o.returnTo, display: o.display });
      break;
  }
  return layout({
    msgs: m,
    title: t.signInTitle,
    display: o.display,
    script: o.method === 'security_key' ? (o.securityKeyScript ?? null) : null,
    body: html`<h1>${t.signInTitle}</h1>
<p class="subtitle">${formatHtml(t.signInAs, { login: html`<strong translate="no">${o.login}</strong>` })}</p>
${alert(o.error)}
${body}
${o.methods.filter((x) => x !== o.method).map(link)}
<p class="aside"><a href="/login?switch=1&amp;return_to=${encodeURIComponent(o.returnTo)}">${t.startOver}</a></p>`,
  });
}

/** The QR code of an `otpauth://` URI as inline SVG: dark modules on a white square with its quiet zone, whatever the theme. */
export async function qrCodeSvg(uri: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, color: { dark: '#000000', light: '#ffffff' } });
}
