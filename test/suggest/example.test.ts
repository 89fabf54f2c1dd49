/**
 * examples/suggest, the instant-login example site, run as its README says
 * (node examples/suggest/server.mjs) against a real Gatehouse: the button and
 * the widget appear, and a sign-in through the button greets the user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { freePort } from '../helpers/postgres.js';
import { clickWhenArmed } from '../helpers/consent.js';

// Each test signs in through a real pop-up in Chromium: allow for a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let gh: TestGatehouse;
let tb: TestBrowser;
let example: ChildProcess;
let origin: string;

beforeAll(async () => {
  [gh, tb] = await Promise.all([startGatehouse({ host: '127.0.0.1' }), launchBrowser()]);
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  await gh.createUser('alice', 'correct horse battery', { firstName: 'Alice' });
  const { clientId } = await gh.createApp({ name: 'Example', redirectUris: [`${origin}/token.html`], suggestHostnames: [origin], scopes: ['login:info'] });
  example = spawn(process.execPath, ['examples/suggest/server.mjs'], { env: { ...process.env, GATEHOUSE: gh.url, PORT: String(port), CLIENT_ID: clientId }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    example.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('Instant login example')) resolve(); });
    example.on('exit', (code) => reject(new Error(`the example exited with ${code}`)));
  });
});
afterAll(async () => {
  example?.kill();
  await tb?.close();
  await gh?.close();
});

test('the example site shows the button and the widget; the button signs the user in and the page greets them', async () => {
  const page = await tb.newPage();
  await page.goto(origin);
  const button = page.frameLocator('#gatehouse-login iframe').locator('#gh-button');
  await expect.poll(() => button.textContent(), { timeout: 10_000 }).toContain('Log in with Gatehouse');
  await expect.poll(() => page.frameLocator('iframe[src*="/suggest?"]').locator('#gh-button').textContent(), { timeout: 10_000 }).toContain('Log in with Gatehouse');

  const opened = tb.context.waitForEvent('page');
  await button.click();
  const popup = await opened;
  await popup.locator('#login').fill('alice');
  await popup.locator('#password').fill('correct horse battery');
  await popup.getByRole('button', { name: 'Sign in' }).click();
  await clickWhenArmed(popup, 'Allow');
  await expect.poll(() => page.locator('#result').textContent(), { timeout: 15_000 }).toContain('"hello": "Alice"');
  // Logged in: the page closes the widget.
  await expect.poll(() => page.locator('iframe[src*="/suggest?"]').count()).toBe(0);
  await tb.screenshot(page, 'suggest-example');
});
