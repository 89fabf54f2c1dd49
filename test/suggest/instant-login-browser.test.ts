/**
 * Instant login on another website, in real Chromium (docs/protocol.md §8): the site on
 * `http://localhost:PORT`, Gatehouse on `http://127.0.0.1:PORT2`, so
 * Gatehouse's frame is third-party and Chromium sends it no Gatehouse cookie.
 * The site loads suggest.js, the button or the widget appears, a click opens
 * the pop-up, the user signs in and allows, and the token page hands the
 * token to the site's page.
 */
import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, postForm } from '../helpers/http-client.js';
import { startSite, type PageOptions, type Site } from './site.js';
import { clickWhenArmed } from '../helpers/consent.js';

// Each test signs in through a real pop-up in Chromium: allow for a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const PASSWORD = 'correct horse battery';

let gh: TestGatehouse;
let site: Site;
let tb: TestBrowser;
let app: { clientId: string; clientSecret: string };

interface Outcome {
  init: string | null;
  result: Record<string, unknown> | null;
  error: { status: string; code: string; description?: string } | null;
}

beforeAll(async () => {
  [gh, tb] = await Promise.all([startGatehouse({ host: '127.0.0.1' }), launchBrowser()]);
  site = await startSite(gh.url);
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.org' });
  await gh.createUser('bob', PASSWORD, { firstName: 'Bob' });
  await gh.createUser('carol', PASSWORD, { firstName: 'Carol', lastName: 'Vorderman' });
  await gh.createUser('dave', PASSWORD, { firstName: 'Dave' });
  const created = await gh.createApp({
    name: 'Photo Printer', redirectUris: [site.tokenPage], suggestHostnames: [site.origin], scopes: ['login:info', 'login:email'],
  });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
});
afterAll(async () => {
  await tb?.close();
  await site?.close();
  await gh?.close();
});

/** A fresh browser profile: its own cookies and partitioned storage. */
async function freshProfile(): Promise<BrowserContext> {
  return tb.browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'en-US' });
}

async function openSite(context: BrowserContext, options: Partial<PageOptions> = {}, at?: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(site.pageUrl({ clientId: app.clientId, view: 'button', ...options }, at));
  return page;
}

const outcome = (page: Page) => page.evaluate(() => (window as unknown as { outcome: Outcome }).outcome);

async function initAnswered(page: Page): Promise<Outcome> {
  await page.waitForFunction(() => (window as unknown as { outcome: Outcome }).outcome.init !== null, null, { timeout: 10_000 });
  return outcome(page);
}

/** `init` resolved; when it did not, the assertion says why. */
async function initOk(page: Page): Promise<void> {
  const answer = await initAnswered(page);
  expect(answer.init, JSON.stringify(answer.error)).toBe('ok');
}

async function settled(page: Page): Promise<Outcome> {
  await page.waitForFunction(() => {
    const o = (window as unknown as { outcome: Outcome }).outcome;
    return o.result !== null || o.error !== null;
  }, null, { timeout: 15_000 });
  return outcome(page);
}

const buttonFrame = (page: Page): FrameLocator => page.frameLocator('#login iframe');
const widgetFrame = (page: Page): FrameLocator => page.frameLocator('iframe[src*="/suggest?"]');

/** Clicks Gatehouse's button in the frame and returns the pop-up it opens. */
async function clickForPopup(page: Page, button = buttonFrame(page).locator('#gh-button')): Promise<Page> {
  const opened = page.context().waitForEvent('page');
  await button.click();
  const popup = await opened;
  await popup.waitForLoadState();
  return popup;
}

/** Signs in on the pop-up's login page when it shows one, then answers the consent page when it shows one. */
async function signInAndDecide(popup: Page, login: string | null, decision: 'Allow' | 'Deny' | null = 'Allow'): Promise<void> {
  if (login) {
    await popup.locator('#login').fill(login);
    await popup.locator('#password').fill(PASSWORD);
    await popup.getByRole('button', { name: 'Sign in' }).click();
  }
  if (decision) await clickWhenArmed(popup, decision);
}

