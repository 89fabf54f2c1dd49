/**
 * The "Passkeys" section of /account (issue 16): the user's passkeys with when
 * each was added and last used, renamed and removed one by one, and a form to
 * add one, which src/sdk/passkeys.ts reveals where the browser can create
 * passkeys (the form needs script: WebAuthn has no other way).
 */
import type { PasskeyRecord } from '../storage/passkey-store.js';
import { html, type SafeHtml } from './html.js';
import { csrfField } from './layout.js';
import { format, type Messages } from './messages/en.js';
import { dateTime } from './parts.js';

export interface PasskeysSectionOptions {
  msgs: Messages;
  csrf: string;
  passkeys: PasskeyRecord[];
  /** An error of the last passkey form, shown in this section. */
  error: string | null;
}

/** "Added …· Last used …": what a person needs to tell a forgotten key from one in use. */
export function usedLine(m: Messages, p: PasskeyRecord): string {
  const k = m.passkeys;
  return `${format(k.added, { time: dateTime(m, p.createdAt) })} · ${p.lastUsedAt !== null ? format(k.lastUsed, { time: dateTime(m, p.lastUsedAt) }) : k.neverUsed}`;
}

/** Field ids must be unique and short: a passkey's place in the list names its fields. */
export function passkeysSection(o: PasskeysSectionOptions): SafeHtml {
  const m = o.msgs;
  const k = m.passkeys;
  return html`<section aria-labelledby="passkeys">
<h2 id="passkeys">${k.title}</h2>
${o.error ? html`<p class="alert" role="alert">${o.error}</p>` : null}
<p class="muted">${k.text}</p>
${o.passkeys.length === 0 ? html`<p class="empty">${k.none}</p>` : html`<ul class="grant-list">${o.passkeys.map((p, i) => html`<li>
<div class="grow"><strong>${p.name}</strong>
<p class="muted small">${usedLine(m, p)}</p>
<form method="post" action="/account/passkeys/rename" class="rename-form">${csrfField(o.csrf)}<input type="hidden" name="id" value="${p.id}">
<label for="passkey-name-${i}" class="visually-hidden">${format(k.newName, { name: p.name })}</label>
<input id="passkey-name-${i}" name="name" value="${p.name}" required maxlength="100" autocomplete="off">
<button type="submit" class="small" aria-label="${format(k.renameOf, { name: p.name })}">${k.rename}</button></form></div>
<form method="post" action="/account/passkeys/remove" class="inline">${csrfField(o.csrf)}<input type="hidden" name="id" value="${p.id}">
<button type="submit" class="danger small" aria-label="${format(k.removeOf, { name: p.name })}">${k.remove}</button></form>
</li>`)}</ul>`}
<p id="passkey-unsupported" class="muted small">${k.unsupported}</p>
<div id="passkey-add" hidden>
<form method="post" action="/account/passkeys" class="form narrow-form" data-webauthn="create" data-options="/account/passkeys/options" data-status="passkey-add-status" data-reveal="passkey-add" data-fallback="passkey-unsupported">
${csrfField(o.csrf)}
<input type="hidden" name="response" value="">
<label for="passkey-name">${k.nameLabel}</label>
<input id="passkey-name" name="name" required maxlength="100" autocomplete="off" aria-describedby="passkey-name-hint">
<small id="passkey-name-hint" class="hint">${k.nameHint}</small>
<div class="actions start"><button type="submit" class="primary" data-start>${k.add}</button></div>
</form>
<p id="passkey-add-status" class="alert" role="alert" hidden data-failed="${k.addFailed}" data-cancelled="${k.addCancelled}" data-exists="${k.addExists}"></p>
</div>
</section>`;
}

/**
 * The two-step page's "Use your security key" (routes/security-key-step.ts):
 * one button that asks the user's own keys, revealed by the passkey script.
 * The page that shows it loads that script (layout's `script`).
 */
export function securityKeyStepForm(o: { msgs: Messages; csrf: string; returnTo: string; display: 'page' | 'popup' }): SafeHtml {
  const k = o.msgs.passkeys;
  return html`<p id="security-key-unsupported" class="muted">${k.unsupported}</p>
<div id="security-key-step" hidden>
<p>${k.securityKeyText}</p>
<form method="post" action="/login/two-step/key" class="passkey-form" data-webauthn="get" data-options="/login/two-step/key/options" data-status="security-key-status" data-reveal="security-key-step" data-fallback="security-key-unsupported">
${csrfField(o.csrf)}
<input type="hidden" name="return_to" value="${o.returnTo}">
<input type="hidden" name="display" value="${o.display}">
<input type="hidden" name="response" value="">
<button type="button" class="primary" data-start>${k.useSecurityKey}</button>
</form>
<p id="security-key-status" class="alert" role="alert" hidden data-failed="${k.errKeyFailed}" data-cancelled="${k.signInCancelled}"></p>
</div>`;
}
