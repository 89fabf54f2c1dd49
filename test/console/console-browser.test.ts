/**
 * The developer console as a developer lives it, in Chromium (docs/protocol.md §10, §5.3):
 * sign up, create an app, copy its client id, get a debug token that works on
 * /info, rotate the secret (the old one fails at /token at once), revoke the
 * debug token; change scopes (a warning first, then every token revoked);
 * block and delete the app.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { confirm, exchangeCode, info, infoStatus, PASSWORD, tokenEndpointError } from './support.js';
import { clickWhenArmed } from '../helpers/consent.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let target: RedirectTarget;
let context: BrowserContext;
let page: Page;

describe.skipIf(testEngine() !== 'sqlite')('developer console in Chromium', () => {
  beforeAll(async () => {
    [gh, browser, target] = await Promise.all([startGatehouse(), launchBrowser(), startRedirectTarget()]);
    context = await browser.browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-US' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gh.url });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await target?.close();
    await gh?.close();
  });

  let clientId = '';
  let firstSecret = '';
  let debugToken = '';

  test('a new developer signs up and creates an app; the secret is shown once and the client id copies', async () => {
    await page.goto(`${gh.url}/signup`);
    await page.locator('#login').fill('devon');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#first_name').fill('Devon');
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.waitForURL(`${gh.url}/`);

    await page.getByRole('link', { name: 'Developer console' }).first().click();
    await page.waitForURL(`${gh.url}/console`);
    await expect.poll(() => page.getByText('You have no apps yet.').isVisible()).toBe(true);
    await page.getByRole('link', { name: 'Create an app' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Weather Station');
    await page.getByLabel('Description').fill('Forecasts for your garden.');
    await page.getByLabel('Redirect URIs').fill(target.redirectUri);
    await page.getByLabel('Suggest hostnames').fill('https://weather.example');
    await page.getByRole('group', { name: /See your email addresses/ }).getByLabel('Optional').check();
    await page.getByRole('group', { name: /See your date of birth/ }).getByLabel('Required').check();
    await page.getByRole('button', { name: 'Create app' }).click();

    await page.getByRole('heading', { name: 'Your client secret' }).waitFor();
    firstSecret = (await page.locator('#client-secret').textContent())!;
    expect(firstSecret).toMatch(/^[0-9a-f]{64}$/);
    clientId = (await page.locator('#client-id').textContent())!;
    expect(clientId).toMatch(/^[0-9a-f]{32}$/);
    await page.getByRole('button', { name: 'Copy Client ID' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(clientId);
    await expect.poll(() => page.getByRole('button', { name: 'Copy Client ID' }).textContent()).toBe('Copied');

    const stored = (await gh.ctx.storage.findApp(clientId as never))!;
    expect(stored.name).toBe('Weather Station');
    expect(stored.ownerId).toBe((await gh.ctx.storage.findUserByLogin('devon'))!.id);
    expect([...stored.scopes].sort()).toEqual(['login:birthday', 'login:info']);
    expect(stored.optionalScopes).toEqual(['login:email']);
    expect(stored.suggestHostnames).toEqual(['https://weather.example']);
    expect((await gh.ctx.storage.findUserByLogin('devon'))!.isDeveloper).toBe(true);
    expect(await tokenEndpointError(gh, clientId, firstSecret)).toBe('invalid_grant');

    // The answer to the form was a redirect (post/redirect/get): a reload creates nothing and shows the secret no more.
    expect(page.url()).toBe(`${gh.url}/console/apps/${clientId}?done=created`);
    await page.reload();
    await page.getByText('The app is created.').waitFor();
    expect(await page.locator('#client-secret').count()).toBe(0);
    expect(await gh.ctx.storage.listApps({ ownerId: (await gh.ctx.storage.findUserByLogin('devon'))!.id })).toHaveLength(1);
    // The secret is never shown again.
    await page.goto(`${gh.url}/console/apps/${clientId}`);
    expect(await page.locator('#client-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(firstSecret);
    await page.goto(`${gh.url}/console`);
    await page.getByRole('link', { name: 'Weather Station' }).waitFor();
  });

  test('"Get debug token" asks for consent and shows a token that works on /info; the console lists and revokes it', async () => {
    await page.goto(`${gh.url}/console/apps/${clientId}`);
    await page.getByRole('link', { name: 'Get debug token' }).click();
    await clickWhenArmed(page, 'Allow');
    await page.locator('#token-view').waitFor();
    debugToken = (await page.locator('#token').textContent())!;
    expect(debugToken).toMatch(/^gate_at_/);
    const body = await info(gh, debugToken);
    expect(body.login).toBe('devon');
    expect(body.client_id).toBe(clientId);

    await page.goto(`${gh.url}/console/apps/${clientId}`);
    const rows = page.locator('section[aria-labelledby="debug"] tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('devon');
    expect(await page.locator('dl.stats dd').first().textContent()).toBe('1');

    await rows.first().getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('The debug token is revoked.').waitFor();
    expect(await infoStatus(gh, debugToken)).toBe(401);
    expect(await page.locator('section[aria-labelledby="debug"] tbody tr').count()).toBe(0);
  });

  test('rotating the secret asks first, shows the new one once, and the old one fails at /token at once', async () => {
    await page.goto(`${gh.url}/console/apps/${clientId}`);
    await page.getByRole('button', { name: 'Get a new secret' }).click();
    await page.getByRole('heading', { name: 'Get a new secret for Weather Station?' }).waitFor();
    // Nothing happened yet.
    expect(await tokenEndpointError(gh, clientId, firstSecret)).toBe('invalid_grant');
    await confirm(page);
    await page.getByRole('heading', { name: 'Your client secret' }).waitFor();
    const secondSecret = (await page.locator('#client-secret').textContent())!;
    expect(secondSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(secondSecret).not.toBe(firstSecret);
    expect(await tokenEndpointError(gh, clientId, firstSecret)).toBe('invalid_client');
    expect(await tokenEndpointError(gh, clientId, secondSecret)).toBe('invalid_grant');
    // A reload rotates nothing: the secret just shown keeps working.
    await page.reload();
    expect(await page.locator('#client-secret').count()).toBe(0);
    expect(await tokenEndpointError(gh, clientId, secondSecret)).toBe('invalid_grant');
    firstSecret = secondSecret;
  });

  test('changing scopes warns, says how many tokens die, and revokes every token of the app', async () => {
    // A user's token for the app.
    const user = await gh.createUser('wendy', PASSWORD);
    const { HttpUser } = await import('../helpers/http-client.js');
    const wendy = new HttpUser(gh, user.login, PASSWORD);
    const code = await wendy.code({ response_type: 'code', client_id: clientId, redirect_uri: target.redirectUri });
    const token = (await exchangeCode(gh, clientId, firstSecret, code, target.redirectUri)).access_token!;
    expect(await infoStatus(gh, token)).toBe(200);

    await page.goto(`${gh.url}/console/apps/${clientId}/edit`);
    expect(await page.locator('#scopes-warning').textContent()).toContain('revokes every token');
    // Editing the name alone revokes nothing.
    await page.getByLabel('Name', { exact: true }).fill('Weather Station Pro');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your changes are saved.').waitFor();
    expect(await infoStatus(gh, token)).toBe(200);

    await page.goto(`${gh.url}/console/apps/${clientId}/edit`);
    await page.getByRole('group', { name: /See your phone number/ }).first().getByLabel('Optional').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Change the permissions of Weather Station Pro?' }).waitFor();
    expect(await page.locator('p.warning').textContent()).toContain('(1 active now)');
    expect(await infoStatus(gh, token)).toBe(200);
    await confirm(page);
    await page.getByText('Permissions changed, so every token of this app is revoked.').waitFor();
    expect(await infoStatus(gh, token)).toBe(401);
    expect((await gh.ctx.storage.findApp(clientId as never))!.optionalScopes).toContain('login:default_phone');
  });

  test('an icon upload is redrawn as a square PNG and served; a non-image is refused', async () => {
    const { PNG } = await import('pngjs');
    const png = new PNG({ width: 300, height: 200 });
    png.data.fill(200);
    const file = PNG.sync.write(png);
    await page.goto(`${gh.url}/console/apps/${clientId}`);
    await page.getByLabel('New icon').setInputFiles({ name: 'icon.png', mimeType: 'image/png', buffer: file });
    await page.getByRole('button', { name: 'Upload icon' }).click();
    await page.getByText('The icon is saved.').waitFor();
    const src = (await page.locator('.page-head img.app-icon').getAttribute('src'))!;
    expect(src).toMatch(/^\/icons\/[0-9a-f]{32}$/);
    const res = await fetch(gh.url + src);
    expect(res.headers.get('content-type')).toBe('image/png');
    const icon = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    expect([icon.width, icon.height]).toEqual([128, 128]);

    await page.getByLabel('New icon').setInputFiles({ name: 'x.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>') });
    await page.getByRole('button', { name: 'Upload icon' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('PNG or JPEG');
  });

  test('blocking the app revokes its tokens and refuses it everywhere; the owner may unblock it; deleting asks first', async () => {
    await page.goto(`${gh.url}/console/apps/${clientId}`);
    await page.getByRole('link', { name: 'Get debug token' }).click();
    await clickWhenArmed(page, 'Allow');
    await page.locator('#token-view').waitFor();
    const token = (await page.locator('#token').textContent())!;
    expect(await infoStatus(gh, token)).toBe(200);

    await page.goto(`${gh.url}/console/apps/${clientId}`);
    await page.getByRole('button', { name: 'Block app' }).click();
    await confirm(page);
    await page.getByText('The app is blocked and its tokens are revoked.').waitFor();
    expect(await infoStatus(gh, token)).toBe(401);
    expect(await tokenEndpointError(gh, clientId, firstSecret)).toBe('unauthorized_client');
    await page.getByRole('button', { name: 'Unblock app' }).click();
    await page.getByText('The app is unblocked.').waitFor();
    expect(await tokenEndpointError(gh, clientId, firstSecret)).toBe('invalid_grant');

    await page.getByRole('button', { name: 'Delete app' }).click();
    await page.getByRole('heading', { name: 'Delete Weather Station Pro?' }).waitFor();
    expect(await gh.ctx.storage.findApp(clientId as never)).not.toBeNull();
    await confirm(page);
    await page.waitForURL((url) => url.pathname === '/console');
    await page.getByText('The app is deleted.').waitFor();
    expect(await gh.ctx.storage.findApp(clientId as never)).toBeNull();
    expect(await tokenEndpointError(gh, clientId, firstSecret)).toBe('invalid_client');
    const res = await fetch(`${gh.url}/console/apps/${clientId}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
  });
});