async function info(token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('the button on another site, third-party cookies blocked', () => {
  let profile: BrowserContext;
  beforeAll(async () => {
    profile = await freshProfile();
  });
  afterAll(async () => {
    await profile?.close();
  });

  test('loads suggest.js, draws Gatehouse’s button; a click opens the 640×720 pop-up; after sign-in and consent the token reaches the page and works on /info', async () => {
    const page = await openSite(profile, { state: 'first visit' });
    await initOk(page);
    const button = buttonFrame(page).locator('#gh-button');
    await expect.poll(() => button.textContent()).toContain('Log in with Gatehouse');
    expect(await page.locator('#login iframe').evaluate((f) => [f.getBoundingClientRect().width, f.getBoundingClientRect().height])).toEqual([320, 44]);

    const popup = await clickForPopup(page);
    const popupUrl = new URL(popup.url());
    expect(popupUrl.origin).toBe(gh.url);
    expect(popupUrl.pathname).toBe('/login');
    expect(new URLSearchParams(popupUrl.searchParams.get('return_to')!.split('?')[1]).get('display')).toBe('popup');
    expect(await popup.evaluate(() => [window.outerWidth, window.outerHeight])).toEqual([640, 720]);
    await signInAndDecide(popup, 'alice');

    const done = await settled(page);
    expect(done.error).toBeNull();
    const data = done.result!;
    expect(data).toMatchObject({ token_type: 'bearer', state: 'first visit', cid: app.clientId, extraData: { from: 'token page' } });
    expect(typeof data.expires_in).toBe('number');
    expect(String(data.access_token)).toMatch(/^gate_at_/);
    await expect.poll(() => popup.isClosed()).toBe(true);
    const me = await info(String(data.access_token));
    expect(me).toMatchObject({ login: 'alice', client_id: app.clientId, display_name: 'Alice Liddell' });
    await page.close();
  });

  test('the next visit to the site shows the personal button, "Log in as Alice"; after signing out of Gatehouse it no longer does', async () => {
    const page = await openSite(profile);
    await initOk(page);
    const button = buttonFrame(page).locator('#gh-button');
    expect(await button.textContent()).toContain('Log in as Alice');
    expect(await buttonFrame(page).locator('.gh-avatar').textContent()).toBe('A');
    await tb.screenshot(page, 'suggest-personal-button');

    // Signing in again is one click: Gatehouse remembers the session and the consent in the pop-up.
    const popup = await clickForPopup(page);
    const done = await settled(page);
    expect(done.result?.access_token).toMatch(/^gate_at_/);
    await expect.poll(() => popup.isClosed()).toBe(true);

    // Sign out of Gatehouse, first-party.
    const gatehouse = await profile.newPage();
    await gatehouse.goto(`${gh.url}/logout`);
    await gatehouse.getByRole('button', { name: 'Sign out' }).click();
    await gatehouse.waitForURL((url) => url.pathname === '/logout');
    await gatehouse.close();

    await page.reload();
    await initOk(page);
    const after = buttonFrame(page).locator('#gh-button');
    expect(await after.textContent()).toContain('Log in with Gatehouse');
    expect(await after.textContent()).not.toContain('Alice');
    await page.close();
  });
});

describe('the token, the code and the refusals', () => {
  let profile: BrowserContext;
  beforeAll(async () => {
    profile = await freshProfile();
  });
  afterAll(async () => {
    await profile?.close();
  });

  test('a forged token message from another origin is ignored; the real one arrives', async () => {
    const page = await openSite(profile, { forgeFrom: site.otherOrigin, state: 'real' });
    await initOk(page);
    // The forger posts every 100 ms; give it time to be heard.
    await page.waitForTimeout(600);
    expect((await outcome(page)).result).toBeNull();
    const popup = await clickForPopup(page);
    await signInAndDecide(popup, 'bob');
    const done = await settled(page);
    expect(done.result?.access_token).not.toBe('gate_at_forged');
    expect(done.result?.state).toBe('real');
    expect(await info(String(done.result!.access_token))).toMatchObject({ login: 'bob' });
    await page.close();
  });

  test('response_type=code delivers a code, which the app exchanges for tokens', async () => {
    const page = await openSite(profile, { responseType: 'code', state: 'with a code' });
    await initOk(page);
    await clickForPopup(page);
    const done = await settled(page);
    expect(done.error).toBeNull();
    expect(done.result).toMatchObject({ state: 'with a code', iss: gh.url, extraData: { from: 'token page' } });
    expect(done.result).not.toHaveProperty('access_token');
    const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code: String(done.result!.code), redirect_uri: site.tokenPage }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    const tokens = (await res.json()) as Record<string, string>;
    expect(res.status, JSON.stringify(tokens)).toBe(200);
    expect(await info(tokens.access_token!)).toMatchObject({ login: 'bob' });
    await page.close();
  });

  test('denying consent rejects with denied', async () => {
    const fresh = await freshProfile();
    const page = await openSite(fresh);
    await initOk(page);
    const popup = await clickForPopup(page);
    const login = await gh.createUser(undefined, PASSWORD);
    await signInAndDecide(popup, login.login, 'Deny');
    const done = await settled(page);
    expect(done.result).toBeNull();
    expect(done.error).toMatchObject({ status: 'error', code: 'denied' });
    await fresh.close();
  });

  test('closing the pop-up rejects with close_widget', async () => {
    const fresh = await freshProfile();
    const page = await openSite(fresh);
    await initOk(page);
    const popup = await clickForPopup(page);
    await popup.close();
    const done = await settled(page);
    expect(done.error).toMatchObject({ status: 'error', code: 'close_widget' });
    await fresh.close();
  });
});

