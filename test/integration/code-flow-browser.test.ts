/**
 * The authorization code flow with PKCE as a person lives it, in headless
 * Chromium (docs/protocol.md §3, §10): /authorize sends them to the login page, they sign
 * in, read the consent page, allow, and the browser lands on the app's
 * redirect URI — a small loopback server here — which exchanges the code.
 */
import { jwtVerify } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, pkcePair, postForm } from '../helpers/http-client.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { clickWhenArmed } from '../helpers/consent.js';

const PASSWORD = 'correct horse battery';

let gh: TestGatehouse;
let target: RedirectTarget;
let browser: TestBrowser;
let page: Page;
let app: { clientId: string; clientSecret: string };

beforeAll(async () => {
  [gh, target, browser] = await Promise.all([startGatehouse(), startRedirectTarget(), launchBrowser()]);
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.org' });
  await gh.createUser('bob', PASSWORD, { firstName: 'Bob', email: 'bob@example.org' });
  const created = await gh.createApp({ name: 'Photo Printer', redirectUris: [target.redirectUri], scopes: ['login:info', 'login:email'] });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await target?.close();
  await gh?.close();
});

/** What the app puts in its sign-in link. */
function authorizeUrl(extra: Record<string, string> = {}, clientId = app.clientId): string {
  return `${gh.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, ...extra }).toString()}`;
}

const onLoginPage = (url: URL) => url.origin === gh.url && url.pathname === '/login';
const onAppPage = (url: URL) => url.href.startsWith(target.redirectUri);

async function signIn(login: string, password = PASSWORD): Promise<void> {
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits for the consent page and returns its main heading. */
async function consentHeading(): Promise<string> {
  await page.getByRole('button', { name: 'Allow' }).waitFor();
  return (await page.locator('h1').textContent()) ?? '';
}

async function allow(): Promise<URLSearchParams> {
  await clickWhenArmed(page, 'Allow');
  await page.waitForURL(onAppPage);
  return target.last();
}

async function exchange(code: string, verifier: string): Promise<Record<string, string>> {
  const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, code_verifier: verifier }, { authorization: basicAuth(app.clientId, app.clientSecret) });
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function infoOf(accessToken: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${accessToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('a signed-in user with consent', () => {
  test('signs in, consents and brings code, state and iss back to the app; the code and verifier buy tokens', async () => {
    const pkce = pkcePair();
    await page.goto(authorizeUrl({ state: 'first visit', code_challenge: pkce.challenge, code_challenge_method: 'S256' }));
    expect(onLoginPage(new URL(page.url()))).toBe(true);
    await expect.poll(() => page.locator('.subtitle').textContent()).toBe('to continue to Photo Printer');
    await browser.screenshot(page, 'login-page');

    await signIn('alice');
    expect(await consentHeading()).toBe('Photo Printer wants to access your Gatehouse account');
    const scopes = await page.locator('ul.scopes li').allTextContents();
    expect(scopes).toEqual(['Know your username and your Gatehouse account id', 'See your name, display name and sex', 'See your email addresses']);
    await expect.poll(() => page.locator('.identity strong').textContent()).toBe('Alice Liddell');
    await browser.screenshot(page, 'consent-page');
    await page.emulateMedia({ colorScheme: 'dark' });
    await browser.screenshot(page, 'consent-page-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    const query = await allow();
    expect(query.get('state')).toBe('first visit');
    expect(query.get('iss')).toBe(gh.url);
    const code = query.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const tokens = await exchange(code!, pkce.verifier);
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'login:info login:email' });
    expect(await infoOf(tokens.access_token!)).toMatchObject({
      login: 'alice', first_name: 'Alice', last_name: 'Liddell', default_email: 'alice@example.org', client_id: app.clientId,
    });
    // The same answer as XML and as a JWT signed with the app's own secret (docs/protocol.md §6).
    const auth = { authorization: `OAuth ${tokens.access_token}` };
    const xml = await (await fetch(`${gh.url}/info?format=xml`, { headers: auth })).text();
    expect(xml).toMatch(/<user>.*<login>alice<\/login>.*<default_email>alice@example.org<\/default_email>.*<\/user>$/s);
    const jwt = await (await fetch(`${gh.url}/info?format=jwt`, { headers: auth })).text();
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(app.clientSecret), { issuer: gh.url, algorithms: ['HS256'] });
    expect(payload).toMatchObject({ login: 'alice', email: 'alice@example.org', display_name: 'Alice Liddell' });
  });

  test('skips the consent page when the same scopes were granted before', async () => {
    const pkce = pkcePair();
    const before = target.received.length;
    await page.goto(authorizeUrl({ state: 'again', code_challenge: pkce.challenge }));
    expect(onAppPage(new URL(page.url()))).toBe(true);
    expect(target.received).toHaveLength(before + 1);
    expect(target.last().get('state')).toBe('again');
    const tokens = await exchange(target.last().get('code')!, pkce.verifier);
    expect((await infoOf(tokens.access_token!)).login).toBe('alice');
  });

  test('force_confirm=yes shows the consent page again', async () => {
    await page.goto(authorizeUrl({ state: 'confirm', force_confirm: 'yes' }));
    expect(await consentHeading()).toContain('Photo Printer');
    const query = await allow();
    expect(query.get('state')).toBe('confirm');
    expect(query.get('code')).toBeTruthy();
  });

  test('Deny sends error=access_denied with state and iss back to the app, and no code', async () => {
    const other = await gh.createApp({ name: 'Newsletter', redirectUris: [target.redirectUri], scopes: ['login:email'] });
    await page.goto(authorizeUrl({ state: 'say no' }, other.clientId));
    expect(await consentHeading()).toBe('Newsletter wants to access your Gatehouse account');
    expect(await page.locator('ul.scopes li').allTextContents()).toContain('See your email addresses');
    await clickWhenArmed(page, 'Deny');
    await page.waitForURL(onAppPage);
    const query = target.last();
    expect(query.get('error')).toBe('access_denied');
    expect(query.get('state')).toBe('say no');
    expect(query.get('iss')).toBe(gh.url);
    expect(query.has('code')).toBe(false);
  });

  test('"Not you? Switch account" lets another user sign in', async () => {
    const pkce = pkcePair();
    await page.goto(authorizeUrl({ state: 'switch', force_confirm: 'yes', code_challenge: pkce.challenge }));
    await consentHeading();
    expect(await page.locator('.identity strong').textContent()).toBe('Alice Liddell');
    await page.getByRole('link', { name: 'Not you? Switch account' }).click();
    await page.waitForURL(onLoginPage);
    await signIn('bob');
    await consentHeading();
    expect(await page.locator('.identity strong').textContent()).toBe('Bob');
    const query = await allow();
    expect(query.get('state')).toBe('switch');
    const tokens = await exchange(query.get('code')!, pkce.verifier);
    expect(await infoOf(tokens.access_token!)).toMatchObject({ login: 'bob', first_name: 'Bob' });
  });
});

