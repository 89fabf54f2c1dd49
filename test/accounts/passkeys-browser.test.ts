/**
 * Passkeys in Chromium with its virtual authenticator (CDP `WebAuthn.*`
 * through playwright-core): a passkey added on /account, then sign-in with no
 * login typed, from the button and from the login field's autofill
 * (conditional mediation: Chromium's virtual environment picks the passkey
 * the moment the page asks, as a person picking it from the list would), the
 * id_token an app gets after it, and a key without user verification turned
 * away. The issuer is http://localhost:<port>: WebAuthn takes no IP address
 * as an RP ID, and plain http only on localhost.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { clickWhenArmed } from '../helpers/consent.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { pkcePair, postForm } from '../helpers/http-client.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { decodeJwt } from '../oidc/support.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let target: RedirectTarget;
let ada: Awaited<ReturnType<TestGatehouse['createUser']>>;
/** Ada's passkey as the first virtual authenticator holds it, to put into the authenticators of other browsers. */
let credential: Record<string, unknown>;
/** Signature counters for the copies, each past the last: a copy showing an old counter is a clone, and refused (see below). */
let counter = 100;
const contexts: BrowserContext[] = [];

interface Authenticated {
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

/**
 * A fresh browser (no cookies) with a virtual platform authenticator.
 * `autofill: false` is a browser without conditional mediation, where only the button offers passkeys.
 */
async function newBrowser(options: { userVerified?: boolean; userVerification?: boolean; autofill?: boolean; holdsPasskey?: boolean; signCount?: number } = {}): Promise<Authenticated> {
  const context = await browser.browser.newContext({ viewport: { width: 800, height: 900 }, locale: 'en-US' });
  contexts.push(context);
  if (options.autofill === false) {
    await context.addInitScript(() => {
      Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false });
    });
  }
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: options.userVerification ?? true,
      isUserVerified: options.userVerified ?? true, automaticPresenceSimulation: true,
    },
  });
  if (options.holdsPasskey) {
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, signCount: options.signCount ?? (counter += 100) } as never });
  }
  return { page, cdp, authenticatorId };
}

async function signedOut(page: Page): Promise<boolean> {
  const res = await page.request.get(`${gh.url}/account`, { maxRedirects: 0 });
  return res.status() === 302;
}

beforeAll(async () => {
  [gh, target, browser] = await Promise.all([startGatehouse({ issuerHost: 'localhost' }), startRedirectTarget(), launchBrowser()]);
  ada = await gh.createUser('ada', 'correct horse battery', { firstName: 'Ada', lastName: 'Lovelace' });
});
afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await target?.close();
  await gh?.close();
});

