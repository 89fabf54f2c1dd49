/**
 * @gatehouse/client in Node against a real Gatehouse: the loopback sign-in
 * (RFC 8252 §7.3) with the browser step done by Chromium, the device flow
 * (RFC 8628) allowed in Chromium, refresh (RFC 6749 §6) and automatic
 * refresh, revocation (RFC 7009), user info, the state and iss checks
 * (RFC 6749 §10.12, RFC 9207) and the 0600 file token store.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GatehouseClient, GatehouseError, OAuthError, RedirectMismatchError, type TokenSet } from '../../packages/client/src/index.js';
import { FileTokenStore, loopbackLogin } from '../../packages/client/src/node/index.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { clickWhenArmed } from '../helpers/consent.js';

const PASSWORD = 'correct horse battery';

let gh: TestGatehouse;
let browser: TestBrowser;
let clientId: string;
let alice: HttpUser;
let tmp: string;

beforeAll(async () => {
  [gh, browser] = await Promise.all([startGatehouse(), launchBrowser()]);
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.org' });
  alice = new HttpUser(gh, 'alice', PASSWORD);
  ({ clientId } = await gh.createApp({ name: 'Notes CLI', platforms: ['desktop'], redirectUris: [], scopes: ['login:info', 'login:email', 'openid', 'profile'] }));
  tmp = mkdtempSync(path.join(tmpdir(), 'gatehouse-sdk-'));
});
afterAll(async () => {
  await browser?.close();
  await gh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The person at the browser: signs in if asked, allows on the consent page, and reads the page the program showed. */
