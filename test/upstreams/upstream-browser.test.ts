/**
 * Signing in through other identity providers in Chromium, click by click,
 * with real upstreams: a second Gatehouse found by OpenID Connect discovery
 * ("Corp"), the same second Gatehouse through the Yandex ID preset with its
 * endpoints overridden (Gatehouse speaks Yandex ID's wire protocol, so this
 * is Yandex's real protocol), node-oidc-provider as a third-party OpenID
 * Connect provider ("Partner"), and GitHub's preset against a local server
 * speaking GitHub's documented OAuth, /user and /user/emails: GitHub is the
 * one provider here that cannot be run for real.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { clickWhenArmed } from '../helpers/consent.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { addGatehouseUpstream } from '../helpers/upstreams.js';

const PASSWORD = 'correct horse battery';
let gh: TestGatehouse;
let corp: TestGatehouse;
let partner: TestOidcProvider;
let github: FakeGitHub;
let target: RedirectTarget;
let browser: TestBrowser;

beforeAll(async () => {
  if (testEngine() !== 'sqlite') return;
  // Corp at `localhost`, Gatehouse at 127.0.0.1: browsers keep cookies per host, not per port, and two servers on one
  // host would overwrite each other's session cookie (as they never would on two hosts in real life).
  [gh, corp, browser, target] = await Promise.all([startGatehouse(), startGatehouse({ issuerHost: 'localhost' }), launchBrowser(), startRedirectTarget()]);
  await addGatehouseUpstream(gh, corp, 'corp', { input: { displayName: 'Corp' } });
  await addGatehouseUpstream(gh, corp, 'yandex', { preset: 'yandex' });
  partner = await startOidcProvider(`${gh.url}/upstream/partner/callback`);
  await gh.ctx.upstreams.add({ name: 'partner', displayName: 'Partner', issuer: partner.issuer, clientId: partner.clientId, clientSecret: partner.clientSecret }, { type: 'operator' });
  github = await startFakeGitHub(() => `${gh.url}/upstream/github/callback`);
  await gh.ctx.upstreams.add({
    name: 'github', kind: 'github', clientId: github.clientId, clientSecret: github.clientSecret,
    authorizationEndpoint: `${github.url}/login/oauth/authorize`, tokenEndpoint: `${github.url}/login/oauth/access_token`, userinfoEndpoint: `${github.url}/user`,
  }, { type: 'operator' });
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([gh?.close(), corp?.close(), partner?.close(), github?.close(), target?.close()]);
});

/** A fresh browser profile (no cookies at either server). */
async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.browser.newContext({ viewport: { width: 800, height: 900 }, locale: 'en-US' });
  return { context, page: await context.newPage() };
}

/** At Corp (the second Gatehouse): sign in when asked, then allow (or deny) when asked, until the browser leaves Corp. */
async function atCorp(page: Page, login: string, decision: 'Allow' | 'Deny' = 'Allow'): Promise<void> {
  await page.waitForURL((url) => url.origin === corp.url);
  const left = page.waitForURL((url) => url.origin !== corp.url).then(() => 'left' as const);
  const signInForm = page.getByRole('button', { name: 'Sign in', exact: true }).waitFor().then(() => 'sign_in' as const);
  const consent = page.getByRole('button', { name: 'Allow' }).waitFor().then(() => 'consent' as const);
  let step = await Promise.race([left, signInForm, consent]);
  if (step === 'sign_in') {
    await page.getByLabel('Username').fill(login);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    step = await Promise.race([left, page.getByRole('button', { name: 'Allow' }).waitFor().then(() => 'consent' as const)]);
  }
  if (step === 'consent') await clickWhenArmed(page, decision);
  await left;
}

