/**
 * The button generator (docs/protocol.md §8.1) in Chromium: a visitor types a client_id,
 * a signed-in developer picks one of their apps; the preview is Gatehouse's
 * real button on a light and a dark page and follows every choice; one click
 * copies the code, and the copied code, pasted into a site, works.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { startSite, type Site } from './site.js';

// Each test signs in through a real pop-up in Chromium: allow for a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const PASSWORD = 'correct horse battery';

let gh: TestGatehouse;
let site: Site;
let tb: TestBrowser;
let shop: string;

beforeAll(async () => {
  [gh, tb] = await Promise.all([startGatehouse({ host: '127.0.0.1' }), launchBrowser()]);
  site = await startSite(gh.url);
  const dev = await gh.createUser('devon', PASSWORD, { firstName: 'Devon' });
  ({ clientId: shop } = await gh.createApp({ name: 'Shop', redirectUris: [site.tokenPage], suggestHostnames: [site.origin], ownerId: dev.id }));
  await gh.createApp({ name: 'Blog', redirectUris: ['https://blog.example/token'], ownerId: dev.id });
});
afterAll(async () => {
  await tb?.close();
  await site?.close();
  await gh?.close();
});

async function profile(): Promise<BrowserContext> {
  const context = await tb.browser.newContext({ viewport: { width: 1100, height: 1000 }, locale: 'en-US' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gh.url });
  return context;
}

const previewSrc = (page: Page) => page.locator('.gen-light iframe').getAttribute('src');
const frameButton = (page: Page, stage: 'light' | 'dark') => page.frameLocator(`.gen-${stage} iframe`).locator('#gh-button');

describe('a visitor', () => {
  test('types a client_id, sees the real button on light and dark pages follow each choice, and copies the code', async () => {
    const context = await profile();
    const page = await context.newPage();
    await page.goto(`${gh.url}/button-generator`);
    expect(await page.locator('h1').textContent()).toBe('Login button generator');
    await page.locator('#gen-client_id').fill(shop);
    expect(await frameButton(page, 'light').textContent()).toContain('Log in with Gatehouse');
    expect(await frameButton(page, 'dark').textContent()).toContain('Log in with Gatehouse');

    await page.locator('#gen-buttonView').selectOption('additional');
    await page.getByLabel('Dark').check();
    await page.locator('#gen-buttonSize').selectOption('xl');
    await page.locator('#gen-radius').fill('12');
    await page.locator('#gen-language').selectOption('ru');
    const src = new URLSearchParams((await previewSrc(page))!.split('?')[1]);
    expect(Object.fromEntries(src)).toMatchObject({ client_id: shop, buttonView: 'additional', buttonTheme: 'dark', buttonSize: 'xl', buttonBorderRadius: '12', language: 'ru' });
    await expect.poll(() => frameButton(page, 'light').textContent()).toContain('Войти с Gatehouse');
    expect(await frameButton(page, 'light').evaluate((b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).borderTopLeftRadius])).toEqual(['rgb(0, 0, 0)', '12px']);
    expect(await page.locator('.gen-light iframe').getAttribute('height')).toBe('52');
    // The choice is in the address, so a reload (or a shared link) keeps it.
    expect(new URL(page.url()).searchParams.get('buttonView')).toBe('additional');

    const code = await page.locator('#gen-page-snippet').textContent();
    expect(code).toContain(`<script src="${gh.url}/sdk/suggest.js"></script>`);
    expect(code).toContain(`client_id: "${shop}",`);
    expect(code).toContain('buttonView: "additional"');
    expect(code).toContain('buttonTheme: "dark"');
    expect(code).toContain('buttonBorderRadius: 12');
    expect(code).toContain('lang: "ru"');
    await page.locator('#gen-copy').click();
    await expect.poll(() => page.locator('#gen-copy').textContent()).toBe('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain(code!);
    expect(copied).toContain(`<script src="${gh.url}/sdk/suggest-token.js"></script>`);
    expect(copied).toContain('YaSendSuggestToken("https://your.site", {});');
    await tb.screenshot(page, 'suggest-generator-visitor');

    // iconBg offers its colours; chosen ones go into the preview and the code.
    await page.locator('#gen-buttonView').selectOption('iconBg');
    await expect.poll(() => page.locator('.gen-colours').isVisible()).toBe(true);
    await page.locator('input[name="customBgColor"]').fill('#ffe8cc');
    expect(await page.locator('#gen-page-snippet').textContent()).toContain('customBgColor: "#ffe8cc"');
    expect(new URLSearchParams((await previewSrc(page))!.split('?')[1]).get('customBgColor')).toBe('#ffe8cc');
    expect(await page.locator('.gen-light iframe').getAttribute('width')).toBe('52');

    // The widget.
    await page.getByLabel('Widget in a corner of the page').check();
    expect(await previewSrc(page)).toMatch(/^\/suggest\?/);
    expect(await page.locator('#gen-page-snippet').textContent()).not.toContain('parentId');
    await context.close();
  });
});

describe('a signed-in developer', () => {
  test('picks one of their apps; the code names its token page and site, and works when pasted into that site', async () => {
    const context = await profile();
    const page = await context.newPage();
    await page.goto(`${gh.url}/login?return_to=${encodeURIComponent('/button-generator')}`);
    await page.locator('#login').fill('devon');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/button-generator');
    expect(await page.locator('#gen-client_id option').allTextContents()).toEqual(['Shop', 'Blog']);
    expect(await page.locator('#gen-hostnames').textContent()).toContain(site.origin);
    // The preview is personal for the developer, as the button will be for their users.
    expect(await frameButton(page, 'light').textContent()).toContain('Log in as Devon');
    await page.locator('#gen-buttonSize').selectOption('l');
    await page.locator('#gen-radius').fill('8');
    await tb.screenshot(page, 'suggest-generator-developer');

    await page.locator('#gen-copy').click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain(`redirect_uri: "${site.tokenPage}"`);
    expect(copied).toContain(`YaSendSuggestToken("${site.origin}", {});`);

    // Pasted into the site: the button is there.
    const [pageCode] = copied.split('\n\n<!-- The token page -->\n');
    const pasted = await context.newPage();
    await pasted.goto(site.serve('/pasted', `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pasted</title></head><body>${pageCode}</body></html>`));
    const button = pasted.frameLocator('#gatehouse-login iframe').locator('#gh-button');
    await expect.poll(() => button.textContent(), { timeout: 10_000 }).toContain('Log in with Gatehouse');
    expect((await pasted.locator('#gatehouse-login iframe').boundingBox())!.height).toBe(48);

    // Another app: the page names its sites (none yet).
    await page.locator('#gen-client_id').selectOption({ label: 'Blog' });
    // The form is submitted: the server's page for the other app says it has no sites yet.
    await expect.poll(() => page.locator('#gen-hostnames').textContent(), { timeout: 20_000 }).toContain('--suggest-hostname');
    await context.close();
  });
});