describe('the login page', () => {
  beforeEach(async () => { await browser.context.clearCookies(); });

  test('login_hint prefills the login field', async () => {
    await page.goto(authorizeUrl({ login_hint: 'bob' }));
    await page.waitForURL(onLoginPage);
    expect(await page.locator('#login').inputValue()).toBe('bob');
    expect(await page.locator('#password').inputValue()).toBe('');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('password');
  });

  test('a wrong password shows a clear message that does not say which field was wrong', async () => {
    await page.goto(authorizeUrl({ state: 'typo' }));
    await signIn('alice', 'not the password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const wrongPassword = (await alert.textContent())?.trim();
    expect(wrongPassword).toBe('The username or password is incorrect.');
    expect(await page.locator('#login').inputValue()).toBe('alice');
    expect(await page.locator('#password').inputValue()).toBe('');
    await browser.screenshot(page, 'login-page-error');

    // An unknown login reads exactly the same, so the page does not tell who has an account.
    await page.goto(authorizeUrl({ state: 'typo' }));
    expect(await page.getByRole('alert').count()).toBe(0);
    await signIn('nobody-here', 'not the password');
    await page.getByRole('alert').waitFor();
    expect((await page.getByRole('alert').textContent())?.trim()).toBe(wrongPassword);

    // And the sign-in goes on once the password is right.
    await signIn('alice');
    await page.waitForURL((url) => !onLoginPage(url));
    expect(await page.getByRole('alert').count()).toBe(0);
  });
});

describe('requests Gatehouse cannot trust', () => {
  test('an unregistered redirect_uri shows the error page and the browser stays on Gatehouse', async () => {
    const evil = 'http://127.0.0.1:1/steal';
    const response = await page.goto(authorizeUrl({ redirect_uri: evil, state: 'x' }));
    expect(response?.status()).toBe(400);
    expect(new URL(page.url()).origin).toBe(gh.url);
    expect(await page.locator('h1').textContent()).toBe('Something is wrong with this request');
    expect(await page.locator('dl.error code').textContent()).toBe('invalid_request');
    await browser.screenshot(page, 'error-page');
  });
});
