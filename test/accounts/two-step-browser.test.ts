/**
 * Two-step sign-in end to end in Chromium, as a person does it: turning it on
 * from /account by reading the key off the page into an "authenticator app"
 * (otpauth, computing codes at the server's clock), the recovery codes shown
 * once (copied, downloaded as a text file), signing in with the password and
 * a code or a recovery code (each works once), turning it off, an operator's
 * reset on /admin, and the operator's policy walking a user through setting
 * it up at sign-in.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testClock, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { stepStart, totpCode } from '../helpers/two-step.js';

const PASSWORD = 'correct horse battery';
const clock = testClock(stepStart());
let gh: TestGatehouse;
let browser: TestBrowser;

async function signIn(page: Page, login: string, path = '/account'): Promise<void> {
  await page.goto(`${gh.url}/login?switch=1&return_to=${encodeURIComponent(path)}`);
  await page.getByLabel('Username').fill(login);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(page: Page): Promise<void> {
  await page.goto(`${gh.url}/account`);
  await page.locator('header form[action="/logout"] button').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/account'));
}

/** Sets two-step sign-in up from /account, reading the key off the page; returns it and the recovery codes. */
async function turnOn(page: Page): Promise<{ key: string; codes: string[] }> {
  await page.goto(`${gh.url}/account`);
  await page.getByRole('link', { name: 'Turn on two-step sign-in' }).click();
  await page.getByRole('heading', { name: 'Set up two-step sign-in' }).waitFor();
  const key = (await page.locator('#totp-key').textContent())!.trim();
  await page.getByLabel('Code from your authenticator app').fill(totpCode(key, clock()));
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Turn on', exact: true }).click();
  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
  const codes = await page.locator('#recovery-codes li').allTextContents();
  clock.advance(30_000);
  return { key, codes };
}

