/**
 * Double-click-jacking of the consent pop-up, in Chromium: another site says
 * "double-click here", opens Gatehouse's consent page as a pop-up (display=
 * popup) on its first click, and lets the second land where Allow will be.
 * Allow and Deny — and the /device confirmation's — must do nothing until the
 * page has been visible and focused for 500 ms, and again after the window
 * loses and regains focus, as browsers' own permission prompts behave.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { decisionArmed } from '../helpers/consent.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { postForm } from '../helpers/http-client.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { PASSWORD, signInAt } from '../console/support.js';
import type { ClientId, UserId } from '../../src/types.js';

vi.setConfig({ testTimeout: 120_000 });

let gh: TestGatehouse;
let tb: TestBrowser;
let target: RedirectTarget;
let clientId: string;
let tvClientId: string;

beforeAll(async () => {
  [gh, tb, target] = await Promise.all([startGatehouse(), launchBrowser(), startRedirectTarget()]);
  ({ clientId } = await gh.createApp({ name: 'Photo Printer', redirectUris: [target.redirectUri], scopes: ['login:info'] }));
  ({ clientId: tvClientId } = await gh.createApp({ name: 'Cinema TV', platforms: ['tv'], redirectUris: [], scopes: ['login:info'] }));
});
afterAll(async () => {
  await tb?.close();
  await target?.close();
  await gh?.close();
});

/**
 * A browser signed in as a new user, its pages' clock then stopped: time in
 * the pages moves only when the test moves it (`clock.runFor`), so "within
 * 100 ms of the page appearing" holds on a busy machine too.
 */
async function signedIn(login: string, options: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; id: UserId }> {
  const user = await gh.createUser(login, PASSWORD);
  const context = await tb.browser.newContext({ viewport: { width: 800, height: 800 }, locale: 'en-US', ...options });
  const page = await context.newPage();
  await signInAt(page, gh, login);
  await page.close();
  if (options.javaScriptEnabled !== false) {
    await context.clock.install();
    await context.clock.pauseAt(Date.now() + 1000);
  }
  return { context, id: user.id };
}

/** Lets the pages' clock run again (a page with a stopped clock can hold up closing), then closes the browser profile. */
async function finish(context: BrowserContext): Promise<void> {
  await context.clock.resume();
  await context.close();
}

const consentUrl = (state: string) =>
  `${gh.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: target.redirectUri, state, display: 'popup' })}`;

/**
 * The attacker's page: a "double-click here" target whose first click opens
 * the consent pop-up. Returns the pop-up as soon as its document is parsed.
 */
async function openedByAnotherSite(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.setContent(`<!doctype html><button id="bait" style="position:absolute;left:300px;top:600px">Double-click here</button>
<script>document.getElementById('bait').addEventListener('click', function () { window.open(${JSON.stringify(url)}, 'gh', 'popup,width=640,height=720,left=0,top=0'); });</script>`);
  const opened = context.waitForEvent('page');
  await page.locator('#bait').click();
  const popup = await opened;
  await popup.waitForLoadState('domcontentloaded');
  return popup;
}

