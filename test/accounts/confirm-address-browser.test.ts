/**
 * Confirming an address, end to end in Chromium with a real SMTP server on
 * loopback: a person signs up with their address; until they use the link
 * mailed to it, apps see no address; after it, /userinfo says
 * `email_verified: true` and /info names it as `default_email`. The link works
 * once, and opening it confirms nothing until the button is pressed (a mail
 * scanner that follows every link in a mailbox confirms nothing).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exchangeCode, PASSWORD } from '../console/support.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { linkIn, startSmtpServer, type SmtpCatcher } from '../helpers/smtp.js';

let gh: TestGatehouse;
let smtp: SmtpCatcher;
let browser: TestBrowser;
let target: RedirectTarget;
let context: BrowserContext;
let page: Page;
let app: { clientId: string; clientSecret: string };

describe.skipIf(testEngine() !== 'sqlite')('confirming an address in Chromium', () => {
  beforeAll(async () => {
    smtp = await startSmtpServer();
    [gh, browser, target] = await Promise.all([startGatehouse({ config: { smtpUrl: smtp.url } }), launchBrowser(), startRedirectTarget()]);
    const created = await gh.createApp({ name: 'Mailing List', redirectUris: [target.redirectUri], scopes: ['openid', 'email', 'login:info', 'login:email'] });
    app = { clientId: created.clientId, clientSecret: created.clientSecret! };
    context = await browser.browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await target?.close();
    await gh?.close();
    await smtp?.close();
  });

  /** Signs in to the app in the browser (consenting the first time) and returns what the app gets. */
  async function whatTheAppSees() {
    await page.goto(`${gh.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.clientId, scope: 'openid email login:email', nonce: 'n' })}`);
    const allow = page.getByRole('button', { name: 'Allow' });
    await Promise.race([allow.waitFor().then(() => allow.click()), page.waitForURL((url) => url.href.startsWith(target.redirectUri))]);
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    const tokens = await exchangeCode(gh, app.clientId, app.clientSecret, target.last().get('code')!);
    const info = await (await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${tokens.access_token}` } })).json() as Record<string, unknown>;
    const userinfo = await (await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json() as Record<string, unknown>;
    return { info, userinfo };
  }

  test('sign-up → confirmation mail → the link → email_verified: true in /userinfo and default_email in /info', async () => {
    await page.goto(`${gh.url}/signup`);
    await page.getByLabel('Username').fill('lena');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Email (optional)').fill('Lena@Example.org');
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.waitForURL(`${gh.url}/`);

    const mail = await smtp.next('Lena@Example.org');
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.text).toContain('Lena@Example.org');
    const link = linkIn(mail, gh.url, '/confirm-email');
    expect(mail.html).toContain(`href="${link}"`);

    const before = await whatTheAppSees();
    expect(before.info).toMatchObject({ default_email: null, emails: [] });
    expect(before.userinfo).not.toHaveProperty('email');

    await page.goto(link);
    await page.getByRole('heading', { name: 'Confirm your email address' }).waitFor();
    // Opening the link is not confirming: a scanner fetching it changes nothing.
    expect((await gh.ctx.storage.findUserByLogin('lena'))!.confirmedEmails).toEqual([]);
    await page.getByRole('button', { name: 'Confirm the address' }).click();
    await page.getByRole('heading', { name: 'Address confirmed' }).waitFor();

    const after = await whatTheAppSees();
    expect(after.userinfo).toMatchObject({ email: 'Lena@Example.org', email_verified: true });
    expect(after.info).toMatchObject({ default_email: 'Lena@Example.org', emails: ['Lena@Example.org'] });

    await page.goto(`${gh.url}/account`);
    await page.locator('#addresses + p + ul', { hasText: 'Confirmed' }).waitFor();

    // The link worked once.
    await page.goto(link);
    await page.getByRole('heading', { name: 'This link does not work' }).waitFor();
    expect((await gh.ctx.storage.listAudit({ action: 'email_confirmed', limit: 5 })).map((e) => e.outcome)).toContain('ok');
  });

  test('an address added on /account gets its own link, and "send the link again" sends another', async () => {
    await page.goto(`${gh.url}/account`);
    await page.getByLabel('Email addresses').fill('Lena@Example.org\nlena@work.example');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Your profile is saved.').waitFor();
    const first = linkIn(await smtp.next('lena@work.example'), gh.url, '/confirm-email');

    await page.getByRole('listitem').filter({ hasText: 'lena@work.example' }).getByRole('button', { name: 'Send the link again' }).click();
    await page.getByText('A confirmation link is on its way.').waitFor();
    const second = linkIn(await smtp.next('lena@work.example'), gh.url, '/confirm-email');
    expect(second).not.toBe(first);

    await page.goto(second);
    await page.getByRole('button', { name: 'Confirm the address' }).click();
    await page.getByRole('heading', { name: 'Address confirmed' }).waitFor();
    expect((await gh.ctx.storage.findUserByLogin('lena'))!.confirmedEmails).toEqual(['lena@example.org', 'lena@work.example']);
  });
});
