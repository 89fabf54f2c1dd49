/**
 * Who may see and change what (docs/protocol.md §10): another developer cannot see or
 * change an app that is not theirs (the same 404 as a missing app); a
 * non-operator cannot reach /admin; GATEHOUSE_DEVELOPERS=developers keeps the
 * console to the developers an operator names. And every user-provided field
 * renders as text: an app or user named `<img src=x onerror=alert(1)>` runs
 * nothing on any page, in Chromium.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import { PASSWORD, signInAt } from './support.js';
import { clickWhenArmed } from '../helpers/consent.js';

const XSS = '<img src=x onerror=alert(1)>';

describe.skipIf(testEngine() !== 'sqlite')('owners only, operators only', () => {
  let gh: TestGatehouse;
  let ownerApp: string;
  let mallory: HttpUser;
  let csrf: string;

  beforeAll(async () => {
    gh = await startGatehouse();
    const owner = await gh.ctx.users.create({ login: 'olga', password: PASSWORD, isDeveloper: true });
    await gh.ctx.users.create({ login: 'mallory', password: PASSWORD, isDeveloper: true });
    ownerApp = (await gh.createApp({ name: 'Olga’s Secret Project', ownerId: owner.id })).clientId;
    mallory = new HttpUser(gh, 'mallory', PASSWORD);
    await mallory.signIn();
    csrf = hiddenFields(await (await mallory.get('/console/apps/new')).text()).csrf!;
  });
  afterAll(async () => {
    await gh?.close();
  });

  test('another developer gets 404 for every page and action of an app that is not theirs, and it stays unchanged', async () => {
    const before = await gh.ctx.storage.findApp(ownerApp as never);
    for (const path of ['', '/edit']) {
      const res = await mallory.get(`/console/apps/${ownerApp}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('Olga’s Secret Project');
    }
    for (const action of ['edit', 'secret', 'block', 'unblock', 'delete', 'icon/remove', 'debug-tokens/revoke']) {
      const res = await mallory.post(`/console/apps/${ownerApp}/${action}`, { csrf, confirmed: 'yes', name: 'Pwned', family: 'x' });
      expect(res.status, action).toBe(404);
    }
    // A missing app answers the same.
    expect((await mallory.get(`/console/apps/${'0'.repeat(32)}`)).status).toBe(404);
    expect(await gh.ctx.storage.findApp(ownerApp as never)).toEqual(before);
    const list = await (await mallory.get('/console')).text();
    expect(list).not.toContain('Olga’s Secret Project');
  });

  test('a non-operator gets 404 for every admin page and action; a visitor is sent to sign in', async () => {
    const bob = (await gh.ctx.storage.findUserByLogin('olga'))!;
    for (const path of ['/admin', '/admin/apps', '/admin/audit', `/admin/users/${bob.id}`]) {
      const res = await mallory.get(path);
      expect(res.status, path).toBe(404);
    }
    for (const path of [`/admin/users/${bob.id}/block`, `/admin/users/${bob.id}/make_admin`, `/admin/apps/${ownerApp}/block`]) {
      expect((await mallory.post(path, { csrf, confirmed: 'yes' })).status, path).toBe(404);
    }
    expect((await gh.ctx.storage.findUserByLogin('olga'))!.status).toBe('active');
    expect((await gh.ctx.storage.findUserByLogin('mallory'))!.isAdmin).toBe(false);
    expect((await gh.ctx.storage.findApp(ownerApp as never))!.status).toBe('active');
    const visitor = await fetch(`${gh.url}/admin`, { redirect: 'manual' });
    expect(visitor.status).toBe(302);
    expect(visitor.headers.get('location')).toBe('/login?return_to=%2Fadmin');
  });

  test('a developer cannot make themself an operator, nor skip the confirmation of a destructive action', async () => {
    const res = await mallory.post(`/console/apps/${ownerApp}/delete`, { csrf });
    expect(res.status).toBe(404);
    const own = (await gh.createApp({ name: 'Mallory’s App', ownerId: (await gh.ctx.storage.findUserByLogin('mallory'))!.id })).clientId;
    const first = await mallory.post(`/console/apps/${own}/delete`, { csrf });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('name="confirmed" value="yes"');
    expect(await gh.ctx.storage.findApp(own as never)).not.toBeNull();
  });
});

describe.skipIf(testEngine() !== 'sqlite')('GATEHOUSE_DEVELOPERS=developers', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse({ config: { developers: 'developers' } });
    await gh.ctx.users.create({ login: 'dana', password: PASSWORD, isDeveloper: true });
    await gh.createUser('ursula', PASSWORD);
  });
  afterAll(async () => {
    await gh?.close();
  });

  test('only developers an operator named reach the console; others are told whom to ask', async () => {
    const ursula = new HttpUser(gh, 'ursula', PASSWORD);
    await ursula.signIn();
    const page = await ursula.get('/console');
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('Ask the operator to make you a developer.');
    const csrf = hiddenFields(await (await ursula.get('/account')).text()).csrf!;
    expect((await ursula.post('/console/apps/new', { csrf, name: 'Sneaky', platform: 'web', 'scope:login:info': 'required' })).status).toBe(403);
    expect(await gh.ctx.storage.listApps()).toEqual([]);
    expect(await (await ursula.get('/account')).text()).not.toContain('href="/console"');
    // The home page offers her no way in either: only the account.
    const home = await (await ursula.get('/')).text();
    expect(home).toContain('href="/account"');
    expect(home).not.toContain('href="/console"');

    const dana = new HttpUser(gh, 'dana', PASSWORD);
    await dana.signIn();
    expect((await dana.get('/console')).status).toBe(200);
    expect(await (await dana.get('/')).text()).toContain('href="/console"');
  });
});

describe.skipIf(testEngine() !== 'sqlite')('user-provided fields render as text (XSS)', () => {
  let gh: TestGatehouse;
  let browser: TestBrowser;

  beforeAll(async () => {
    [gh, browser] = await Promise.all([startGatehouse(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
  });

  test('an app and a user named <img src=x onerror=alert(1)> run nothing on the console, account, consent and admin pages', async () => {
    const evil = await gh.ctx.users.create({ login: 'evil', password: PASSWORD, firstName: XSS, lastName: '"><script>alert(2)</script>', isAdmin: true, isDeveloper: true });
    await gh.ctx.storage.updateUser(evil.id, { displayName: XSS, emails: ['x@example.org'], birthday: null });
    const created = await gh.ctx.apps.create({
      name: XSS, description: `${XSS} <script>alert(3)</script>`, ownerId: evil.id,
      redirectUris: ['https://app.example/cb?x="><img src=x onerror=alert(4)>'], scopes: ['login:info'],
    });
    const clientId = created.app.clientId;
    await gh.ctx.storage.atomically(() => gh.ctx.audit.record({ action: 'app_updated', actor: { type: 'user', id: evil.id }, clientId, details: { name: XSS } }));
    const context = await browser.browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    await signInAt(page, gh, 'evil', '/account');
    // A consent gives the account page a granted app named like the attack.
    await page.goto(`${gh.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: 'https://app.example/cb?x="><img src=x onerror=alert(4)>' })}`);
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.locator('h1').textContent()).toContain(XSS);
    await page.route('https://app.example/**', (route) => route.fulfill({ body: 'ok' }));
    await clickWhenArmed(page, 'Allow');
    await page.waitForURL((url) => url.hostname === 'app.example');

    const pages = ['/', '/account', '/console', `/console/apps/${clientId}`, `/console/apps/${clientId}/edit`, '/admin', `/admin/users/${evil.id}`, '/admin/apps', '/admin/audit'];
    for (const path of pages) {
      await page.goto(gh.url + path);
      await page.waitForLoadState('load');
      expect(await page.locator('img[src="x"], script:not([src])').count(), path).toBe(0);
      const text = (await page.locator('body').textContent())!;
      expect(text, path).toContain(XSS);
    }
    // The confirmation page repeats the name too.
    await page.goto(`${gh.url}/console/apps/${clientId}`);
    await page.getByRole('button', { name: 'Delete app' }).click();
    await page.locator('input[name="confirmed"]').waitFor({ state: 'attached' });
    expect(await page.locator('h1').textContent()).toBe(`Delete ${XSS}?`);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await context.close();
  });
});