beforeAll(async () => {
  if (testEngine() === 'sqlite') browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe.skipIf(testEngine() !== 'sqlite')('two-step sign-in in Chromium', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    gh = await startGatehouse({ clock });
    context = await browser.browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US', acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gh.url });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await gh?.close();
  });

  test('turned on from /account with the key read off the page; the recovery codes are shown once, copied and downloaded', async () => {
    await gh.createUser('ada', PASSWORD);
    await signIn(page, 'ada');
    await page.waitForURL(`${gh.url}/account`);
    await page.getByRole('link', { name: 'Turn on two-step sign-in' }).click();
    // The three ways to get the key into an app: the QR code, the link phones open, the key in groups of four.
    await expect.poll(() => page.locator('.qr svg path').count()).toBeGreaterThan(0);
    const uri = new URL((await page.getByRole('link', { name: 'Open in your authenticator app' }).getAttribute('href'))!);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Gatehouse:ada');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ issuer: 'Gatehouse', algorithm: 'SHA1', digits: '6', period: '30' });
    const key = (await page.locator('#totp-key').textContent())!.trim();
    expect(key).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(key.replace(/ /g, '')).toBe(uri.searchParams.get('secret'));
    const field = page.getByLabel('Code from your authenticator app');
    expect(await field.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await field.getAttribute('inputmode')).toBe('numeric');

    // A wrong code first: refused, and the page asks again.
    await field.fill(totpCode(key, clock()) === '123456' ? '654321' : '123456');
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
    expect((await page.locator('#totp-key').textContent())!.trim()).toBe(key);
    await page.getByLabel('Code from your authenticator app').fill(totpCode(key, clock()));
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await browser.screenshot(page, 'two-step-recovery-codes');
    const codes = await page.locator('#recovery-codes li').allTextContents();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);

    await page.locator('button.copy[data-copy="recovery-codes"]').click();
    expect((await page.evaluate(() => navigator.clipboard.readText())).split(/\s+/).filter(Boolean)).toEqual(codes);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download as a text file' }).click()]);
    expect(download.suggestedFilename()).toBe('gatehouse-recovery-codes.txt');
    const file = readFileSync((await download.path())!, 'utf8');
    for (const c of codes) expect(file).toContain(c);

    // Shown once: /account says how many are left, never which.
    await page.getByRole('link', { name: 'Done' }).click();
    await page.locator('#two-step').waitFor();
    const account = (await page.locator('main').textContent())!;
    expect(account).toContain('Recovery codes left: 10 of 10.');
    for (const c of codes) expect(account).not.toContain(c);
    const audit = await gh.ctx.storage.listAudit({ userId: (await gh.ctx.storage.findUserByLogin('ada'))!.id });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['two_step_enabled', 'recovery_codes_created']));
    expect(JSON.stringify(audit)).not.toContain(key.replace(/ /g, ''));
  });

  test('sign-in asks for the code after the password; a recovery code works once, and twice is refused', async () => {
    const { key, codes } = await (async () => {
      await gh.createUser('grace', PASSWORD);
      await signIn(page, 'grace');
      await page.waitForURL(`${gh.url}/account`);
      return turnOn(page);
    })();
    await signOut(page);

    await signIn(page, 'grace', '/account?from=sign-in');
    await page.waitForURL(`${gh.url}/login/two-step`);
    await browser.screenshot(page, 'two-step-sign-in');
    const field = page.locator('input[name="code"]');
    expect(await field.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await field.getAttribute('inputmode')).toBe('numeric');
    await page.getByLabel('Code from your authenticator app').fill(totpCode(key, clock()));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${gh.url}/account?from=sign-in`);
    clock.advance(30_000);
    await signOut(page);

    for (const attempt of ['first', 'second'] as const) {
      await signIn(page, 'grace');
      await page.getByRole('link', { name: 'Use a recovery code instead' }).click();
      await page.getByLabel('Recovery code').fill(codes[3]!);
      await page.getByRole('button', { name: 'Continue' }).click();
      if (attempt === 'first') {
        await page.waitForURL(`${gh.url}/account`);
        expect(await page.locator('main').textContent()).toContain('Recovery codes left: 9 of 10.');
        await signOut(page);
      } else {
        await page.getByRole('alert').filter({ hasText: 'That recovery code is not right or was used already.' }).waitFor();
        expect(new URL(page.url()).pathname).toBe('/login/two-step');
      }
    }
    // Back to the app's code from the recovery page.
    await page.getByRole('link', { name: 'Use your authenticator app instead' }).click();
    await page.getByLabel('Code from your authenticator app').fill(totpCode(key, clock()));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${gh.url}/account`);
  });

  test('turning it off needs the password and a current code', async () => {
    await gh.createUser('hedy', PASSWORD);
    await signIn(page, 'hedy');
    await page.waitForURL(`${gh.url}/account`);
    const { key } = await turnOn(page);
    await page.goto(`${gh.url}/account#two-step`);
    const off = page.locator('form[action="/account/two-step/off"]');
    await off.getByLabel('Current password').fill(PASSWORD);
    await off.getByLabel('Code from your authenticator app, or a recovery code').fill('000000' === totpCode(key, clock()) ? '111111' : '000000');
    await off.getByRole('button', { name: 'Turn off two-step sign-in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
    const again = page.locator('form[action="/account/two-step/off"]');
    await again.getByLabel('Current password').fill('not my password');
    await again.getByLabel('Code from your authenticator app, or a recovery code').fill(totpCode(key, clock()));
    await again.getByRole('button', { name: 'Turn off two-step sign-in' }).click();
    await page.getByRole('alert').filter({ hasText: 'password' }).waitFor();
    const third = page.locator('form[action="/account/two-step/off"]');
    await third.getByLabel('Current password').fill(PASSWORD);
    await third.getByLabel('Code from your authenticator app, or a recovery code').fill(totpCode(key, clock()));
    await third.getByRole('button', { name: 'Turn off two-step sign-in' }).click();
    await page.getByRole('status').filter({ hasText: 'Two-step sign-in is off.' }).waitFor();
    await signOut(page);
    await signIn(page, 'hedy');
    await page.waitForURL(`${gh.url}/account`);
  });

  test('an operator sees a user’s factors, never their secrets, and resets them after a confirmation; audited', async () => {
    const user = await gh.createUser('lin', PASSWORD);
    await signIn(page, 'lin');
    await page.waitForURL(`${gh.url}/account`);
    const { key, codes } = await turnOn(page);
    await signOut(page);
    await gh.ctx.users.create({ login: 'operator', password: PASSWORD, isAdmin: true });
    const admin = await context.browser()!.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US' });
    const ops = await admin.newPage();
    await signIn(ops, 'operator', `/admin/users/${user.id}`);
    await ops.waitForURL(`${gh.url}/admin/users/${user.id}`);
    const details = (await ops.locator('main').textContent())!;
    expect(details).toContain('Authenticator app: On');
    expect(details).toContain('10 recovery codes left');
    expect(details).not.toContain(key.replace(/ /g, ''));
    expect(details).not.toContain(key);
    for (const c of codes) expect(details).not.toContain(c);
    await ops.getByRole('button', { name: 'Reset two-step sign-in' }).click();
    await ops.getByRole('heading', { name: 'Reset two-step sign-in of lin?' }).waitFor();
    expect(await gh.ctx.storage.twoStep.findTotp(user.id)).not.toBeNull();
    await ops.getByRole('button', { name: 'Reset two-step sign-in' }).click();
    await ops.getByRole('status').filter({ hasText: 'two-step sign-in is reset' }).waitFor();
    expect(await ops.locator('main').textContent()).toContain('Authenticator app: Off');
    const [entry] = await gh.ctx.storage.listAudit({ userId: user.id, action: 'two_step_disabled' });
    const operator = (await gh.ctx.storage.findUserByLogin('operator'))!;
    expect(entry).toMatchObject({ actorType: 'user', actorId: operator.id, details: { by: 'operator', login: 'lin' } });
    await admin.close();
    // The user signs in with the password alone again.
    await signIn(page, 'lin');
    await page.waitForURL(`${gh.url}/account`);
  });
});