async function signInWithPassword(page: Page, login: string): Promise<void> {
  await page.goto(`${gh.url}/login?return_to=%2Faccount`);
  await page.getByLabel('Username').fill(login);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${gh.url}/account`);
}

const signedInLogin = (page: Page) => page.locator('.page-head p.muted').textContent();

describe.skipIf(testEngine() !== 'sqlite')('sign-in through other identity providers in Chromium', () => {
  test('first sign-in through a second Gatehouse creates an account: Continue with Corp, sign in and allow at Corp, confirm the profile, pick a free login', async () => {
    await corp.createUser('ada', PASSWORD, { email: 'ada@corp.example', firstName: 'Ada', lastName: 'Lovelace' });
    await gh.createUser('ada', PASSWORD);
    const { context, page } = await freshPage();
    await page.goto(`${gh.url}/login`);
    await page.getByRole('link', { name: 'Continue with Corp' }).click();
    await atCorp(page, 'ada');
    await page.waitForURL(`${gh.url}/upstream/register`);
    await page.getByRole('heading', { name: 'Create your Gatehouse account' }).waitFor();
    await expect.poll(() => page.locator('.profile-list').textContent()).toContain('Ada Lovelace');
    expect(await page.locator('.profile-list').textContent()).toContain('ada@corp.example');
    // "ada" is taken here: the suggestion is a free one.
    const suggested = await page.getByLabel('Pick a username').inputValue();
    expect(suggested).not.toBe('ada');
    expect(suggested).toMatch(/^ada/);
    await page.getByLabel('Pick a username').fill('ada');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('taken');
    await page.getByLabel('Pick a username').fill('ada-corp');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${gh.url}/`);
    await page.goto(`${gh.url}/account`);
    expect(await signedInLogin(page)).toBe('ada-corp');
    const section = page.locator('section[aria-labelledby="identities"]');
    expect(await section.locator('li strong').allTextContents()).toEqual(['Corp']);
    await browser.screenshot(page, 'upstream-account-section');
    await context.close();
  });

  test('a second sign-in through Corp recognises the identity and signs in to the same account', async () => {
    const { context, page } = await freshPage();
    await page.goto(`${gh.url}/login?return_to=%2Faccount`);
    await page.getByRole('link', { name: 'Continue with Corp' }).click();
    await atCorp(page, 'ada');
    await page.waitForURL(`${gh.url}/account`);
    expect(await signedInLogin(page)).toBe('ada-corp');
    await context.close();
  });

  test('linking to an existing account by signing in to it first, then signing in with Yandex ID (the preset, against the second Gatehouse)', async () => {
    await gh.createUser('bob', PASSWORD);
    await corp.createUser('bob-at-corp', PASSWORD, { email: 'bob@corp.example' });
    const { context, page } = await freshPage();
    await signInWithPassword(page, 'bob');
    await page.getByRole('button', { name: 'Link Yandex ID' }).click();
    await atCorp(page, 'bob-at-corp');
    await page.waitForURL((url) => url.origin === gh.url && url.pathname === '/account');
    expect(await page.getByRole('status').textContent()).toContain('Yandex ID is linked to your account');
    expect(await page.locator('section[aria-labelledby="identities"] li').textContent()).toContain('bob@corp.example');
    await page.locator('header form[action="/logout"] button').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/account'));
    await page.goto(`${gh.url}/login?return_to=%2Faccount`);
    // Still signed in at Corp, which remembers the consent: straight back.
    await page.getByRole('link', { name: 'Continue with Yandex ID' }).click();
    await page.waitForURL(`${gh.url}/account`);
    expect(await signedInLogin(page)).toBe('bob');
    await context.close();
  });

  test('unlinking: refused while it is the last way to sign in, done once another way is linked', async () => {
    const { context, page } = await freshPage();
    await page.goto(`${gh.url}/login?return_to=%2Faccount`);
    await page.getByRole('link', { name: 'Continue with Corp' }).click();
    await atCorp(page, 'ada');
    await page.waitForURL(`${gh.url}/account`);
    await page.getByRole('button', { name: 'Unlink Corp' }).click();
    await page.waitForURL(/problem=upstream_last_way/);
    expect(await page.locator('section[aria-labelledby="identities"] [role="alert"]').textContent()).toContain('only way to sign in');
    github.next = { id: 583231, login: 'octocat', name: 'The Octocat', email: null, emails: [{ email: 'octocat@github.example', primary: true, verified: true, visibility: 'private' }] };
    await page.getByRole('button', { name: 'Link GitHub' }).click();
    await page.waitForURL(/done=upstream_linked/);
    await page.getByRole('button', { name: 'Unlink Corp' }).click();
    await page.waitForURL(/done=upstream_unlinked/);
    expect(await page.getByRole('status').textContent()).toContain('Corp is no longer linked');
    expect(await page.locator('section[aria-labelledby="identities"] li strong').allTextContents()).toEqual(['GitHub']);
    const ada = (await gh.ctx.storage.findUserByLogin('ada-corp'))!;
    const actions = (await gh.ctx.storage.listAudit({ userId: ada.id, limit: 50 })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['upstream_linked', 'upstream_unlinked']));
    await context.close();
  });

  test('node-oidc-provider as a third-party OpenID Connect upstream: a new user signs in at Partner and gets an account', async () => {
    const { context, page } = await freshPage();
    await page.goto(`${gh.url}/login`);
    await page.getByRole('link', { name: 'Continue with Partner' }).click();
    await page.waitForURL((url) => url.origin === partner.issuer);
    await page.locator('input[name="login"]').fill('zoe');
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${gh.url}/upstream/register`);
    expect(await page.locator('.profile-list').textContent()).toContain('zoe@partner.example');
    expect(await page.getByLabel('Pick a username').inputValue()).toBe('zoe');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${gh.url}/`);
    const zoe = (await gh.ctx.storage.findUserByLogin('zoe'))!;
    expect(zoe.confirmedEmails).toEqual(['zoe@partner.example']);
    expect((await gh.ctx.storage.upstreams.listIdentities(zoe.id)).map((i) => [i.upstream, i.subject])).toEqual([['partner', 'zoe']]);
    await context.close();
  });

  test('GitHub\'s preset against a local server speaking GitHub\'s documented OAuth, /user and /user/emails (GitHub itself cannot be run here)', async () => {
    github.next = { id: 9_919_191, login: 'Hubber_1', name: 'Hub Ber', email: null, emails: [{ email: 'old@hub.example', primary: false, verified: true, visibility: null }, { email: 'hub@hub.example', primary: true, verified: true, visibility: 'private' }] };
    const { context, page } = await freshPage();
    await page.goto(`${gh.url}/login?return_to=%2Faccount`);
    await page.getByRole('link', { name: 'Continue with GitHub' }).click();
    await page.waitForURL(`${gh.url}/upstream/register`);
    expect(await page.locator('.profile-list').textContent()).toContain('hub@hub.example');
    expect(await page.locator('.profile-list').textContent()).toContain('confirmed by GitHub');
    expect(await page.getByLabel('Pick a username').inputValue()).toBe('hubber_1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${gh.url}/account`);
    expect(await signedInLogin(page)).toBe('hubber_1');
    // GitHub was asked with PKCE and the verifier went with the code.
    expect(github.tokenRequests.at(-1)!.code_verifier).toMatch(/^[\w-]{43,128}$/);
    await context.close();
  });

  test('the instant-login pop-up shows Continue with …, and a federated sign-in in it ends at the app', async () => {
    const app = await gh.createApp({ redirectUris: [target.redirectUri], scopes: ['login:info'] });
    const { context, page } = await freshPage();
    await page.goto(`${gh.url}/authorize?response_type=code&client_id=${app.clientId}&redirect_uri=${encodeURIComponent(target.redirectUri)}&display=popup`);
    await page.waitForURL((url) => url.pathname === '/login');
    const href = await page.getByRole('link', { name: 'Continue with GitHub' }).getAttribute('href');
    expect(new URL(href!, gh.url).searchParams.get('display')).toBe('popup');
    github.next = { id: 583231, login: 'octocat', name: 'The Octocat', email: null, emails: [] };
    await page.getByRole('link', { name: 'Continue with GitHub' }).click();
    await page.waitForURL((url) => url.origin === gh.url && url.pathname === '/authorize');
    await clickWhenArmed(page, 'Allow');
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    expect(target.last().get('code')).toBeTruthy();
    await context.close();
  });
});

