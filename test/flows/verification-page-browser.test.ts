/**
 * Codes and tokens that reach the user's browser, in headless Chromium:
 * the confirmation code page (docs/protocol.md §5.2), the debug token page (§5.3) — both
 * `redirect_uri={issuer}/verification_code`, answers in the fragment — and the
 * implicit flow to an app's own redirect URI (§3, RFC 6749 §4.2).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tokenKey } from '../../src/oauth/tokens.js';
import type { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, postForm } from '../helpers/http-client.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { info, PASSWORD } from './support.js';
import { clickWhenArmed } from '../helpers/consent.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let target: RedirectTarget;
let page: Page;
let terminal: { clientId: string; clientSecret: string };
let site: { clientId: string; clientSecret: string };

beforeAll(async () => {
  [gh, browser, target] = await Promise.all([startGatehouse(), launchBrowser(), startRedirectTarget()]);
  await gh.createUser('nina', PASSWORD, { firstName: 'Nina', lastName: 'Simone', email: 'nina@example.org' });
  const c = await gh.createApp({ name: 'Terminal Mail', scopes: ['login:info', 'login:email'] });
  terminal = { clientId: c.clientId, clientSecret: c.clientSecret! };
  const s = await gh.createApp({ name: 'News Site', redirectUris: [target.redirectUri], scopes: ['login:info'], optionalScopes: ['login:email'] });
  site = { clientId: s.clientId, clientSecret: s.clientSecret! };
  page = await browser.newPage();
  await page.goto(`${gh.url}/login`);
  await page.locator('#login').fill('nina');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/');
});
afterAll(async () => {
  await browser?.close();
  await target?.close();
  await gh?.close();
});

const verificationPage = () => `${gh.url}/verification_code`;
const authorize = (params: Record<string, string>) => page.goto(`${gh.url}/authorize?${new URLSearchParams(params).toString()}`);

/** Answers the consent page when it is shown. */
async function consent(decision: 'Allow' | 'Deny'): Promise<void> {
  await clickWhenArmed(page, decision);
}

async function tokenRecord(accessToken: string) {
  return gh.ctx.storage.findToken(tokenKey(accessToken));
}

/** Every token (access and refresh) stored for the family of this access token. */
async function familyTypes(accessToken: string): Promise<string[]> {
  const record = (await tokenRecord(accessToken))!;
  const rows = await (gh.ctx.storage as SqlStorage).db.selectFrom('tokens').select('type').where('family_id', '=', record.familyId).execute();
  return rows.map((r) => r.type).sort();
}

describe('the confirmation code page', () => {
  test('shows a 7-digit code after consent, then drops the fragment; the app exchanges it without redirect_uri and /info works', async () => {
    await authorize({ response_type: 'code', client_id: terminal.clientId, redirect_uri: verificationPage(), state: 'term-1' });
    expect(await page.locator('h1').textContent()).toBe('Terminal Mail wants to access your Gatehouse account');
    await consent('Allow');
    await page.locator('#code-view').waitFor();
    expect(await page.locator('#code-view h1').textContent()).toBe('Your confirmation code');
    const code = (await page.locator('#code').textContent()) ?? '';
    expect(code).toMatch(/^\d{7}$/);
    expect(await page.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    expect(await page.locator('#token-view').isHidden()).toBe(true);
    // The code stays out of the address bar, history and bookmarks.
    expect(page.url()).toBe(verificationPage());
    expect(await page.evaluate(() => location.hash)).toBe('');

    const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code }, { authorization: basicAuth(terminal.clientId, terminal.clientSecret) });
    const tokens = (await res.json()) as Record<string, string>;
    expect(res.status, JSON.stringify(tokens)).toBe(200);
    expect(await info(gh, tokens.access_token!)).toMatchObject({ login: 'nina', default_email: 'nina@example.org' });
    expect((await tokenRecord(tokens.access_token!))!.isDebug).toBe(false);
  });

  test('shows the error when the user denies', async () => {
    await authorize({ response_type: 'code', client_id: terminal.clientId, redirect_uri: verificationPage(), force_confirm: 'yes' });
    await consent('Deny');
    await page.locator('#error-view').waitFor();
    expect(await page.locator('#error-code').textContent()).toBe('access_denied');
    // The page's own words for the code, not the description that came in the fragment.
    expect(await page.locator('#error-description').textContent()).toBe('You did not allow the app to use your account.');
    expect(await page.evaluate(() => location.hash)).toBe('');
  });
});

describe('text in the fragment is never shown as Gatehouse\'s own', () => {
  // Anyone can send a link to Gatehouse's page with any fragment: none of its words may appear.
  const LURE = 'Your account is locked. Call +1 555 0100 and read this code to our agent';

  async function visibleText(fragment: Record<string, string>, lang = 'en'): Promise<string> {
    const attacker = await browser.newPage();
    await attacker.goto(`${verificationPage()}?lang=${lang}#${new URLSearchParams(fragment).toString()}`);
    await attacker.waitForFunction(() => document.getElementById('empty-view')?.hidden || !document.getElementById('empty-text')?.hidden);
    const text = await attacker.evaluate(() => document.body.innerText);
    await attacker.close();
    return text;
  }

  test('a known error code shows only its own localised message, whatever error_description says', async () => {
    const en = await visibleText({ error: 'access_denied', error_description: LURE });
    expect(en).toContain('You did not allow the app to use your account.');
    expect(en).not.toContain('locked');
    const ru = await visibleText({ error: 'invalid_scope', error_description: LURE }, 'ru');
    expect(ru).toContain('Приложение запросило доступ, который ему не разрешён.');
    expect(ru).not.toContain('locked');
  });

  test('an unknown error code shows one generic localised message, and not the code', async () => {
    const en = await visibleText({ error: LURE, error_description: LURE });
    expect(en).toContain('The app reported an error this page does not know.');
    expect(en).not.toContain('locked');
    const ru = await visibleText({ error: 'call_support_now' }, 'ru');
    expect(ru).toContain('Приложение сообщило об ошибке, которой эта страница не знает.');
    expect(ru).not.toContain('call_support_now');
  });

  test('a code or token that is not shaped like Gatehouse\'s is not shown as one', async () => {
    for (const fragment of [{ code: LURE }, { access_token: LURE, expires_in: '60' }, { code: '1234567 — call +1 555 0100' }]) {
      const text = await visibleText(fragment);
      expect(text, JSON.stringify(fragment)).not.toContain('locked');
      expect(text, JSON.stringify(fragment)).not.toContain('555');
      expect(text).toContain('There is no code to show.');
    }
  });
});

