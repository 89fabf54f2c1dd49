/**
 * Every look of the login button (docs/protocol.md §8), drawn by the real SDK into a page
 * of another site, in Chromium: each buttonView in both themes and all six
 * sizes, in English and Russian; personal after a sign-in; narrow containers;
 * border radius; iconBg's custom colours. The grids are saved under
 * test-results/ to be looked at; the sizes are checked here.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUTTON_HEIGHTS, BUTTON_SIZES, BUTTON_VIEWS, ICON_HEIGHTS, type ButtonSize } from '../../src/suggest/button-options.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { startSite, type Grid, type Site } from './site.js';
import { clickWhenArmed } from '../helpers/consent.js';

const PASSWORD = 'correct horse battery';

let gh: TestGatehouse;
let site: Site;
let tb: TestBrowser;
let profile: BrowserContext;
let clientId: string;

beforeAll(async () => {
  [gh, tb] = await Promise.all([startGatehouse({ host: '127.0.0.1' }), launchBrowser()]);
  site = await startSite(gh.url);
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice', lastName: 'Liddell' });
  ({ clientId } = await gh.createApp({ name: 'Photo Printer', redirectUris: [site.tokenPage], suggestHostnames: [site.origin] }));
  profile = await tb.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
});
afterAll(async () => {
  await tb?.close();
  await site?.close();
  await gh?.close();
});

const WIDE = 300;
/** Each button is a frame of its own, drawn one after another (docs/protocol.md §8: one init at a time): slow on a busy machine. */
const GRID_TIMEOUT = 240_000;
const width = (view: string, size: ButtonSize) => (view === 'icon' ? ICON_HEIGHTS[size] : view === 'iconBg' ? BUTTON_HEIGHTS[size] : WIDE);

/** Rows by size, one cell per view, in one theme. */
function themeSection(theme: 'light' | 'dark', extra: Record<string, string | number> = {}, views: readonly string[] = BUTTON_VIEWS): Grid['sections'][number] {
  return {
    title: `buttonTheme: ${theme}`,
    dark: theme === 'dark',
    rows: BUTTON_SIZES.map((size) => ({
      label: `${size} (${BUTTON_HEIGHTS[size]} px)`,
      cells: views.map((view) => ({ button: { buttonView: view, buttonTheme: theme, buttonSize: size, ...extra }, width: width(view, size) })),
    })),
  };
}

async function drawGrid(grid: Grid, name: string): Promise<Page> {
  const page = await profile.newPage();
  const cells = grid.sections.reduce((n, s) => n + s.rows.reduce((m, r) => m + r.cells.length, 0), 0);
  // The grid draws its buttons one after another: wait for them, not for the page's load event.
  await page.goto(site.gridUrl(grid), { waitUntil: 'domcontentloaded' });
  await page.waitForFunction((n) => (window as unknown as { drawn: number }).drawn === n, cells, { timeout: GRID_TIMEOUT });
  // Every frame has drawn its button (the SDK shows a frame once it answered), at its size.
  for (const frame of page.frames().slice(1)) await frame.locator('#gh-button').waitFor();
  const boxes = await page.locator('.cell').evaluateAll((cells) => cells.map((cell) => {
    const frame = cell.querySelector('iframe');
    const r = frame?.getBoundingClientRect();
    return { id: cell.id, width: (cell as HTMLElement).style.width, src: frame?.src ?? '', box: r ? [r.width, r.height] : null, visible: frame ? getComputedStyle(frame).visibility : null };
  }));
  for (const cell of boxes) {
    expect(cell.src, `${cell.id}: no frame, so Gatehouse's frame did not answer within 5 s and the SDK drew its local button`).not.toBe('');
    const q = new URL(cell.src).searchParams;
    const size = q.get('buttonSize') as ButtonSize;
    const view = q.get('buttonView')!;
    const height = view === 'icon' ? ICON_HEIGHTS[size] : BUTTON_HEIGHTS[size];
    const wide = view === 'main' || view === 'additional';
    expect(cell.box, `${cell.id}: ${view} ${size}`).toEqual([wide ? parseInt(cell.width, 10) : height, height]);
    expect(cell.visible, cell.id).toBe('visible');
  }
  // Chromium does not paint cross-site frames outside the viewport: make the viewport the whole page, then let
  // each frame draw twice (out-of-process frames paint on their own schedule) before the picture.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1280, height });
  for (const frame of page.frames()) {
    await frame.evaluate(() => new Promise((done) => {
      requestAnimationFrame(() => requestAnimationFrame(done));
      setTimeout(done, 1000);
    }));
  }
  await page.waitForTimeout(1000);
  await tb.screenshot(page, name);
  return page;
}

