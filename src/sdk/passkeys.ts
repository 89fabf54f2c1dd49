/**
 * Gatehouse's passkey pages (sign-in, /account, the second step): the
 * WebAuthn ceremonies in the browser, with @simplewebauthn/browser.
 *
 * A form marked `data-webauthn` is a ceremony: `get` (sign in with a key, or a
 * key as the second step) or `create` (add a key). Its button asks the server
 * for options (`data-options`, a POST carrying the form's CSRF token), hands
 * them to the browser, puts the answer in the form's `response` field and
 * submits the form: the server checks it and answers with the next page, as
 * for any form. `data-autofill` also offers passkeys in the login field's
 * autofill (conditional mediation) when the browser can. The forms stay
 * hidden until this script finds WebAuthn, so without it (or without script)
 * the password form is all there is.
 */
import { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, startAuthentication, startRegistration, WebAuthnError } from '@simplewebauthn/browser';

type Mode = 'get' | 'create';

async function fetchOptions(form: HTMLFormElement): Promise<unknown> {
  const csrf = (form.elements.namedItem('csrf') as HTMLInputElement | null)?.value ?? '';
  const res = await fetch(form.dataset.options!, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf }).toString(),
  });
  if (!res.ok) throw new Error(`options: ${res.status}`);
  return res.json();
}

function show(form: HTMLFormElement, which: 'failed' | 'exists' | 'cancelled'): void {
  const status = document.getElementById(form.dataset.status ?? '');
  if (!status) return;
  status.textContent = status.dataset[which] ?? status.dataset.failed ?? '';
  status.hidden = false;
}

function submitWith(form: HTMLFormElement, answer: unknown): void {
  (form.elements.namedItem('response') as HTMLInputElement).value = JSON.stringify(answer);
  form.submit();
}

/** The browser's answer: the user closed the dialog, or the ceremony was replaced by another (an abort). */
function cancelled(err: unknown): boolean {
  const name = err instanceof WebAuthnError ? (err as { cause?: Error }).cause?.name : (err as Error | undefined)?.name;
  return name === 'NotAllowedError' || name === 'AbortError' || (err instanceof WebAuthnError && err.code === 'ERROR_CEREMONY_ABORTED');
}

async function ceremony(form: HTMLFormElement, mode: Mode, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const optionsJSON = await fetchOptions(form);
    const answer = mode === 'create'
      ? await startRegistration({ optionsJSON: optionsJSON as Parameters<typeof startRegistration>[0]['optionsJSON'] })
      : await startAuthentication({ optionsJSON: optionsJSON as Parameters<typeof startAuthentication>[0]['optionsJSON'] });
    submitWith(form, answer);
  } catch (err) {
    if (err instanceof WebAuthnError && err.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') show(form, 'exists');
    else show(form, cancelled(err) ? 'cancelled' : 'failed');
    button.disabled = false;
  }
}

/** Passkeys offered in the login field's autofill; picking one signs in. Quietly does nothing where unsupported. */
async function autofill(form: HTMLFormElement): Promise<void> {
  if (!(await browserSupportsWebAuthnAutofill())) return;
  try {
    const optionsJSON = await fetchOptions(form);
    submitWith(form, await startAuthentication({ optionsJSON: optionsJSON as Parameters<typeof startAuthentication>[0]['optionsJSON'], useBrowserAutofill: true }));
  } catch {
    // Replaced by the button's own ceremony, or the browser gave up: the button and the password remain.
  }
}

if (browserSupportsWebAuthn()) {
  document.querySelectorAll<HTMLFormElement>('form[data-webauthn]').forEach((form) => {
    const mode: Mode = form.dataset.webauthn === 'create' ? 'create' : 'get';
    const button = form.querySelector<HTMLButtonElement>('button[data-start]');
    if (!button) return;
    const container = document.getElementById(form.dataset.reveal ?? '');
    if (container) container.hidden = false;
    document.getElementById(form.dataset.fallback ?? '')?.setAttribute('hidden', '');
    // A `create` form has fields to fill first (the key's name): its submit starts the ceremony once they are valid.
    if (mode === 'create') {
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        void ceremony(form, mode, button);
      });
    } else {
      button.addEventListener('click', () => void ceremony(form, mode, button));
    }
    if (form.dataset.autofill !== undefined) void autofill(form);
  });
}