describe('the widget', () => {
  test('appears in a corner, personal after a sign-in from this site; closing it rejects with close_widget', async () => {
    const profile = await freshProfile();
    const page = await openSite(profile, { view: 'default' });
    await initOk(page);
    const frame = page.locator('iframe[src*="/suggest?"]');
    const box = (await frame.boundingBox())!;
    expect(box.x + box.width).toBeGreaterThan(1000 - 40);
    expect(box.y).toBeLessThan(40);
    expect(await widgetFrame(page).locator('.gh-pitch').textContent()).toContain('Photo Printer');
    await tb.screenshot(page, 'suggest-widget');

    // Sign in through the widget: the token arrives, the widget goes away.
    const popup = await clickForPopup(page, widgetFrame(page).locator('#gh-button'));
    await signInAndDecide(popup, 'carol');
    const done = await settled(page);
    expect(done.result?.access_token).toMatch(/^gate_at_/);
    await expect.poll(() => frame.count()).toBe(0);

    // Next visit: the widget greets Carol; closing it rejects handler() with close_widget.
    await page.reload();
    await initOk(page);
    expect(await widgetFrame(page).locator('.gh-who strong').textContent()).toBe('Carol Vorderman');
    expect(await widgetFrame(page).locator('#gh-button').textContent()).toContain('Log in as Carol');
    await tb.screenshot(page, 'suggest-widget-personal');
    await widgetFrame(page).getByRole('button', { name: 'Close' }).click();
    const closed = await settled(page);
    expect(closed.error).toMatchObject({ status: 'error', code: 'close_widget' });
    expect(await page.locator('iframe[src*="/suggest?"]').count()).toBe(0);
    await profile.close();
  });
});

describe('who may show the button', () => {
  test('a page on an origin that is not a suggest hostname gets bad_origin', async () => {
    const profile = await freshProfile();
    const page = await openSite(profile, {}, site.otherOrigin);
    const answer = await initAnswered(page);
    expect(answer.init).toBe('error');
    // Said by Gatehouse's frame: had it stayed silent, the button view would have resolved after 5 s with a local button.
    expect(answer.error).toMatchObject({ status: 'error', code: 'bad_origin' });
    expect(await page.locator('#login iframe').count()).toBe(0);
    await profile.close();
  });

  test('a second init of the same view while the first is pending rejects with in_progress', async () => {
    const profile = await freshProfile();
    const page = await openSite(profile);
    await initOk(page);
    const codes = await page.evaluate((clientId) => {
      const sdk = (window as unknown as { YaAuthSuggest: { init(...a: unknown[]): Promise<unknown> } }).YaAuthSuggest;
      const again = () => sdk.init({ client_id: clientId, response_type: 'token' }, location.origin, { view: 'button', parentId: 'login' })
        .then(() => 'ok', (e: { code: string }) => e.code);
      return Promise.all([again(), again()]);
    }, app.clientId);
    expect(codes).toEqual(['ok', 'in_progress']);
    await profile.close();
  });
});

describe('when Gatehouse’s frame does not answer', () => {
  test('the button view draws a local button after 5 s, which opens the pop-up directly', async () => {
    const profile = await freshProfile();
    await profile.route(/\/suggest\/button\?/, (route) => route.abort());
    const started = Date.now();
    const page = await openSite(profile, { state: 'fallback' });
    await initOk(page);
    expect(Date.now() - started).toBeGreaterThan(4000);
    const local = page.locator('#login > button');
    expect(await local.textContent()).toContain('Log in with Gatehouse');
    expect((await local.boundingBox())!.height).toBe(44);
    const opened = profile.waitForEvent('page');
    await local.click();
    const popup = await opened;
    await popup.waitForLoadState();
    expect(new URLSearchParams(new URL(popup.url()).searchParams.get('return_to')!.split('?')[1]).get('display')).toBe('popup');
    await signInAndDecide(popup, 'dave');
    const done = await settled(page);
    expect(done.result).toMatchObject({ state: 'fallback', cid: app.clientId });
    expect(await info(String(done.result!.access_token))).toMatchObject({ login: 'dave' });
    await profile.close();
  });

  test('the widget view rejects with timeout', async () => {
    const profile = await freshProfile();
    await profile.route(/\/suggest\?/, (route) => route.abort());
    const page = await openSite(profile, { view: 'default' });
    const answer = await initAnswered(page);
    expect(answer.error).toMatchObject({ status: 'error', code: 'timeout' });
    await profile.close();
  });
});
