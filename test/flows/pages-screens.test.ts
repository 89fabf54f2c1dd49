/**
 * The pages of the flows that hand out codes and tokens (docs/protocol.md §10: /device,
 * /verification_code, consent), rendered by Chromium in light and dark colour
 * schemes and at a phone's size. Screenshots go to test-results/screens/ for a
 * person to look at; the checks here catch what can be measured: nothing
 * wider than the screen, the colour scheme followed, the key text visible.
 *
 * Pages do not depend on the storage engine, so this runs on SQLite only.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, RESULTS_DIR, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { DeviceClient, PASSWORD } from './support.js';
import { clickWhenArmed, decisionArmed } from '../helpers/consent.js';

const SCREENS = path.join(RESULTS_DIR, 'screens');

interface Variant {
  name: string;
  colorScheme: 'light' | 'dark';
  viewport: { width: number; height: number };
}

const VARIANTS: Variant[] = [
  { name: 'light', colorScheme: 'light', viewport: { width: 1024, height: 800 } },
  { name: 'dark', colorScheme: 'dark', viewport: { width: 1024, height: 800 } },
  { name: 'phone', colorScheme: 'light', viewport: { width: 390, height: 844 } },
  { name: 'phone-dark', colorScheme: 'dark', viewport: { width: 390, height: 844 } },
];

let gh: TestGatehouse;
let browser: TestBrowser;
let tv: DeviceClient;
let photoFrame: string;

describe.skipIf(testEngine() !== 'sqlite')('pages of the code and token flows', () => {
  beforeAll(async () => {
    [gh, browser] = await Promise.all([startGatehouse(), launchBrowser()]);
    await gh.createUser('margarita', PASSWORD, { firstName: 'Margarita', lastName: 'Nikolaevna-Bulgakova', email: 'margarita@example.org' });
    const app = await gh.createApp({ name: 'Cinema TV', platforms: ['tv'], redirectUris: [], scopes: ['login:info', 'login:email'], optionalScopes: ['login:avatar', 'login:birthday'] });
    tv = new DeviceClient(gh, app.clientId, null);
    const web = await gh.createApp({ name: 'Photo Frame', redirectUris: ['https://frame.example/callback'], scopes: ['login:info', 'login:email'], optionalScopes: ['login:avatar', 'login:birthday'] });
    photoFrame = web.clientId;
    mkdirSync(SCREENS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
  });

  /** Saves the screenshot and checks what a look would: fits the width, follows the colour scheme. */
  async function shoot(page: Page, variant: Variant, name: string): Promise<void> {
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(fits, `${name} (${variant.name}) is wider than the screen`).toBe(true);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number) as [number, number, number];
    const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    if (variant.colorScheme === 'dark') expect(luminance, `${name} (${variant.name}) background ${background}`).toBeLessThan(0.2);
    else expect(luminance, `${name} (${variant.name}) background ${background}`).toBeGreaterThan(0.8);
    await page.screenshot({ path: path.join(SCREENS, `${name}-${variant.name}.png`), fullPage: true });
  }

  async function signedInContext(variant: Variant): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.browser.newContext({ viewport: variant.viewport, colorScheme: variant.colorScheme, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${gh.url}/login?return_to=%2Fdevice`);
    await page.locator('#login').fill('margarita');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/device');
    return { context, page };
  }

  for (const variant of VARIANTS) {
    test(`/device, /verification_code and consent, ${variant.name}`, async () => {
      const { context, page } = await signedInContext(variant);
      const code = () => page.locator('#user_code');
      const cont = () => page.getByRole('button', { name: 'Continue' });

      // /device: the code entry form.
      await page.goto(`${gh.url}/device`);
      expect(await code().getAttribute('placeholder')).toBe('XXXX-XXXX');
      await shoot(page, variant, 'device-code');

      // A wrong code: the message, the code kept in the field.
      await code().fill('ABCD-EFGH');
      await cont().click();
      await page.getByRole('alert').waitFor();
      await shoot(page, variant, 'device-wrong-code');

      // The confirmation: app, device, user, scopes, optional scopes.
      const allow = await tv.start({ device_id: 'tv-living-room', device_name: 'Living room TV', scope: 'login:info login:email', optional_scope: 'login:avatar login:birthday' });
      await page.goto(allow.verification_uri_complete);
      await cont().click();
      await decisionArmed(page);
      expect(await page.locator('h1').textContent()).toBe('Allow Cinema TV on your device?');
      await shoot(page, variant, 'device-confirm');
      await clickWhenArmed(page, 'Allow');
      await page.getByRole('heading', { name: 'Done! Go back to your device' }).waitFor();
      await shoot(page, variant, 'device-done');

      const deny = await tv.start({ device_id: 'tv-living-room', device_name: 'Living room TV' });
      await page.goto(deny.verification_uri_complete);
      await cont().click();
      await clickWhenArmed(page, 'Deny');
      await page.getByRole('heading', { name: 'Access denied' }).waitFor();
      await shoot(page, variant, 'device-denied');

      // /verification_code with each thing it can show. The page reads its fragment once, on load,
      // and then drops it; a new fragment on the same URL would not reload it, so each starts afresh.
      const verification = async (fragment: string) => {
        await page.goto('about:blank');
        await page.goto(`${gh.url}/verification_code${fragment}`);
      };
      await verification('#code=4815162&state=x');
      await page.locator('#code-view').waitFor();
      expect(await page.locator('#code').textContent()).toBe('4815162');
      await shoot(page, variant, 'verification-code');
      await verification(`#access_token=gate_at_${'Xy7_k2-Pq'.repeat(5).slice(0, 43)}&token_type=bearer&expires_in=31536000`);
      await page.locator('#token-view').waitFor();
      await shoot(page, variant, 'verification-token');
      await verification('#error=access_denied&error_description=the%20user%20declined');
      await page.locator('#error-view').waitFor();
      await shoot(page, variant, 'verification-error');
      await verification('');
      await page.locator('#empty-text').waitFor();
      await shoot(page, variant, 'verification-empty');

      // The consent page, with optional scopes and a device.
      await page.goto(`${gh.url}/authorize?${new URLSearchParams({
        response_type: 'code', client_id: photoFrame, scope: 'login:info login:email', optional_scope: 'login:avatar login:birthday',
        device_id: 'frame-000001', device_name: 'Kitchen photo frame', force_confirm: 'yes',
      }).toString()}`);
      await decisionArmed(page);
      await shoot(page, variant, 'consent');
      await context.close();
    }, 60_000);
  }
});
