/**
 * An app that requires two-step sign-in, end to end in Chromium: a user with
 * an authenticator app goes from the app's sign-in link through the
 * password, the code and the consent page back to the app, whose id_token
 * says two factors; a user without a second factor comes back to the app
 * with access_denied, never having seen a consent page.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testClock, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { postForm } from '../helpers/http-client.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { stepStart, totpCode } from '../helpers/two-step.js';
import { decodeJwt } from '../oidc/support.js';

const PASSWORD = 'correct horse battery';
const clock = testClock(stepStart());
let gh: TestGatehouse;
let browser: TestBrowser;
let target: RedirectTarget;
let app: { clientId: string; clientSecret: string | null };

beforeAll(async () => {
  if (testEngine() !== 'sqlite') return;
  browser = await launchBrowser();
  target = await startRedirectTarget();
  gh = await startGatehouse({ clock });
  app = await gh.createApp({ name: 'Payroll', redirectUris: [target.redirectUri], scopes: ['openid', 'login:info'], requireTwoStep: true });
});
afterAll(async () => {
  await browser?.close();
  await target?.close();
  await gh?.close();
});

async function signInForApp(page: Page, login: string, state: string): Promise<void> {
  const query = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: target.redirectUri, scope: 'openid login:info', state, nonce: `n-${state}` });
  await page.goto(`${gh.url}/authorize?${query.toString()}`);
  await page.getByLabel('Username').fill(login);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe.skipIf(testEngine() !== 'sqlite')('an app that requires two-step sign-in, in Chromium', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
  });

  test('a user with an authenticator app: password, code, consent, and the app gets a code whose id_token says amr pwd otp mfa, acr 2', async () => {
    const user = await gh.createUser('rita', PASSWORD);
    const enrolment = (await gh.ctx.twoStep.enrolment(user))!;
    expect((await gh.ctx.twoStep.confirm(user, totpCode(enrolment.secret, clock()), { type: 'user', id: user.id }, null)).ok).toBe(true);
    clock.advance(30_000);

    await signInForApp(page, 'rita', 'with-code');
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    await page.getByLabel('Code from your authenticator app').fill(totpCode(enrolment.secret, clock()));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await expect.poll(() => target.received.length).toBeGreaterThan(0);
    const back = target.received.at(-1)!;
    expect(back.get('state')).toBe('with-code');
    const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code: back.get('code')!, client_id: app.clientId, client_secret: app.clientSecret!, redirect_uri: target.redirectUri });
    expect(res.status).toBe(200);
    const { payload } = decodeJwt(((await res.json()) as { id_token: string }).id_token);
    expect(payload).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: '2', nonce: 'n-with-code' });
  });

  test('a user without a second factor comes back to the app with access_denied naming why, and sees no consent page', async () => {
    await gh.createUser('sam', PASSWORD);
    const before = target.received.length;
    const fresh = await browser.browser.newContext({ locale: 'en-US' });
    await signInForApp(await fresh.newPage(), 'sam', 'no-factor');
    await expect.poll(() => target.received.length).toBe(before + 1);
    const back = target.received.at(-1)!;
    expect(back.get('state')).toBe('no-factor');
    expect(back.get('error')).toBe('access_denied');
    expect(back.get('error_description')).toContain('Payroll requires two-step sign-in');
    expect(back.get('code')).toBeNull();
    await fresh.close();
  });
});
