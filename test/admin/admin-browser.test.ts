/**
 * /admin as an operator uses it, in Chromium (docs/protocol.md §10): find a user and
 * block them (their sessions and tokens die, they cannot sign in), unblock,
 * reset a password; block an app (`unauthorized_client` at /authorize, /token,
 * /device/code and /revoke_token, its tokens dead); every action in the audit
 * log. Only operators reach these pages.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, postForm } from '../helpers/http-client.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { confirm, exchangeCode, infoStatus, PASSWORD, signInAt, tokenEndpointError } from '../console/support.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let target: RedirectTarget;
let context: BrowserContext;
let page: Page;
let app: { clientId: string; clientSecret: string };

describe.skipIf(testEngine() !== 'sqlite')('administration in Chromium', () => {
  beforeAll(async () => {
    [gh, browser, target] = await Promise.all([startGatehouse(), launchBrowser(), startRedirectTarget()]);
    await gh.ctx.users.create({ login: 'root', password: PASSWORD, firstName: 'Rita', lastName: 'Root', isAdmin: true });
    await gh.createUser('bob', PASSWORD, { firstName: 'Bob', lastName: 'Builder', email: 'bob@example.org' });
    const created = await gh.createApp({ name: 'Bob’s Garage', redirectUris: [target.redirectUri], scopes: ['login:info'] });
    app = { clientId: created.clientId, clientSecret: created.clientSecret! };
    context = await browser.browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
    await signInAt(page, gh, 'root', '/admin');
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await target?.close();
    await gh?.close();
  });

  async function openUser(query: string, name: string): Promise<void> {
    await page.goto(`${gh.url}/admin`);
    await page.getByLabel('Username, name, email or ID').fill(query);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
  }

  test('an operator blocks a user: their sessions and tokens die and they cannot sign in; unblocking lets them back', async () => {
    const bob = new HttpUser(gh, 'bob', PASSWORD);
    const token = (await exchangeCode(gh, app.clientId, app.clientSecret, await bob.code({ response_type: 'code', client_id: app.clientId }))).access_token!;
    expect((await bob.get('/account')).status).toBe(200);
    expect(await infoStatus(gh, token)).toBe(200);

    await openUser('BUILDER', 'Bob Builder');
    expect(await page.locator('dl.details').textContent()).toContain('bob@example.org');
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByRole('heading', { name: 'Block bob?' }).waitFor();
    await confirm(page);
    await page.getByText('The user is blocked, signed out and their tokens are revoked.').waitFor();
    expect(await page.locator('.page-head .badge.blocked').textContent()).toBe('Blocked');

    expect((await bob.get('/account')).status).toBe(302);
    expect(await infoStatus(gh, token)).toBe(401);
    await expect(new HttpUser(gh, 'bob', PASSWORD).signIn()).rejects.toThrow(/failed with status 401/);

    await page.getByRole('button', { name: 'Unblock' }).click();
    await page.getByText('The user is unblocked.').waitFor();
    await new HttpUser(gh, 'bob', PASSWORD).signIn();
  });

  test('an operator resets a password: shown once, the old one stops working, sessions end', async () => {
    const bob = new HttpUser(gh, 'bob', PASSWORD);
    await bob.signIn();
    await openUser('bob', 'Bob Builder');
    await page.getByRole('button', { name: 'Reset password' }).click();
    await confirm(page);
    await page.getByRole('heading', { name: 'New password' }).waitFor();
    const password = (await page.locator('#new-password').textContent())!;
    expect(password).toMatch(/^[A-Za-z2-9]{16}$/);
    expect((await bob.get('/account')).status).toBe(302);
    await expect(new HttpUser(gh, 'bob', PASSWORD).signIn()).rejects.toThrow(/401/);
    await new HttpUser(gh, 'bob', password).signIn();
    // Post/redirect/get: a reload shows the password no more and resets nothing.
    await page.reload();
    expect(await page.locator('#new-password').count()).toBe(0);
    await new HttpUser(gh, 'bob', password).signIn();
  });

  test('an operator blocks an app: unauthorized_client everywhere and its tokens are dead; unblocking restores it', async () => {
    const bob = new HttpUser(gh, 'bob', (await gh.ctx.storage.findUserByLogin('bob')) ? await resetBob() : PASSWORD);
    const tokens = await exchangeCode(gh, app.clientId, app.clientSecret, await bob.code({ response_type: 'code', client_id: app.clientId }));
    expect(await infoStatus(gh, tokens.access_token!)).toBe(200);

    await page.goto(`${gh.url}/admin/apps`);
    await page.getByLabel('App name or client ID').fill('garage');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Block Bob’s Garage' }).click();
    await page.getByRole('heading', { name: 'Block Bob’s Garage?' }).waitFor();
    await confirm(page);
    await page.getByText('Bob’s Garage is blocked and its tokens are revoked.').waitFor();

    expect(await infoStatus(gh, tokens.access_token!)).toBe(401);
    expect(await tokenEndpointError(gh, app.clientId, app.clientSecret)).toBe('unauthorized_client');
    const refresh = await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    expect(((await refresh.json()) as { error: string }).error).toBe('unauthorized_client');
    const device = await postForm(`${gh.url}/device/code`, { client_id: app.clientId, client_secret: app.clientSecret });
    expect(((await device.json()) as { error: string }).error).toBe('unauthorized_client');
    const revoke = await postForm(`${gh.url}/revoke_token`, { access_token: tokens.access_token! }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    expect(((await revoke.json()) as { error: string }).error).toBe('unauthorized_client');
    const authorize = await bob.authorize({ response_type: 'code', client_id: app.clientId, state: 'abc' });
    expect(authorize.location.searchParams.get('error')).toBe('unauthorized_client');
    expect(authorize.location.searchParams.get('state')).toBe('abc');

    await page.getByRole('button', { name: 'Unblock Bob’s Garage' }).click();
    await page.getByText('Bob’s Garage is unblocked.').waitFor();
    expect(await tokenEndpointError(gh, app.clientId, app.clientSecret)).toBe('invalid_grant');
  });

  test('the audit log names every admin action and who took it', async () => {
    await page.goto(`${gh.url}/admin/audit`);
    const log = (await page.locator('table.audit').textContent())!;
    for (const action of ['user_blocked', 'password_changed', 'app_blocked']) expect(log).toContain(action);
    const root = (await gh.ctx.storage.findUserByLogin('root'))!;
    const entries = await gh.ctx.storage.listAudit({ action: 'app_blocked' });
    expect(entries.map((e) => [e.actorType, e.actorId, e.details.blocked])).toEqual([['user', root.id, false], ['user', root.id, true]]);
    await page.getByLabel('Entries about a username').fill('bob');
    await page.getByRole('button', { name: 'Search' }).click();
    expect(await page.locator('table.audit tbody tr').count()).toBeGreaterThan(0);
  });

  test('an operator cannot block or demote themself', async () => {
    await openUser('root', 'Rita Root');
    expect(await page.getByText('This is your own account').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Block', exact: true }).count()).toBe(0);
    const root = new HttpUser(gh, 'root', PASSWORD);
    await root.signIn();
    const form = await root.get(`/admin/users/${(await gh.ctx.storage.findUserByLogin('root'))!.id}`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const res = await root.post(`/admin/users/${(await gh.ctx.storage.findUserByLogin('root'))!.id}/block`, { csrf, confirmed: 'yes' });
    expect(res.status).toBe(400);
    expect((await gh.ctx.storage.findUserByLogin('root'))!.status).toBe('active');
  });

  /** Bob's password after the reset test, set back to the known one. */
  async function resetBob(): Promise<string> {
    const bob = (await gh.ctx.storage.findUserByLogin('bob'))!;
    await gh.ctx.users.changePassword(bob, PASSWORD);
    return PASSWORD;
  }
});