async function signInAndAllow(page: Page, url: string): Promise<string> {
  await page.goto(url);
  if (new URL(page.url()).pathname === '/login') {
    await page.locator('#login').fill('alice');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await clickWhenArmed(page, 'Allow');
  const heading = page.getByRole('heading', { name: 'Signed in' });
  await heading.waitFor();
  return (await heading.textContent()) ?? '';
}

async function infoStatus(accessToken: string): Promise<number> {
  const res = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${accessToken}` } });
  await res.arrayBuffer();
  return res.status;
}

/** A signed-in client without a browser: the authorization request answered over HTTP. */
async function signedInClient(options: Partial<ConstructorParameters<typeof GatehouseClient>[0]> = {}, app = clientId): Promise<GatehouseClient> {
  const client = new GatehouseClient({ issuer: gh.url, clientId: app, redirectUri: 'http://127.0.0.1:41000/', scope: 'login:info', ...options });
  const pending = await client.authorize();
  const { location } = await alice.authorize(Object.fromEntries(new URL(pending.url).searchParams));
  await client.handleRedirect(location, pending);
  return client;
}

describe('loopback sign-in with the system browser (Chromium)', () => {
  test('authorize with PKCE S256 and state, the browser comes back to 127.0.0.1, tokens are stored in a 0600 file and work', async () => {
    const store = new FileTokenStore(path.join(tmp, 'nested', 'tokens.json'));
    const client = new GatehouseClient({ issuer: gh.url, clientId, scope: 'login:info login:email', store });
    const page = await browser.newPage();
    let shown = '';
    let authorizeUrl: URL | null = null;
    const tokens = await loopbackLogin(client, {
      openBrowser: false,
      async onUrl(url) {
        authorizeUrl = new URL(url);
        // The browser works on its own while loopbackLogin waits for it.
        void signInAndAllow(page, url).then((h1) => { shown = h1; });
      },
    });
    const sent = authorizeUrl!.searchParams;
    expect(sent.get('code_challenge_method')).toBe('S256');
    expect(sent.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sent.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sent.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(tokens).toMatchObject({ accessToken: expect.stringMatching(/^gate_at_/), refreshToken: expect.stringMatching(/^gate_rt_/), scope: ['login:info', 'login:email'], tokenType: 'bearer' });
    await expect.poll(() => shown, { timeout: 5_000 }).toBe('Signed in');
    expect(await page.locator('p').textContent()).toContain('You can close this tab');
    expect(await store.get()).toEqual(tokens);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(await client.getUserInfo()).toMatchObject({ login: 'alice', client_id: clientId, default_email: 'alice@example.org' });
    await page.close();
  });
});

describe('tokens', () => {
  test('refresh(): new tokens, the old refresh token retired (public client rotation)', async () => {
    const client = await signedInClient();
    const before = (await client.store.get())!;
    const after = await client.refresh();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await client.store.get()).toEqual(after);
    expect(await infoStatus(after.accessToken)).toBe(200);
    // Two refreshes at once share one request: a second use of the old token would revoke the family.
    const [a, b] = await Promise.all([client.refresh(), client.refresh()]);
    expect(a).toBe(b);
    expect(await infoStatus(a.accessToken)).toBe(200);
  });

  test('getAccessToken() refreshes shortly before expiry; autoRefresh does it on a timer', async () => {
    const { clientId: shortLived } = await gh.createApp({ name: 'Short tokens', platforms: ['desktop'], redirectUris: [], scopes: ['login:info'], accessTokenTtlSeconds: 60 });
    let offset = 0;
    const seen: TokenSet[] = [];
    const client = await signedInClient({ now: () => Date.now() + offset, onTokens: (t) => seen.push(t) }, shortLived);
    const first = (await client.store.get())!;
    expect(first.expiresIn).toBe(60);
    expect(await client.getAccessToken()).toBe(first.accessToken);
    // 60 s tokens are refreshed in their last quarter (15 s).
    offset = 44_000;
    expect(await client.getAccessToken()).toBe(first.accessToken);
    offset = 46_000;
    const second = await client.getAccessToken();
    expect(second).not.toBe(first.accessToken);
    expect(await infoStatus(second)).toBe(200);
    expect(seen.map((t) => t.accessToken)).toEqual([first.accessToken, second]);

    // The timer: refreshing 59.7 s before expiry, the refresh of a 60 s token is due 0.3 s after it is issued.
    const timed = await signedInClient({ autoRefresh: true, refreshMarginSeconds: 59.7 }, shortLived);
    const issued = (await timed.store.get())!.accessToken;
    await expect.poll(async () => (await timed.store.get())!.accessToken, { timeout: 5_000 }).not.toBe(issued);
    timed.stopTimer();
    expect(await infoStatus((await timed.store.get())!.accessToken)).toBe(200);
  });

  test('revoke(): /revoke (RFC 7009), tokens forgotten and refused by /info', async () => {
    const client = await signedInClient();
    const tokens = (await client.store.get())!;
    await client.revoke();
    expect(await client.store.get()).toBeNull();
    expect(await infoStatus(tokens.accessToken)).toBe(401);
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'not_signed_in' });
    await expect(client.refresh()).rejects.toBeInstanceOf(GatehouseError);
  });

  test('getUserInfo(): /info fields by scope, or OpenID Connect claims from /userinfo', async () => {
    const client = await signedInClient({ scope: 'login:info openid profile' });
    expect(await client.getUserInfo()).toMatchObject({ login: 'alice', first_name: 'Alice', last_name: 'Liddell', psuid: expect.any(String) });
    expect(await client.getUserInfo()).not.toHaveProperty('default_email');
    expect(await client.getUserInfo({ endpoint: 'userinfo' })).toMatchObject({ sub: expect.any(String), given_name: 'Alice', family_name: 'Liddell' });
  });
});

describe('handleRedirect() checks', () => {
  async function redirectFor(client: GatehouseClient) {
    const pending = await client.authorize();
    const { location } = await alice.authorize(Object.fromEntries(new URL(pending.url).searchParams));
    return { pending, location };
  }

  test('refuses a state it did not send, before exchanging the code (RFC 6749 §10.12)', async () => {
    const client = new GatehouseClient({ issuer: gh.url, clientId, redirectUri: 'http://127.0.0.1:41001/' });
    const { pending, location } = await redirectFor(client);
    const forged = new URL(location);
    forged.searchParams.set('state', 'attacker');
    await expect(client.handleRedirect(forged, pending)).rejects.toSatisfy((e) => e instanceof RedirectMismatchError && e.code === 'state_mismatch');
    expect(await client.store.get()).toBeNull();
    // The genuine response still works: the check did not spend the code.
    expect((await client.handleRedirect(location, pending)).accessToken).toMatch(/^gate_at_/);
  });

  test('refuses a response from another issuer, or without iss (RFC 9207 §2.4)', async () => {
    const client = new GatehouseClient({ issuer: gh.url, clientId, redirectUri: 'http://127.0.0.1:41002/' });
    const { pending, location } = await redirectFor(client);
    expect(location.searchParams.get('iss')).toBe(gh.url);
    const other = new URL(location);
    other.searchParams.set('iss', 'https://evil.example');
    await expect(client.handleRedirect(other, pending)).rejects.toMatchObject({ code: 'issuer_mismatch', description: expect.stringContaining('https://evil.example') });
    const missing = new URL(location);
    missing.searchParams.delete('iss');
    await expect(client.handleRedirect(missing, pending)).rejects.toMatchObject({ code: 'issuer_mismatch' });
    expect(await client.store.get()).toBeNull();
  });

  test('turns an error response into an OAuthError with its code', async () => {
    const client = new GatehouseClient({ issuer: gh.url, clientId, redirectUri: 'http://127.0.0.1:41003/' });
    const pending = await client.authorize({ forceConfirm: true });
    const { location } = await alice.authorize(Object.fromEntries(new URL(pending.url).searchParams), 'deny');
    await expect(client.handleRedirect(location, pending)).rejects.toSatisfy((e) => e instanceof OAuthError && e.code === 'access_denied');
  });

  test('a wrong client_id is the server\'s invalid_client, typed', async () => {
    const client = new GatehouseClient({ issuer: gh.url, clientId: '0'.repeat(32) });
    await expect(client.deviceLogin({ onCode: () => {} })).rejects.toMatchObject({ name: 'OAuthError', code: 'invalid_client', status: 400 });
  });
});

describe('device login (RFC 8628)', () => {
  test('the user allows in Chromium from the QR code\'s link; the SDK waits the interval and gets tokens', async () => {
    const client = new GatehouseClient({ issuer: gh.url, clientId, scope: 'login:info' });
    const page = await browser.newPage();
    let browsing: Promise<void> = Promise.resolve();
    const started = performance.now();
    const tokens = await client.deviceLogin({
      deviceId: 'build-server-01',
      deviceName: 'Build server',
      onCode(code) {
        expect(code.userCode).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
        expect(code.verificationUri).toBe(`${gh.url}/device`);
        expect(code.verificationUriComplete).toBe(`${gh.url}/device?user_code=${code.userCode}`);
        expect(code.qr.text.split('\n').length).toBeGreaterThan(10);
        expect(code.qr.svg).toMatch(/^<svg /);
        browsing = (async () => {
          await page.goto(code.verificationUriComplete);
          if (new URL(page.url()).pathname === '/login') {
            await page.locator('#login').fill('alice');
            await page.locator('#password').fill(PASSWORD);
            await page.getByRole('button', { name: 'Sign in' }).click();
          }
          expect(await page.locator('#user_code').inputValue()).toBe(code.userCode);
          await page.getByRole('button', { name: 'Continue' }).click();
          expect(await page.locator('body').textContent()).toContain('Build server');
          await clickWhenArmed(page, 'Allow');
        })();
      },
    });
    await browsing;
    expect(performance.now() - started).toBeGreaterThanOrEqual(5_000);
    expect(tokens).toMatchObject({ accessToken: expect.stringMatching(/^gate_at_/), scope: ['login:info'] });
    expect(await client.getUserInfo()).toMatchObject({ login: 'alice' });
    await page.close();
  }, 30_000);

  test('an AbortSignal stops the polling with code aborted', async () => {
    const client = new GatehouseClient({ issuer: gh.url, clientId });
    const controller = new AbortController();
    const login = client.deviceLogin({ signal: controller.signal, onCode: () => { setTimeout(() => controller.abort(), 50); } });
    await expect(login).rejects.toMatchObject({ code: 'aborted' });
  });
});