/** Two quick clicks at the centre of the button, as a lured double-click lands. */
async function doubleClickAt(page: Page, name: string): Promise<void> {
  const button = page.getByRole('button', { name, exact: true });
  // Mouse clicks land at page coordinates, so the button must be on screen, as it is for a user who scrolled to it.
  await button.scrollIntoViewIfNeeded();
  const box = (await button.boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

/** One click at the centre of the button. */
async function clickAt(page: Page, name: string): Promise<void> {
  const button = page.getByRole('button', { name, exact: true });
  // Mouse clicks land at page coordinates, so the button must be on screen, as it is for a user who scrolled to it.
  await button.scrollIntoViewIfNeeded();
  const box = (await button.boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

/** Gives a click time to have an effect, then says whether the page is still the same page. */
async function stillOn(page: Page, pathname: string): Promise<boolean> {
  await page.waitForTimeout(700);
  return !page.isClosed() && new URL(page.url()).pathname === pathname;
}

describe('the consent pop-up cannot be answered by a click aimed at another window', () => {
  test('a click on Allow within the first moments of the pop-up does nothing; once armed, it works', async () => {
    const { context, id } = await signedIn('uma');
    const before = target.received.length;
    const popup = await openedByAnotherSite(context, consentUrl('lured'));
    await doubleClickAt(popup, 'Allow');
    await context.clock.runFor(100);
    await doubleClickAt(popup, 'Allow');
    // Keyboard too: Enter on the focused Allow button before it is armed.
    await popup.getByRole('button', { name: 'Allow', exact: true }).focus();
    await popup.keyboard.press('Enter');
    expect(await stillOn(popup, '/authorize')).toBe(true);
    expect(target.received.length).toBe(before);
    expect(await gh.ctx.storage.findConsent(id, clientId as ClientId)).toBeNull();

    // 500 ms after it appeared, armed and shown as such (no aria-disabled): the same click is the user's decision,
    // sent once: the double-click's second click meets a sealed form.
    await context.clock.runFor(400);
    await decisionArmed(popup);
    expect(await popup.getByRole('button', { name: 'Allow', exact: true }).getAttribute('aria-disabled')).toBeNull();
    const decisionsSent: string[] = [];
    popup.on('request', (request) => {
      if (request.method() === 'POST') decisionsSent.push(request.url());
    });
    await doubleClickAt(popup, 'Allow');
    await expect.poll(() => target.received.length).toBe(before + 1);
    expect(decisionsSent).toHaveLength(1);
    expect(target.last().get('state')).toBe('lured');
    expect(await gh.ctx.storage.findConsent(id, clientId as ClientId)).not.toBeNull();
    await finish(context);
  });

  test('while disarmed the buttons say so (aria-disabled) yet keep keyboard focus; after 600 ms of focus a click works', async () => {
    const { context } = await signedIn('vera');
    const before = target.received.length;
    const page = await context.newPage();
    await page.goto(consentUrl('patient'), { waitUntil: 'domcontentloaded' });
    const allow = page.getByRole('button', { name: 'Allow', exact: true });
    expect(await allow.getAttribute('aria-disabled')).toBe('true');
    expect(await page.getByRole('button', { name: 'Deny', exact: true }).getAttribute('aria-disabled')).toBe('true');
    await allow.focus();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Allow');
    await context.clock.runFor(600);
    expect(await allow.getAttribute('data-armed')).toBe('');
    await page.keyboard.press('Enter');
    await expect.poll(() => target.received.length).toBe(before + 1);
    await finish(context);
  });

  test('after the window loses focus and gets it back, Allow and Deny are disarmed for another 500 ms', async () => {
    const { context } = await signedIn('wanda');
    const before = target.received.length;
    const page = await context.newPage();
    await page.goto(consentUrl('refocused'));
    await context.clock.runFor(600);
    await decisionArmed(page);
    // Chromium under test keeps every page "focused"; the window's own blur and focus events are what the page sees of it.
    await page.evaluate(() => dispatchEvent(new FocusEvent('blur')));
    expect(await page.getByRole('button', { name: 'Allow', exact: true }).getAttribute('aria-disabled')).toBe('true');
    await page.evaluate(() => dispatchEvent(new FocusEvent('focus')));
    await context.clock.runFor(100);
    await doubleClickAt(page, 'Deny');
    await context.clock.runFor(300);
    await doubleClickAt(page, 'Deny');
    expect(await stillOn(page, '/authorize')).toBe(true);
    expect(target.received.length).toBe(before);

    // Hidden and shown again (another tab in front): disarmed again too.
    await context.clock.runFor(100);
    await decisionArmed(page);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(await page.locator('button[data-armed]').count()).toBe(0);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(await page.locator('button[data-armed]').count()).toBe(0);
    await context.clock.runFor(499);
    expect(await page.locator('button[data-armed]').count()).toBe(0);
    await context.clock.runFor(1);
    await decisionArmed(page);
    await clickAt(page, 'Deny');
    await expect.poll(() => target.received.length).toBe(before + 1);
    expect(target.last().get('error')).toBe('access_denied');
    await finish(context);
  });

  test('the /device confirmation is armed the same way', async () => {
    const { context } = await signedIn('xenia');
    const res = await postForm(`${gh.url}/device/code`, { client_id: tvClientId });
    const started = (await res.json()) as { user_code: string; verification_uri_complete: string; device_code: string };
    const page = await context.newPage();
    await page.goto(started.verification_uri_complete);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForLoadState('domcontentloaded');
    await doubleClickAt(page, 'Allow');
    await context.clock.runFor(100);
    await doubleClickAt(page, 'Allow');
    expect(await stillOn(page, '/device')).toBe(true);
    expect(await page.getByRole('button', { name: 'Allow', exact: true }).count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Done! Go back to your device' }).count()).toBe(0);

    await context.clock.runFor(400);
    await decisionArmed(page);
    await clickAt(page, 'Allow');
    await page.getByRole('heading', { name: 'Done! Go back to your device' }).waitFor();
    // The TV's first poll gets its tokens.
    const poll = await postForm(`${gh.url}/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: started.device_code, client_id: tvClientId });
    expect(poll.status).toBe(200);
    await finish(context);
  });

  test('without script the buttons still work: the guard is an enhancement of a plain form', async () => {
    const { context } = await signedIn('yana', { javaScriptEnabled: false });
    const before = target.received.length;
    const page = await context.newPage();
    await page.goto(consentUrl('no script'));
    expect(await page.getByRole('button', { name: 'Allow', exact: true }).getAttribute('aria-disabled')).toBeNull();
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await expect.poll(() => target.received.length).toBe(before + 1);
    await finish(context);
  });
});