describe('every button, as a site shows it', () => {
  test('each view, theme and size in English, at the heights of docs/protocol.md §8', async () => {
    const page = await drawGrid({ clientId, lang: 'en', sections: [themeSection('light'), themeSection('dark')] }, 'suggest-buttons-en');
    expect(await page.locator('.cell iframe').count()).toBe(2 * BUTTON_SIZES.length * BUTTON_VIEWS.length);
    const main = page.frameLocator('#b0 iframe').locator('#gh-button');
    expect(await main.textContent()).toContain('Log in with Gatehouse');
    expect(await main.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(27, 30, 39)');
    const darkMain = page.frameLocator(`#b${BUTTON_SIZES.length * BUTTON_VIEWS.length} iframe`).locator('#gh-button');
    expect(await darkMain.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(255, 255, 255)');
    await page.close();
  }, GRID_TIMEOUT);

  test('in Russian (the views with words)', async () => {
    const words = ['main', 'additional'];
    const page = await drawGrid({ clientId, lang: 'ru', sections: [themeSection('light', {}, words), themeSection('dark', {}, words)] }, 'suggest-buttons-ru');
    expect(await page.frameLocator('#b0 iframe').locator('#gh-button').textContent()).toContain('Войти с Gatehouse');
    await page.close();
  }, GRID_TIMEOUT);

  test('narrow containers get the short label; border radius; iconBg in custom colours', async () => {
    const narrow = (theme: 'light' | 'dark'): Grid['sections'][number] => ({
      title: `narrow containers, ${theme}`,
      dark: theme === 'dark',
      rows: [300, 160, 120, 90, 60].map((w) => ({
        label: `${w} px wide`,
        cells: ['main', 'additional'].map((view) => ({ button: { buttonView: view, buttonTheme: theme, buttonSize: 'm' }, width: w })),
      })),
    });
    const radius: Grid['sections'][number] = {
      title: 'buttonBorderRadius: 0, 8, 22; iconBg 0, 12, 28',
      dark: false,
      rows: [
        { label: 'main', cells: [0, 8, 22].map((r) => ({ button: { buttonView: 'main', buttonSize: 'm', buttonBorderRadius: r }, width: 240 })) },
        { label: 'additional', cells: [0, 8, 22].map((r) => ({ button: { buttonView: 'additional', buttonSize: 'm', buttonBorderRadius: r }, width: 240 })) },
        { label: 'iconBg (xxl)', cells: [0, 12, 28].map((r) => ({ button: { buttonView: 'iconBg', buttonSize: 'xxl', buttonBorderRadius: r }, width: 56 })) },
      ],
    };
    const custom: Grid['sections'][number] = {
      title: 'iconBg: customBgColor, customBorderColor, customBorderWidth',
      dark: false,
      rows: [{
        label: 'custom colours',
        cells: [
          { customBgColor: '#ffe8cc', customBorderColor: '#e8590c', customBorderWidth: 2, customBgHoveredColor: '#ffd8a8' },
          { customBgColor: 'rgb(230, 252, 245)', customBorderColor: '#0ca678', customBorderWidth: 1 },
          { customBgColor: 'white', customBorderColor: 'hsl(230, 70%, 55%)', customBorderWidth: 3 },
          { customBgColor: 'url(javascript:alert(1))', customBorderWidth: 2 },
        ].map((c) => ({ button: { buttonView: 'iconBg', buttonSize: 'l', buttonBorderRadius: 12, ...c }, width: 48 })),
      }],
    };
    const page = await drawGrid({ clientId, lang: 'en', sections: [narrow('light'), narrow('dark'), radius, custom] }, 'suggest-buttons-variants');
    // 300 px fits the long label; 160 px the short one; 60 px only the mark.
    const fit = (cell: string) => page.frameLocator(`#${cell} iframe`).locator('#gh-button').evaluate((b) => b.className);
    expect(await fit('b0')).not.toMatch(/gh-narrow|gh-tiny/);
    expect(await fit('b2')).toMatch(/gh-narrow/);
    expect(await page.frameLocator('#b2 iframe').locator('.gh-short').isVisible()).toBe(true);
    expect(await fit('b8')).toMatch(/gh-tiny/);
    const rounded = page.frameLocator('#b22 iframe').locator('#gh-button');
    expect(await rounded.evaluate((b) => getComputedStyle(b).borderTopLeftRadius)).toBe('22px');
    const orange = page.frameLocator('#b29 iframe').locator('#gh-button');
    expect(await orange.evaluate((b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).borderTopColor, getComputedStyle(b).borderTopWidth]))
      .toEqual(['rgb(255, 232, 204)', 'rgb(232, 89, 12)', '2px']);
    // A value that is not a colour is ignored: the default tint stays.
    const refused = page.frameLocator('#b32 iframe').locator('#gh-button');
    expect(await refused.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(238, 241, 251)');
    await page.close();
  }, GRID_TIMEOUT);

  test('personal after signing in through the pop-up: "Log in as Alice" with the avatar, in every size and both themes', async () => {
    const first = await profile.newPage();
    await first.goto(site.pageUrl({ clientId, view: 'button' }));
    const opened = profile.waitForEvent('page');
    await first.frameLocator('#login iframe').locator('#gh-button').click();
    const popup = await opened;
    await popup.locator('#login').fill('alice');
    await popup.locator('#password').fill(PASSWORD);
    await popup.getByRole('button', { name: 'Sign in' }).click();
    await clickWhenArmed(popup, 'Allow');
    await first.waitForFunction(() => (window as unknown as { outcome: { result: unknown } }).outcome.result !== null);
    await first.close();

    const main = ['main', 'additional'];
    const page = await drawGrid({
      clientId, lang: 'en', sections: [themeSection('light', {}, main), themeSection('dark', {}, main), {
        title: 'narrow, personal', dark: false,
        rows: [{ label: '120–200 px', cells: [200, 160, 120].map((w) => ({ button: { buttonView: 'main', buttonSize: 'm' }, width: w })) }],
      }],
    }, 'suggest-buttons-personal');
    const personal = page.frameLocator('#b0 iframe').locator('#gh-button');
    expect(await personal.textContent()).toContain('Log in as Alice');
    // Only the main view is personal.
    expect(await page.frameLocator('#b1 iframe').locator('#gh-button').textContent()).toContain('Log in with Gatehouse');
    expect(await page.frameLocator('#b26 iframe').locator('.gh-short').isVisible()).toBe(true);
    await page.close();
  }, GRID_TIMEOUT);
});
