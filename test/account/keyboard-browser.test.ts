/**
 * Keyboard access (issue 7: pages "keyboard accessible"), in Chromium with no
 * mouse: a person signs in and allows an app with Tab, typing and Enter, then
 * revokes it on /account the same way; every element the Tab key reaches
 * shows a visible focus ring, and the first Tab on a page reaches the link
 * that skips to its content.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { exchangeCode, info, infoStatus, PASSWORD } from '../console/support.js';
import { decisionArmed } from '../helpers/consent.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let target: RedirectTarget;
let context: BrowserContext;
let page: Page;
let app: { clientId: string; clientSecret: string };

interface Focused {
  tag: string;
  id: string;
  name: string;
  /** A focus indicator is drawn: an outline of some width, or a box shadow. */
  ring: boolean;
}

/** What has the keyboard focus now, and whether it is visibly marked. */
function focused(p: Page): Promise<Focused> {
  return p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: 'body', id: '', name: '', ring: false };
    const style = getComputedStyle(el);
    const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    const name = (el.getAttribute('aria-label') ?? (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? '').trim().replace(/\s+/g, ' ');
    return { tag: el.tagName.toLowerCase(), id: el.id, name, ring };
  });
}

/**
 * Presses Tab until the focused element satisfies `want` (at most 40 times),
 * checking on the way that every element reached shows its focus.
 */
async function tabTo(p: Page, want: (f: Focused) => boolean, what: string): Promise<Focused[]> {
  const path: Focused[] = [];
  for (let i = 0; i < 40; i++) {
    await p.keyboard.press('Tab');
    const f = await focused(p);
    path.push(f);
    expect(f.ring, `no visible focus on <${f.tag} id="${f.id}"> "${f.name}" on the way to ${what}`).toBe(true);
    if (want(f)) return path;
  }
  throw new Error(`Tab never reached ${what}: ${path.map((f) => `${f.tag}#${f.id} "${f.name}"`).join(' → ')}`);
}

describe.skipIf(testEngine() !== 'sqlite')('keyboard only, in Chromium', () => {
  beforeAll(async () => {
    [gh, browser, target] = await Promise.all([startGatehouse(), launchBrowser(), startRedirectTarget()]);
    await gh.createUser('kbd.user', PASSWORD, { firstName: 'Kay', lastName: 'Board', email: 'kay@example.org' });
    const created = await gh.createApp({ name: 'Keyboard Notes', redirectUris: [target.redirectUri], scopes: ['login:info', 'login:email'] });
    app = { clientId: created.clientId, clientSecret: created.clientSecret! };
    context = await browser.browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await target?.close();
    await gh?.close();
  });

  test('sign in and allow an app with Tab, typing and Enter; every stop on the way shows its focus', async () => {
    await page.goto(`${gh.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.clientId, scope: 'login:info login:email' })}`);
    // The sign-in page puts the cursor in the login field.
    await page.locator('#login').waitFor();
    expect((await focused(page)).id).toBe('login');
    await page.keyboard.type('kbd.user');
    await tabTo(page, (f) => f.id === 'password', 'the password field');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');

    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await tabTo(page, (f) => f.tag === 'button' && f.name === 'Allow', 'the Allow button');
    // Enter works once the page has been in front for a moment (assets/decision.js).
    await decisionArmed(page);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    const tokens = await exchangeCode(gh, app.clientId, app.clientSecret, target.last().get('code')!);
    expect((await info(gh, tokens.access_token!)).login).toBe('kbd.user');

    // /account: the first Tab reaches the link that skips the header; then revoke the app with the keyboard alone.
    await page.goto(`${gh.url}/account`);
    const [first] = await tabTo(page, () => true, 'the first focusable element');
    expect([first!.tag, first!.name]).toEqual(['a', 'Skip to content']);
    await tabTo(page, (f) => f.tag === 'button' && f.name === 'Revoke access of Keyboard Notes', 'the revoke button');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Revoke access of Keyboard Notes?' }).waitFor();
    // The confirmation puts the focus on Cancel, never on the destructive button; one Tab reaches it.
    const start = await focused(page);
    expect([start.tag, start.name, start.ring]).toEqual(['a', 'Cancel', true]);
    const [confirming] = await tabTo(page, (f) => f.tag === 'button', 'the confirming button');
    expect(confirming!.name).toMatch(/^Revoke/);
    await page.keyboard.press('Enter');
    await page.getByText('Access revoked. The app must ask you again.').waitFor();
    expect(await infoStatus(gh, tokens.access_token!)).toBe(401);
  });
});
