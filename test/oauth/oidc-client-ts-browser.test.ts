/**
 * A browser app built on oidc-client-ts (the library under react-oidc-context),
 * bundled with esbuild and served from its own origin, in Chromium (issue 19):
 * sign-in by the code flow with PKCE, userinfo read across origins, silent
 * renewal by refresh token, sign-out through /logout back to the page.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { clickWhenArmed } from '../helpers/consent.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

const PASSWORD = 'correct horse battery';

let gh: TestGatehouse;
let browser: TestBrowser;
let outdir: string;
let spa: Server;
let spaUrl: string;
let clientId: string;

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'gatehouse-oidc-client-ts-'));
  [gh, browser] = await Promise.all([
    startGatehouse(),
    launchBrowser(),
    build({ entryPoints: [path.join(import.meta.dirname, 'fixtures/oidc-client-page.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: path.join(outdir, 'app.js'), logLevel: 'warning' }),
  ]);
  await gh.createUser('nina', PASSWORD, { firstName: 'Nina', lastName: 'Petrova' });
  spa = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(path.join(outdir, 'app.js')));
      return;
    }
    const config = JSON.stringify({ authority: gh.url, clientId });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(`<!doctype html><title>Notes</title><p id="status">Loading…</p><script>window.CONFIG = ${config};</script><script type="module" src="/app.js"></script>`);
  });
  const port: number = await new Promise((resolve) => spa.listen(0, '127.0.0.1', () => resolve((spa.address() as { port: number }).port)));
  spaUrl = `http://127.0.0.1:${port}/`;
  ({ clientId } = await gh.createApp({
    name: 'Notes', platforms: ['spa'], redirectUris: [spaUrl], postLogoutRedirectUris: [spaUrl], scopes: ['openid', 'login:info', 'profile'],
  }));
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => { spa?.closeAllConnections(); spa?.close(resolve); });
  await gh?.close();
  rmSync(outdir, { recursive: true, force: true });
});

interface PageUser { access_token: string; refresh_token?: string; profile: Record<string, unknown> }

describe('oidc-client-ts in a browser app on its own origin', () => {
  test('signs in, reads userinfo across origins, renews by refresh token, signs out', async () => {
    const page = await browser.newPage();
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));
    await page.goto(spaUrl);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Signed out.');

    await page.evaluate(() => { void (window as unknown as { manager: { signinRedirect(): Promise<void> } }).manager.signinRedirect(); });
    await page.waitForURL((u) => u.pathname === '/login');
    await page.locator('#login').fill('nina');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await clickWhenArmed(page, 'Allow');
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toBe('Signed in as Nina Petrova.');

    const authorize = new URL(requests.find((r) => new URL(r.url()).pathname === '/authorize')!.url()).searchParams;
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(authorize.get('scope')).toBe('openid login:info offline_access');
    // userinfo was read by the page itself, across origins.
    const userinfo = requests.find((r) => new URL(r.url()).pathname === '/userinfo')!;
    expect((await userinfo.allHeaders()).origin).toBe(spaUrl.slice(0, -1));
    const user = await page.evaluate(() => (window as unknown as { manager: { getUser(): Promise<PageUser> } }).manager.getUser());
    expect(user.profile).toMatchObject({ preferred_username: 'nina', name: 'Nina Petrova' });
    expect(user.refresh_token).toMatch(/^gate_rt_/);

    // Silent renewal: oidc-client-ts uses the refresh token, which rotates.
    const renewed = await page.evaluate(() => (window as unknown as { manager: { signinSilent(): Promise<PageUser> } }).manager.signinSilent());
    expect(renewed.access_token).not.toBe(user.access_token);
    expect(renewed.refresh_token).toMatch(/^gate_rt_/);
    expect(renewed.refresh_token).not.toBe(user.refresh_token);
    const refreshRequest = requests.filter((r) => new URL(r.url()).pathname === '/token').map((r) => new URLSearchParams(r.postData() ?? '')).find((f) => f.get('grant_type') === 'refresh_token');
    expect(refreshRequest).toBeDefined();
    // The old refresh token is spent; the new access token works.
    expect((await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${renewed.access_token}` } })).status).toBe(200);

    await page.evaluate(() => { void (window as unknown as { manager: { signoutRedirect(): Promise<void> } }).manager.signoutRedirect(); });
    await page.waitForURL((u) => u.pathname === '/logout');
    await page.locator('form[action="/logout"] button[type="submit"]').first().click();
    await page.waitForURL((u) => u.href.startsWith(spaUrl));
    await expect.poll(() => page.locator('#status').textContent()).toBe('Signed out.');
    // Gatehouse's own session ended too.
    const account = await page.goto(`${gh.url}/authorize?client_id=${clientId}&response_type=code&redirect_uri=${encodeURIComponent(spaUrl)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
    expect(new URL(account!.url()).pathname).toBe('/login');
    await page.close();
  });
});
