/**
 * The instant-login frames where the browser sends them Gatehouse's session
 * cookie, in real Chromium: Gatehouse on `http://127.0.0.1:PORT`, the site on
 * `http://127.0.0.1:PORT2`. Ports do not make another site, so the frame is
 * same-site with its page and gets the `SameSite=Lax` session cookie, as
 * id.example.org's frame does on shop.example.org. The frame may then greet
 * only an active user who allowed this app, and the page must not be able to
 * tell from what the frame posts it whether it did.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { clickWhenArmed } from '../helpers/consent.js';
import { confirm, PASSWORD, signInAt } from '../console/support.js';
import { startSite, type PageOptions, type Site } from './site.js';

// Each test opens the site several times in fresh browser profiles: allow for a busy machine.
vi.setConfig({ testTimeout: 180_000 });

let gh: TestGatehouse;
let site: Site;
let tb: TestBrowser;
let clientId: string;
/** The site on 127.0.0.1: same host as Gatehouse, another port — the same site. */
let sameSite: string;

interface Posted { type: string; height?: number }

beforeAll(async () => {
  [gh, tb] = await Promise.all([startGatehouse({ host: '127.0.0.1' }), launchBrowser()]);
  site = await startSite(gh.url);
  sameSite = site.otherOrigin;
  ({ clientId } = await gh.createApp({
    name: 'Photo Printer', redirectUris: [`${sameSite}/token`], suggestHostnames: [sameSite], scopes: ['login:info'],
  }));
});
afterAll(async () => {
  await tb?.close();
  await site?.close();
  await gh?.close();
});

/** A browser profile signed in to Gatehouse first-party as `login`, or anonymous. */
async function profileOf(login: string | null): Promise<BrowserContext> {
  const context = await tb.browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'en-US' });
  // Every message Gatehouse's frame posts to the site's page, as the page itself can record them.
  await context.addInitScript((gatehouse) => {
    if (window.top !== window) return;
    const posted: { type: string; height?: number }[] = [];
    (window as unknown as { posted: typeof posted }).posted = posted;
    addEventListener('message', (event) => {
      if (event.origin !== gatehouse) return;
      const data = event.data as { type?: string; height?: number };
      posted.push({ type: String(data.type), ...(data.height !== undefined ? { height: data.height } : {}) });
    });
  }, gh.url);
  if (login) {
    const page = await context.newPage();
    await signInAt(page, gh, login);
    await page.close();
  }
  return context;
}

/** Allows the app on Gatehouse's consent page, first-party. */
async function allow(context: BrowserContext): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${gh.url}/authorize?${new URLSearchParams({ response_type: 'token', client_id: clientId, redirect_uri: `${sameSite}/token` })}`);
  await clickWhenArmed(page, 'Allow');
  await page.waitForURL((url) => url.origin === sameSite);
  await page.close();
}

/** Revokes the app's access on /account, as its owner does. */
async function revoke(context: BrowserContext): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${gh.url}/account`);
  await page.locator('section[aria-labelledby="apps"] li', { hasText: 'Photo Printer' }).getByRole('button', { name: 'Revoke access of Photo Printer' }).click();
  await confirm(page);
  await page.getByText('Access revoked. The app must ask you again.').waitFor();
  await page.close();
}

/** The site's page with the button (or the widget), once `init` answered. */
async function openSite(context: BrowserContext, view: 'button' | 'default' = 'button'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(site.pageUrl({ clientId, view } satisfies PageOptions, sameSite));
  await page.waitForFunction(() => (window as unknown as { outcome: { init: string | null } }).outcome.init !== null, null, { timeout: 10_000 });
  expect(await page.evaluate(() => (window as unknown as { outcome: { init: string } }).outcome.init)).toBe('ok');
  return page;
}

async function buttonText(context: BrowserContext, view: 'button' | 'default' = 'button'): Promise<string> {
  const page = await openSite(context, view);
  const frame = page.frameLocator(view === 'button' ? '#login iframe' : 'iframe[src*="/suggest?"]');
  const text = (await frame.locator('#gh-button .gh-long').textContent())!;
  // The avatar the frame shows, not a stand-in kept only for its size.
  const avatars = await frame.locator('.gh-avatar:visible').count();
  await page.close();
  return avatars > 0 ? `${text} [avatar]` : text;
}

