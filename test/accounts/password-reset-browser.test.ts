/**
 * "Forgot your password?" end to end in Chromium, with a real SMTP server on
 * loopback: the link on the sign-in page, a login or an address in, the same
 * answer (in about the same time) whether or not an account matches, a link
 * by mail that works once and for one hour, and a new password that ends
 * every session and token of the account: the old password is dead, the new
 * one works.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exchangeCode, infoStatus, PASSWORD } from '../console/support.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testClock, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';
import { linkIn, startSmtpServer, type SmtpCatcher } from '../helpers/smtp.js';

const NEW_PASSWORD = 'a brand new passphrase';
const REDIRECT = 'http://127.0.0.1:9999/callback';

let gh: TestGatehouse;
let smtp: SmtpCatcher;
let browser: TestBrowser;
let context: BrowserContext;
let page: Page;
const clock = testClock();

/** Asks for a reset on /login/forgot in the browser; returns the page's text. */
async function askForReset(value: string): Promise<string> {
  await page.goto(`${gh.url}/login?switch=1`);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Username or email address').fill(value);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
  return (await page.locator('main').textContent())!;
}

/** POST /login/forgot over HTTP: the status, body and time taken. */
async function forgotOverHttp(value: string): Promise<{ status: number; body: string; ms: number }> {
  const visitor = new HttpUser(gh, '', '');
  const form = hiddenFields(await (await visitor.get('/login/forgot')).text());
  const started = performance.now();
  const res = await visitor.post('/login/forgot', { ...form, login: value });
  const body = await res.text();
  return { status: res.status, body: body.replace(/value="[^"]*"/g, ''), ms: performance.now() - started };
}

describe.skipIf(testEngine() !== 'sqlite')('a forgotten password in Chromium', () => {
  beforeAll(async () => {
    smtp = await startSmtpServer();
    [gh, browser] = await Promise.all([startGatehouse({ clock, config: { smtpUrl: smtp.url } }), launchBrowser()]);
    await gh.createUser('rosa', PASSWORD, { firstName: 'Rosa', email: 'rosa@example.org' });
    context = await browser.browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gh?.close();
    await smtp?.close();
  });

  test('the same answer, status and about the same time whether or not an account matches', async () => {
    const known = await askForReset('rosa');
    const unknown = await askForReset('nobody-here');
    expect(unknown).toBe(known);
    await smtp.next('rosa@example.org');

    // Over HTTP too, and timed: the answer waits for a floor longer than the work a real request does.
    const samples = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 4; i++) {
      const a = await forgotOverHttp('rosa@example.org');
      const b = await forgotOverHttp(`ghost${i}@example.org`);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.body).toBe(a.body);
      samples.known.push(a.ms);
      samples.unknown.push(b.ms);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[2]!;
    // Both wait for the floor (400 ms); on an idle machine they differ by a few ms, on a loaded one by more.
    expect(Math.min(median(samples.known), median(samples.unknown))).toBeGreaterThanOrEqual(390);
    expect(Math.abs(median(samples.known) - median(samples.unknown)), JSON.stringify(samples)).toBeLessThan(250);
    for (let i = 0; i < 4; i++) await smtp.next('rosa@example.org');
  });

  test('the link sets a new password: the old one is dead, the new one works, every other session and token ends', async () => {
    clock.advance(61 * 60_000); // a new hour for the account's limit
    // Rosa is signed in elsewhere, and an app holds a token of hers.
    const elsewhere = new HttpUser(gh, 'rosa', PASSWORD);
    await elsewhere.signIn('/account');
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], scopes: ['login:info'] });
    const code = await elsewhere.code({ response_type: 'code', client_id: clientId });
    const token = (await exchangeCode(gh, clientId, clientSecret!, code)).access_token!;
    expect(await infoStatus(gh, token)).toBe(200);

    await askForReset('ROSA@example.org');
    const mail = await smtp.next('rosa@example.org');
    expect(mail.subject).toBe('Reset your Gatehouse password');
    const link = linkIn(mail, gh.url, '/login/reset');

    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password').fill('short');
    await page.getByLabel('New password').evaluate((input: HTMLInputElement) => input.removeAttribute('minlength'));
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('alert').waitFor();
    // A refused password does not cost the link.
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('Your password is changed and you are signed out everywhere.').waitFor();

    expect(await infoStatus(gh, token)).toBe(401);
    expect((await elsewhere.get('/account')).status).toBe(302);
    const old = await postForm(`${gh.url}/login`, { ...hiddenFields(await (await elsewhere.get('/login')).text()), login: 'rosa', password: PASSWORD }, { cookie: elsewhere.jar.header() });
    expect(old.status).toBe(401);

    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${gh.url}/account`);

    // The link worked once.
    await page.goto(link);
    await page.getByRole('heading', { name: 'This link does not work' }).waitFor();
    const resets = await gh.ctx.storage.listAudit({ action: 'password_reset', limit: 100 });
    expect(resets.filter((e) => e.outcome === 'ok').map((e) => e.details)).toEqual([{ step: 'complete', by: 'mail link' }]);
  });

  test('a link is dead after an hour, and a made-up one never worked', async () => {
    // A new hour: the earlier requests no longer count against the account's limit.
    clock.advance(61 * 60_000);
    await askForReset('rosa');
    const link = linkIn(await smtp.next('rosa@example.org'), gh.url, '/login/reset');
    clock.advance(61 * 60_000);
    const late = await fetch(link);
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('This link does not work');
    expect((await fetch(`${gh.url}/login/reset?token=${'A'.repeat(43)}`)).status).toBe(400);
  });

  test('an address nobody confirmed gets no reset link', async () => {
    const mallory = new HttpUser(gh, 'mallory', PASSWORD);
    const form = hiddenFields(await (await mallory.get('/signup')).text());
    expect((await mallory.post('/signup', { ...form, login: 'mallory', password: PASSWORD, email: 'boss@example.org' })).status).toBe(303);
    await smtp.next('boss@example.org'); // the confirmation link, nothing else
    await gh.ctx.mail.idle();
    const sent = smtp.mails.length;
    expect((await forgotOverHttp('boss@example.org')).status).toBe(200);
    expect((await forgotOverHttp('mallory')).status).toBe(200);
    await gh.ctx.mail.idle();
    expect(smtp.mails.length).toBe(sent);
  });
});
