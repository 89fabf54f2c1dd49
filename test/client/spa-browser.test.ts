/**
 * The SDK bundled for the browser (esbuild, examples/spa) and run in
 * Chromium as a single-page app on its own origin: a public client with PKCE
 * S256, the redirect back to the page, the code exchanged by the page itself
 * (CORS), the token kept in memory only. Also measures the SDK's bundle size.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildSpa } from '../../examples/spa/build.mjs';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { clickWhenArmed } from '../helpers/consent.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SDK_SOURCE = path.join(ROOT, 'packages/client/src/index.ts');
const PASSWORD = 'correct horse battery';

let gh: TestGatehouse;
let browser: TestBrowser;
let outdir: string;
let spa: Server;
let spaUrl: string;
let clientId: string;

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'gatehouse-spa-'));
  [gh, browser] = await Promise.all([startGatehouse(), launchBrowser(), buildSpa({ outdir, alias: { '@gatehouse/client': SDK_SOURCE } })]);
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice', lastName: 'Liddell' });
  // The page's own origin, another port than Gatehouse's: every call to Gatehouse is cross-origin.
  spa = createServer((req, res) => {
    const file = new URL(req.url ?? '/', 'http://x').pathname === '/app.js' ? 'app.js' : 'index.html';
    let body = readFileSync(path.join(outdir, file), 'utf8');
    if (file === 'index.html') body = body.replace('http://localhost:8080', gh.url).replace('PUT_YOUR_CLIENT_ID_HERE', clientId);
    res.writeHead(200, { 'content-type': file === 'app.js' ? 'text/javascript' : 'text/html; charset=utf-8' }).end(body);
  });
  const port: number = await new Promise((resolve) => spa.listen(0, '127.0.0.1', () => resolve((spa.address() as { port: number }).port)));
  spaUrl = `http://127.0.0.1:${port}/`;
  // A browser app cannot keep a secret: a public client, PKCE required (docs/protocol.md §9).
  ({ clientId } = await gh.createApp({ name: 'Notes in the browser', platforms: ['desktop'], redirectUris: [spaUrl], scopes: ['login:info'] }));
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => { spa?.closeAllConnections(); spa?.close(resolve); });
  await gh?.close();
  rmSync(outdir, { recursive: true, force: true });
});

describe('the SDK in a single-page app', () => {
  test('sign in: PKCE S256, redirect back, the page exchanges the code across origins, the token lives in memory only', async () => {
    const page = await browser.newPage();
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));
    const find = (pathname: string) => requests.find((r) => new URL(r.url()).pathname === pathname)!;
    await page.goto(spaUrl);
    await page.getByRole('button', { name: 'Sign in with Gatehouse' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.locator('#login').fill('alice');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await clickWhenArmed(page, 'Allow');
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe('Signed in as Alice Liddell.');

    const authorize = new URL(find('/authorize').url()).searchParams;
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(authorize.get('redirect_uri')).toBe(spaUrl);
    const token = find('/token');
    expect((await token.allHeaders()).origin).toBe(spaUrl.slice(0, -1));
    const form = new URLSearchParams(token.postData()!);
    expect(form.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(form.get('client_id')).toBe(clientId);
    expect(form.has('client_secret')).toBe(false);

    // The code left the address bar; the tokens are in the page's memory and nowhere else.
    expect(page.url()).toBe(spaUrl);
    const kept = await page.evaluate(async () => {
      const g = (window as unknown as { gatehouse: { store: { get(): Promise<{ accessToken: string } | null> } } }).gatehouse;
      return { token: (await g.store.get())?.accessToken ?? null, local: localStorage.length, session: sessionStorage.length, cookie: document.cookie };
    });
    expect(kept).toEqual({ token: expect.stringMatching(/^gate_at_/), local: 0, session: 0, cookie: '' });
    const info = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${kept.token}` } });
    expect(info.status).toBe(200);

    // Sign out revokes (RFC 7009) from the page too.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('You are signed out.');
    expect((await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${kept.token}` } })).status).toBe(401);
    await page.close();
  });

  test('bundle size of the browser SDK (everything @gatehouse/client exports, minified)', async () => {
    const result = await build({ entryPoints: [SDK_SOURCE], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false });
    const code = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`[@gatehouse/client] browser bundle: ${code.length} bytes minified, ${gzipped} bytes gzipped`);
    expect(new TextDecoder().decode(code)).not.toMatch(/node:|require\(/);
    expect(gzipped).toBeLessThan(10_000);
  });
});