/** What the frame posted to the page once it settled: every message, with every height it reported. */
async function postedBy(context: BrowserContext, view: 'button' | 'default'): Promise<Posted[]> {
  const page = await openSite(context, view);
  // Let late layout (fonts, the avatar) report too.
  await page.waitForTimeout(500);
  const posted = await page.evaluate(() => (window as unknown as { posted: Posted[] }).posted);
  await page.close();
  return posted;
}

describe('the frame on a same-site page greets only a user who allowed the app', () => {
  test('a user signed in to Gatehouse who never allowed the app sees "Log in with Gatehouse", in the button and the widget', async () => {
    await gh.createUser('nina', PASSWORD, { firstName: 'Nina' });
    const nina = await profileOf('nina');
    // The session cookie does reach the frame: the pop-up would not ask her to sign in.
    const cookies = await nina.cookies(gh.url);
    expect(cookies.some((c) => c.sameSite === 'Lax')).toBe(true);
    expect(await buttonText(nina)).toBe('Log in with Gatehouse');
    const widget = await buttonText(nina, 'default');
    expect(widget).not.toContain('Nina');
    expect(widget).not.toContain('[avatar]');

    // Once she allows the app, the same frames greet her.
    await allow(nina);
    expect(await buttonText(nina)).toContain('Log in as Nina');
    expect(await buttonText(nina, 'default')).toContain('Log in as Nina');
    await nina.close();
  });

  test('after the user revokes the app’s access on /account the frames no longer greet her', async () => {
    await gh.createUser('olga', PASSWORD, { firstName: 'Olga' });
    const olga = await profileOf('olga');
    await allow(olga);
    expect(await buttonText(olga)).toContain('Log in as Olga [avatar]');
    await revoke(olga);
    expect(await buttonText(olga)).toBe('Log in with Gatehouse');
    expect(await buttonText(olga, 'default')).not.toContain('Olga');
    await olga.close();
  });

  test('a blocked user is not greeted, even by a session that outlived the block', async () => {
    const paul = await gh.createUser('paul', PASSWORD, { firstName: 'Paul' });
    const context = await profileOf('paul');
    await allow(context);
    expect(await buttonText(context)).toContain('Log in as Paul');
    await gh.ctx.storage.updateUser(paul.id, { status: 'blocked' });
    expect(await buttonText(context)).toBe('Log in with Gatehouse');
    expect(await buttonText(context, 'default')).not.toContain('Paul');
    await context.close();
  });
});

describe('the page cannot tell a personal frame from an anonymous one', () => {
  test('the widget and the button post the same messages with the same heights, signed in and allowed or not', async () => {
    await gh.createUser('rosa', PASSWORD, { firstName: 'Rosa', lastName: 'Luxemburg-Sehr-Langer-Nachname' });
    const rosa = await profileOf('rosa');
    await allow(rosa);
    const anonymous = await profileOf(null);
    expect(await buttonText(rosa, 'default')).toContain('Log in as Rosa');
    expect(await buttonText(anonymous, 'default')).not.toContain('Rosa');

    for (const view of ['default', 'button'] as const) {
      const personal = await postedBy(rosa, view);
      const plain = await postedBy(anonymous, view);
      expect(personal.length).toBeGreaterThan(0);
      expect(personal, view).toEqual(plain);
    }
    // And the frame's box the SDK sized from them.
    const heights = await Promise.all([rosa, anonymous].map(async (context) => {
      const page = await openSite(context, 'default');
      await page.waitForTimeout(300);
      const height = await page.locator('iframe[src*="/suggest?"]').evaluate((f) => f.getBoundingClientRect().height);
      await page.close();
      return height;
    }));
    expect(heights[0]).toBe(heights[1]);
    await rosa.close();
    await anonymous.close();
  });
});