describe.skipIf(testEngine() !== 'sqlite')('the pages that end a federated sign-in without one (never a 500)', () => {
  test('sign-up closed: a new identity gets a page that says how to link it instead', async () => {
    const closed = await startGatehouse({ config: { signupEnabled: false } });
    try {
      await addGatehouseUpstream(closed, corp, 'corp', { input: { displayName: 'Corp' } });
      await corp.createUser('carl', PASSWORD);
      const { context, page } = await freshPage();
      await page.goto(`${closed.url}/login`);
      const answer = page.waitForResponse((r) => r.url().startsWith(`${closed.url}/upstream/corp/callback`));
      await page.getByRole('link', { name: 'Continue with Corp' }).click();
      await atCorp(page, 'carl');
      expect((await answer).status()).toBe(403);
      await page.getByRole('heading', { name: 'No Gatehouse account for this Corp account' }).waitFor();
      expect(await page.getByRole('alert').textContent()).toContain('link Corp on your account page');
      await browser.screenshot(page, 'upstream-signup-closed');
      await context.close();
    } finally {
      await closed.close();
    }
  });

  test('denied at the upstream, a state of no sign-in, an id_token that fails its checks, an upstream that cannot be reached: each its own page', async () => {
    await corp.createUser('dora', PASSWORD);
    const down = await gh.ctx.upstreams.add({ name: 'down', displayName: 'Down', issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: 'y' }, { type: 'operator' });
    const { context, page } = await freshPage();
    const statusOf = (path: string) => page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().resourceType() === 'document');

    // Denied: the user says no at Corp.
    await page.goto(`${gh.url}/login`);
    let answer = statusOf('/upstream/corp/callback');
    await page.getByRole('link', { name: 'Continue with Corp' }).click();
    await atCorp(page, 'dora', 'Deny');
    expect((await answer).status()).toBe(403);
    await page.getByRole('heading', { name: 'Sign-in with Corp did not work' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('You did not allow Corp');

    // A state of no sign-in of this browser.
    const bad = await page.goto(`${gh.url}/upstream/corp/callback?code=abc&state=forged`);
    expect(bad!.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('does not belong to a sign-in started in this browser');

    // An id_token that fails its checks: the request reaches Corp with another nonce than the one Gatehouse keeps.
    await page.route((url) => url.pathname === '/upstream/corp/start', async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = new URL(response.headers().location!);
      location.searchParams.set('nonce', 'not-the-one-gatehouse-sent');
      await route.fulfill({ status: 303, headers: { location: location.toString(), 'set-cookie': response.headers()['set-cookie'] ?? '' } });
    });
    await page.goto(`${gh.url}/login`);
    answer = statusOf('/upstream/corp/callback');
    await page.getByRole('link', { name: 'Continue with Corp' }).click();
    await atCorp(page, 'dora');
    expect((await answer).status()).toBe(502);
    expect(await page.getByRole('alert').textContent()).toContain('did not pass Gatehouse’s checks');
    await page.unroute((url) => url.pathname === '/upstream/corp/start');

    // An upstream that cannot be reached.
    await page.goto(`${gh.url}/login`);
    answer = statusOf('/upstream/down/start');
    await page.getByRole('link', { name: 'Continue with Down' }).click();
    expect((await answer).status()).toBe(502);
    expect(await page.getByRole('alert').textContent()).toContain('could not reach Down');
    await browser.screenshot(page, 'upstream-unreachable');

    // An upstream that does not exist.
    const none = await page.goto(`${gh.url}/upstream/nope/start`);
    expect(none!.status()).toBe(404);
    await gh.ctx.upstreams.remove(down.name, { type: 'operator' });
    await context.close();
  });
});
