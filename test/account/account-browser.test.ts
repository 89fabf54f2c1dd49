/**
 * /account as a person lives it, in Chromium (docs/protocol.md §10): they allow an app,
 * see it with its permissions and last use, revoke it and its token stops
 * working; edit the profile the login info API reads (docs/protocol.md §6); upload an
 * avatar served in every size; see and sign out devices and sessions; change
 * the password and sign out everywhere (sessions and tokens elsewhere die).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AVATAR_SIZES } from '../../src/images/pictures.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { confirm, exchangeCode, info, infoStatus, PASSWORD, signInAt } from '../console/support.js';
import { clickWhenArmed } from '../helpers/consent.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let target: RedirectTarget;
let context: BrowserContext;
let page: Page;
let app: { clientId: string; clientSecret: string };

describe.skipIf(testEngine() !== 'sqlite')('account page in Chromium', () => {
  beforeAll(async () => {
    [gh, browser, target] = await Promise.all([startGatehouse(), launchBrowser(), startRedirectTarget()]);
    await gh.createUser('alice', PASSWORD, { firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.org' });
    const created = await gh.createApp({
      name: 'Photo Printer', redirectUris: [target.redirectUri], scopes: ['login:info', 'login:email'],
      optionalScopes: ['login:avatar', 'login:birthday', 'login:default_phone'],
    });
    app = { clientId: created.clientId, clientSecret: created.clientSecret! };
    context = await browser.browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await target?.close();
    await gh?.close();
  });

  test('a user grants the app, sees it on /account, revokes it, and its token stops working', async () => {
    await page.goto(`${gh.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.clientId, scope: 'login:info login:email', optional_scope: 'login:birthday' })}`);
    await page.locator('#login').fill('alice');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('See your date of birth').check();
    await clickWhenArmed(page, 'Allow');
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    const tokens = await exchangeCode(gh, app.clientId, app.clientSecret, target.last().get('code')!);
    expect((await info(gh, tokens.access_token!)).login).toBe('alice');

    await page.goto(`${gh.url}/account`);
    const entry = page.locator('section[aria-labelledby="apps"] li', { hasText: 'Photo Printer' });
    await entry.waitFor();
    const text = (await entry.textContent())!;
    expect(text).toContain('See your name, display name and sex');
    expect(text).toContain('See your email addresses');
    expect(text).toContain('See your date of birth');
    expect(text).not.toContain('See your profile picture');
    expect(text).toMatch(/Last signed in .+ UTC/);

    await entry.getByRole('button', { name: 'Revoke access of Photo Printer' }).click();
    await page.getByRole('heading', { name: 'Revoke access of Photo Printer?' }).waitFor();
    expect(await infoStatus(gh, tokens.access_token!)).toBe(200);
    await confirm(page);
    await page.getByText('Access revoked. The app must ask you again.').waitFor();
    expect(await infoStatus(gh, tokens.access_token!)).toBe(401);
    // The refresh token died too, and the next sign-in asks again.
    const refreshed = await fetch(`${gh.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }),
    });
    expect(refreshed.status).toBe(400);
    expect(await page.locator('section[aria-labelledby="apps"]').textContent()).toContain('No app has access to your account.');
    expect(await gh.ctx.storage.findConsent((await gh.ctx.storage.findUserByLogin('alice'))!.id, app.clientId as never)).toBeNull();
  });

  test('the profile form saves what /info returns (an address or number the user set only once confirmed), and refuses a bad phone number in place', async () => {
    await page.goto(`${gh.url}/account`);
    await page.getByLabel('Display name').fill('Alice in Wonderland');
    await page.getByLabel('Email addresses').fill('alice@example.org\nalice@wonderland.example');
    await page.getByLabel('Date of birth').fill('0000-05-04');
    await page.getByLabel('Phone number').fill('+44 20 7946 0958');
    await page.getByLabel('Female').check();
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Your profile is saved.').waitFor();
    await page.getByLabel('Main email address').selectOption('alice@wonderland.example');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Your profile is saved.').waitFor();

    const user = new HttpUser(gh, 'alice', PASSWORD);
    const code = await user.code({ response_type: 'code', client_id: app.clientId, scope: 'login:info login:email login:birthday login:default_phone' });
    const token = (await exchangeCode(gh, app.clientId, app.clientSecret, code)).access_token!;
    // The address she added and her number wait for confirmation: apps see the confirmed address only.
    expect(await info(gh, token)).toMatchObject({
      display_name: 'Alice in Wonderland', sex: 'female', birthday: '0000-05-04',
      default_email: 'alice@example.org', emails: ['alice@example.org'], default_phone: null,
    });
    // Without SMTP the confirmation mail waits in the outbox; its link confirms the address.
    const [mail] = await gh.ctx.storage.mail.listMails({ limit: 1 });
    const link = /http\S+\/confirm-email\?token=[\w-]+/.exec(gh.ctx.mail.body(mail!)!.text)![0];
    await page.goto(link);
    await page.getByRole('button', { name: 'Confirm the address' }).click();
    await page.getByRole('heading', { name: 'Address confirmed' }).waitFor();
    await gh.ctx.addresses.vouch((await gh.ctx.storage.findUserByLogin('alice'))!, { emails: [], phone: true }, { type: 'operator' }, null);
    expect(await info(gh, token)).toMatchObject({
      default_email: 'alice@wonderland.example', emails: ['alice@example.org', 'alice@wonderland.example'],
      default_phone: { number: '+442079460958' },
    });
    await page.goto(`${gh.url}/account`);

    await page.getByLabel('Phone number').fill('12345');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('international form');
    expect(await page.getByLabel('Phone number').inputValue()).toBe('12345');
    expect((await gh.ctx.storage.findUserByLogin('alice'))!.defaultPhone).toBe('+442079460958');
  });

  test('an uploaded avatar is served in every size of docs/protocol.md §6 and named by /info', async () => {
    const png = new PNG({ width: 640, height: 480 });
    for (let y = 0; y < 480; y++) for (let x = 0; x < 640; x++) {
      const o = (y * 640 + x) * 4;
      png.data[o] = x < 320 ? 220 : 30; png.data[o + 1] = 60; png.data[o + 2] = 90; png.data[o + 3] = 255;
    }
    await page.goto(`${gh.url}/account`);
    await page.getByLabel('New picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG.sync.write(png) });
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await page.getByText('Your new picture is saved.').waitFor();
    const avatarId = (await gh.ctx.storage.findUserByLogin('alice'))!.avatarId!;
    expect(avatarId).toMatch(/^[0-9a-f]{32}$/);
    for (const [name, size] of Object.entries(AVATAR_SIZES)) {
      const res = await fetch(`${gh.url}/avatars/${avatarId}/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const picture = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
      expect([picture.width, picture.height], name).toEqual([size, size]);
    }
    expect((await fetch(`${gh.url}/avatars/${avatarId}/islands-999`)).status).toBe(404);
    expect((await fetch(`${gh.url}/avatars/0/0-0/islands-50`)).status).toBe(200);
    expect(await page.locator('img.avatar-img.large').getAttribute('src')).toBe(`/avatars/${avatarId}/islands-200`);

    const user = new HttpUser(gh, 'alice', PASSWORD);
    const code = await user.code({ response_type: 'code', client_id: app.clientId, scope: 'login:info login:avatar' });
    const body = await info(gh, (await exchangeCode(gh, app.clientId, app.clientSecret, code)).access_token!);
    expect(body).toMatchObject({ default_avatar_id: avatarId, is_avatar_empty: false });

    await page.getByRole('button', { name: 'Remove picture' }).click();
    await page.getByText('Your picture is removed.').waitFor();
    expect((await fetch(`${gh.url}/avatars/${avatarId}/islands-200`)).status).toBe(404);
  });

  test('devices are listed by name and signed out one by one', async () => {
    const user = new HttpUser(gh, 'alice', PASSWORD);
    const tv = await exchangeCode(gh, app.clientId, app.clientSecret,
      await user.code({ response_type: 'code', client_id: app.clientId, device_id: 'tv-living-room', device_name: 'Living room TV' }));
    const phone = await exchangeCode(gh, app.clientId, app.clientSecret,
      await user.code({ response_type: 'code', client_id: app.clientId, device_id: 'phone-0001', device_name: 'Alice’s phone' }));
    await page.goto(`${gh.url}/account`);
    const devices = page.locator('section[aria-labelledby="devices"] li');
    expect(await devices.count()).toBe(2);
    await page.getByRole('button', { name: 'Sign out Living room TV' }).click();
    await confirm(page);
    await page.getByText('The device is signed out.').waitFor();
    expect(await infoStatus(gh, tv.access_token!)).toBe(401);
    expect(await infoStatus(gh, phone.access_token!)).toBe(200);
    expect(await page.locator('section[aria-labelledby="devices"] li').count()).toBe(1);
  });

  test('other sessions are listed and ended; a password change and "sign out everywhere" end sessions and tokens elsewhere', async () => {
    const other = new HttpUser(gh, 'alice', PASSWORD);
    await other.signIn();
    expect((await other.get('/account')).status).toBe(200);
    await page.goto(`${gh.url}/account`);
    const sessions = page.locator('section[aria-labelledby="sessions"] > ul > li');
    expect(await sessions.count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('section[aria-labelledby="sessions"]').textContent()).toContain('This browser');

    // A wrong current password changes nothing.
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill('a brand new password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('The current password is incorrect.');

    const user = new HttpUser(gh, 'alice', PASSWORD);
    const token = (await exchangeCode(gh, app.clientId, app.clientSecret, await user.code({ response_type: 'code', client_id: app.clientId }))).access_token!;
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill('a brand new password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password is changed. Other browsers are signed out.').waitFor();
    expect((await other.get('/account')).status).toBe(302);
    expect(await infoStatus(gh, token)).toBe(401);
    // This browser stays signed in.
    await page.goto(`${gh.url}/account`);
    expect(page.url()).toBe(`${gh.url}/account`);

    // Sign out everywhere: the other browser and every token.
    const again = new HttpUser(gh, 'alice', 'a brand new password');
    await again.signIn();
    const token2 = (await exchangeCode(gh, app.clientId, app.clientSecret, await again.code({ response_type: 'code', client_id: app.clientId }))).access_token!;
    await page.goto(`${gh.url}/account`);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('heading', { name: 'Sign out everywhere?' }).waitFor();
    expect((await again.get('/account')).status).toBe(200);
    await confirm(page);
    await page.getByText('You are signed out everywhere else, and every token is revoked.').waitFor();
    expect((await again.get('/account')).status).toBe(302);
    expect(await infoStatus(gh, token2)).toBe(401);
    expect(await page.locator('section[aria-labelledby="sessions"] > ul > li').count()).toBe(1);

    // One other session ended from the list.
    const third = new HttpUser(gh, 'alice', 'a brand new password');
    await third.signIn();
    await page.goto(`${gh.url}/account`);
    await page.locator('section[aria-labelledby="sessions"]').getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByText('That browser is signed out.').waitFor();
    expect((await third.get('/account')).status).toBe(302);
  });

  test('a signed-out visitor is sent to sign in; a form without the CSRF token is refused', async () => {
    const res = await fetch(`${gh.url}/account`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?return_to=%2Faccount');
    const user = new HttpUser(gh, 'alice', 'a brand new password');
    await user.signIn();
    const forged = await user.post('/account/sign-out-everywhere', { confirmed: 'yes' });
    expect(forged.status).toBe(403);
    const wrong = await user.post('/account/profile', { csrf: 'x'.repeat(43), display_name: 'Mallory' });
    expect(wrong.status).toBe(403);
    expect((await gh.ctx.storage.findUserByLogin('alice'))!.displayName).toBe('Alice in Wonderland');
  });
});