describe('passkeys in Chromium', () => {
  test('a passkey added on /account signs in with no login typed: "Sign in with a passkey", straight on to return_to', async () => {
    const { page, cdp, authenticatorId } = await newBrowser({ autofill: false });
    await page.goto(`${gh.url}/login?return_to=${encodeURIComponent('/account')}`);
    await page.locator('#login').fill('ada');
    await page.locator('#password').fill(ada.password);
    await page.locator('form[action="/login"] button[type=submit]').click();
    await page.waitForURL(`${gh.url}/account`);

    await page.locator('#passkey-name').fill('This laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(/done=passkeyAdded/);
    await expect.poll(() => page.locator('#passkeys ~ ul li strong').allTextContents()).toEqual(['This laptop']);
    const held = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    expect(held.map((c) => [c.isResidentCredential, c.rpId])).toEqual([[true, 'localhost']]);
    credential = { ...held[0]! };
    expect(Buffer.from(held[0]!.userHandle!, 'base64').toString()).toBe(ada.id);

    await page.getByRole('button', { name: 'Sign out' }).first().click();
    await page.waitForLoadState();
    expect(await signedOut(page)).toBe(true);

    await page.goto(`${gh.url}/login?return_to=${encodeURIComponent('/account?from=passkey')}`);
    expect(await page.locator('#login').inputValue()).toBe('');
    expect(await page.locator('#login').getAttribute('autocomplete')).toBe('username webauthn');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    // No password, and no second step: a passkey that verified its user is a whole sign-in.
    await page.waitForURL(`${gh.url}/account?from=passkey`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your account');
    await expect.poll(() => page.locator('#passkeys ~ ul li p').first().textContent()).toMatch(/Last used/);
  });

  test('passkeys are offered in the login field\'s autofill (conditional mediation): picking one signs in, nothing typed or clicked', async () => {
    const { page } = await newBrowser({ holdsPasskey: true });
    await page.goto(`${gh.url}/login?return_to=${encodeURIComponent('/account?from=autofill')}`);
    await page.waitForURL(`${gh.url}/account?from=autofill`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your account');
    const [entry] = await gh.ctx.audit.list({ userId: ada.id, action: 'sign_in' });
    expect(entry).toMatchObject({ outcome: 'ok', details: { method: 'passkey', amr: ['hwk', 'user'] } });
  });

  test('an app\'s id_token after a passkey sign-in says how: amr hwk and user (two factors: mfa), acr 2', async () => {
    const app = await gh.createApp({ name: 'Passkey app', redirectUris: [target.redirectUri], scopes: ['openid', 'login:info'] });
    const { page } = await newBrowser({ autofill: false, holdsPasskey: true });
    const pkce = pkcePair();
    await page.goto(`${gh.url}/authorize?${new URLSearchParams({
      response_type: 'code', client_id: app.clientId, redirect_uri: target.redirectUri, scope: 'openid', state: 'pk', nonce: 'n-1',
      code_challenge: pkce.challenge, code_challenge_method: 'S256',
    })}`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await clickWhenArmed(page, 'Allow');
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    const code = target.last().get('code')!;
    const res = await postForm(`${gh.url}/token`, {
      grant_type: 'authorization_code', code, redirect_uri: target.redirectUri, client_id: app.clientId, client_secret: app.clientSecret!, code_verifier: pkce.verifier,
    });
    const { id_token } = (await res.json()) as { id_token: string };
    const { payload } = decodeJwt(id_token);
    expect(payload.amr).toEqual(['hwk', 'user', 'mfa']);
    expect(payload.acr).toBe('2');
    expect(payload.nonce).toBe('n-1');
  });

  test('a key that does not verify its user is not signed in by the passkey button', async () => {
    // A security key without user verification (no PIN, no fingerprint), added on /account after the password. Chromium
    // does not even offer it for a sign-in with no login typed (it made the credential discoverable only with user
    // verification: credProtect); Gatehouse's own refusal of an assertion with the UV flag clear is proved with a
    // software authenticator in passkeys.test.ts.
    const bob = await gh.createUser('bob', 'correct horse battery');
    const key = await newBrowser({ autofill: false, userVerification: false });
    await key.page.goto(`${gh.url}/login?return_to=${encodeURIComponent('/account')}`);
    await key.page.locator('#login').fill('bob');
    await key.page.locator('#password').fill(bob.password);
    await key.page.locator('form[action="/login"] button[type=submit]').click();
    await key.page.waitForURL(`${gh.url}/account`);
    await key.page.locator('#passkey-name').fill('Security key');
    await key.page.getByRole('button', { name: 'Add a passkey' }).click();
    await key.page.waitForURL(/done=passkeyAdded/);
    expect((await gh.ctx.passkeys.list(bob.id)).map((k) => k.userVerified)).toEqual([false]);
    await key.page.getByRole('button', { name: 'Sign out' }).first().click();
    await key.page.waitForLoadState();
    await key.page.goto(`${gh.url}/login?return_to=${encodeURIComponent('/account')}`);
    await key.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect.poll(() => key.page.locator('#passkey-status').textContent()).toMatch(/No passkey was used/);
    expect(await signedOut(key.page)).toBe(true);
    // An authenticator that can verify its user but fails to (isUserVerified false): the browser itself gives up; nobody is signed in.
    const failing = await newBrowser({ autofill: false, holdsPasskey: true, userVerified: false });
    await failing.page.goto(`${gh.url}/login?return_to=${encodeURIComponent('/account')}`);
    await failing.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect.poll(() => failing.page.locator('#passkey-status').textContent()).toMatch(/No passkey was used/);
    expect(await signedOut(failing.page)).toBe(true);
  });

  test('a copy of the passkey showing a signature counter already seen (a cloned key, WebAuthn §6.1.1) is refused; the popup stays a popup', async () => {
    const { page } = await newBrowser({ autofill: false, holdsPasskey: true, signCount: 1 });
    await page.goto(`${gh.url}/login?display=popup&return_to=${encodeURIComponent('/account')}`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect.poll(() => page.locator('p.alert[role=alert]').first().textContent()).toMatch(/could not sign you in/);
    expect(await page.locator('body').getAttribute('class')).toBe('popup');
    expect(await signedOut(page)).toBe(true);
  });

  test('without script the sign-in page is the password form, and the passkey parts stay hidden', async () => {
    const context = await browser.browser.newContext({ javaScriptEnabled: false });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${gh.url}/login`);
    expect(await page.locator('#passkey-sign-in').isVisible()).toBe(false);
    await page.locator('#login').fill('ada');
    await page.locator('#password').fill(ada.password);
    await page.locator('form[action="/login"] button[type=submit]').click();
    await page.waitForURL(`${gh.url}/`);
    await page.goto(`${gh.url}/account`);
    expect(await page.locator('#passkey-add').isVisible()).toBe(false);
    expect(await page.locator('#passkey-unsupported').isVisible()).toBe(true);
  });
});