describe('the debug token page', () => {
  test('shows a token at once (no code exchange) that works on /info, is marked isDebug and has no refresh token', async () => {
    await authorize({ response_type: 'token', client_id: terminal.clientId, redirect_uri: verificationPage() });
    // Consent was given above for the same scopes: no page this time.
    await page.locator('#token-view').waitFor();
    expect(await page.locator('#token-view h1').textContent()).toBe('Your debug token');
    const token = (await page.locator('#token').textContent()) ?? '';
    expect(token).toMatch(/^gate_at_[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
    expect(await page.locator('#token-expiry').textContent()).toBe('Expires in 365 days');
    expect(page.url()).toBe(verificationPage());

    expect(await info(gh, token)).toMatchObject({ login: 'nina', client_id: terminal.clientId });
    expect(await tokenRecord(token)).toMatchObject({ isDebug: true, type: 'access' });
    expect(await familyTypes(token)).toEqual(['access']);
  });
});

describe('the implicit flow to the app\'s redirect URI', () => {
  const fragment = () => new URLSearchParams(new URL(page.url()).hash.slice(1));

  test('the fragment carries access_token, token_type, expires_in, state and cid, and no scope when all were granted', async () => {
    await authorize({ response_type: 'token', client_id: site.clientId, redirect_uri: target.redirectUri, scope: 'login:info', optional_scope: 'login:email', state: 'st/1 ü' });
    expect(await page.getByLabel('See your email addresses').isChecked()).toBe(false);
    await page.getByLabel('See your email addresses').check();
    await consent('Allow');
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    const f = fragment();
    expect(f.get('access_token')).toMatch(/^gate_at_/);
    expect(f.get('token_type')).toBe('bearer');
    expect(f.get('expires_in')).toBe(String(365 * 24 * 3600));
    expect(f.get('state')).toBe('st/1 ü');
    expect(f.get('cid')).toBe(site.clientId);
    expect(f.has('scope')).toBe(false);
    expect(f.has('refresh_token')).toBe(false);
    expect(f.has('code')).toBe(false);
    // Nothing reached the app's server: the query is empty.
    expect(target.last().toString()).toBe('');
    expect(await info(gh, f.get('access_token')!)).toMatchObject({ login: 'nina', default_email: 'nina@example.org' });
    expect(await familyTypes(f.get('access_token')!)).toEqual(['access']);
    expect((await tokenRecord(f.get('access_token')!))!.isDebug).toBe(false);
  });

  test('scope appears only when the user unticked an optional scope', async () => {
    await authorize({ response_type: 'token', client_id: site.clientId, redirect_uri: target.redirectUri, scope: 'login:info', optional_scope: 'login:email', force_confirm: 'yes', state: 'narrow' });
    // Granted last time, so pre-ticked; the user clears it.
    expect(await page.getByLabel('See your email addresses').isChecked()).toBe(true);
    await page.getByLabel('See your email addresses').uncheck();
    await consent('Allow');
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    const f = fragment();
    expect(f.get('scope')).toBe('login:info');
    expect(f.get('state')).toBe('narrow');
    const me = await info(gh, f.get('access_token')!);
    expect(me.login).toBe('nina');
    expect(me.default_email).toBeUndefined();
  });

  test('Deny sends error=access_denied in the fragment', async () => {
    await authorize({ response_type: 'token', client_id: site.clientId, redirect_uri: target.redirectUri, force_confirm: 'yes', state: 'no' });
    await consent('Deny');
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    const f = fragment();
    expect(f.get('error')).toBe('access_denied');
    expect(f.get('state')).toBe('no');
    expect(f.has('access_token')).toBe(false);
  });

  test('unauthorized_client for an app with only the desktop platform and no suggest hostname, before any sign-in or consent', async () => {
    const desktop = await gh.createApp({ name: 'Desktop app', platforms: ['desktop'], redirectUris: [target.redirectUri], scopes: ['login:info'] });
    const before = await gh.ctx.storage.findConsent((await gh.ctx.storage.findUserByLogin('nina'))!.id, desktop.app.clientId);
    expect(before).toBeNull();
    await authorize({ response_type: 'token', client_id: desktop.clientId, redirect_uri: target.redirectUri, state: 'desk' });
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    const f = fragment();
    expect(f.get('error')).toBe('unauthorized_client');
    expect(f.get('error_description')).toMatch(/response_type=token/);
    expect(f.get('state')).toBe('desk');
    expect(f.has('access_token')).toBe(false);

    // The same desktop app with a suggest hostname may use the implicit flow (instant login, docs/protocol.md §8).
    await gh.ctx.apps.update(desktop.app.clientId, { suggestHostnames: ['https://desktop.example'] });
    await authorize({ response_type: 'token', client_id: desktop.clientId, redirect_uri: target.redirectUri, state: 'desk2' });
    await consent('Allow');
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    expect(fragment().get('access_token')).toMatch(/^gate_at_/);
  });
});