describe.skipIf(testEngine() !== 'sqlite')('the operator requires two-step sign-in for everyone', () => {
  let policyGh: TestGatehouse;
  let context: BrowserContext;

  beforeAll(async () => {
    policyGh = await startGatehouse({ clock, config: { requireTwoStep: 'all' } });
  });
  afterAll(async () => {
    await context?.close();
    await policyGh?.close();
  });

  test('a user without a second factor is walked through setting one up right after the password; the sign-in ends with amr pwd+otp', async () => {
    const user = await policyGh.createUser('newcomer', PASSWORD);
    context = await browser.browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'en-US', colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(`${policyGh.url}/login?return_to=${encodeURIComponent('/account?welcome=1')}`);
    await page.getByLabel('Username').fill('newcomer');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${policyGh.url}/login/two-step/setup`);
    expect(await page.locator('main').textContent()).toContain('requires two-step sign-in for your account');
    await browser.screenshot(page, 'two-step-setup-required-phone-dark');
    // No way around it: no session yet, and the second step sends back here.
    const around = await context.newPage();
    await around.goto(`${policyGh.url}/account`);
    expect(new URL(around.url()).pathname).toBe('/login');
    await around.goto(`${policyGh.url}/login/two-step`);
    expect(new URL(around.url()).pathname).toBe('/login/two-step/setup');
    await around.close();
    expect(await policyGh.ctx.storage.listSessionsOfUser(user.id, clock())).toEqual([]);

    const key = (await page.locator('#totp-key').textContent())!.trim();
    await page.getByLabel('Code from your authenticator app').fill(totpCode(key, clock()));
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await browser.screenshot(page, 'two-step-codes-at-sign-in-phone-dark');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.getByRole('link', { name: 'I have saved them: continue' }).click();
    await page.waitForURL(`${policyGh.url}/account?welcome=1`);
    const sessions = await policyGh.ctx.storage.listSessionsOfUser(user.id, clock());
    expect(sessions.map((s) => s.amr)).toEqual([['pwd', 'otp', 'mfa']]);
    // Required, so it cannot be turned off.
    expect(await page.locator('main').textContent()).toContain('requires two-step sign-in for your account, so it cannot be turned off');
    expect(await page.locator('form[action="/account/two-step/off"]').count()).toBe(0);
  });
});
