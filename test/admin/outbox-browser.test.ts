/**
 * A fresh install without SMTP, tried end to end in Chromium: nothing is
 * sent, every mail waits in the outbox, and an operator reads it on
 * /admin/mail and follows its link; the operator can also vouch for a user's
 * addresses and number on /admin. Nobody else reaches the outbox.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import { PASSWORD, signInAt } from '../console/support.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let context: BrowserContext;
let page: Page;

describe.skipIf(testEngine() !== 'sqlite')('the outbox without SMTP, in Chromium', () => {
  beforeAll(async () => {
    [gh, browser] = await Promise.all([startGatehouse(), launchBrowser()]);
    await gh.ctx.users.create({ login: 'root', password: PASSWORD, firstName: 'Rita', lastName: 'Root', isAdmin: true });
    context = await browser.browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
    await signInAt(page, gh, 'root', '/admin');
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gh?.close();
  });

  test('a sign-up\'s confirmation mail waits on /admin/mail, and its link confirms the address', async () => {
    const sam = new HttpUser(gh, 'sam', PASSWORD);
    const form = hiddenFields(await (await sam.get('/signup')).text());
    expect((await sam.post('/signup', { ...form, login: 'sam', password: PASSWORD, email: 'sam@example.org', first_name: 'Sam' })).status).toBe(303);

    await page.goto(`${gh.url}/admin`);
    await page.getByRole('link', { name: 'Mail' }).click();
    await page.getByRole('heading', { name: 'Mail', level: 1 }).waitFor();
    expect(await page.locator('main').textContent()).toContain('No SMTP server is set up (GATEHOUSE_SMTP_URL)');
    const entry = page.locator('.mail-list li', { hasText: 'To sam@example.org' });
    expect(await entry.textContent()).toMatch(/Confirm your email address\s+In the outbox/);
    await entry.getByText('Read the mail').click();
    expect(await entry.locator('pre').textContent()).toContain('Hello, Sam!');
    const link = entry.getByRole('link', { name: /\/confirm-email\?token=/ });
    expect(await link.getAttribute('href')).toMatch(new RegExp(`^${gh.url}/confirm-email\\?token=`));
    await link.click();
    await page.getByRole('button', { name: 'Confirm the address' }).click();
    await page.getByRole('heading', { name: 'Address confirmed' }).waitFor();
    expect((await gh.ctx.storage.findUserByLogin('sam'))!.confirmedEmails).toEqual(['sam@example.org']);
    expect(await gh.ctx.storage.mail.listMails()).toEqual([expect.objectContaining({ status: 'kept', attempts: 0, sentAt: null })]);
  });

  test('an operator vouches for a user\'s addresses and phone number on /admin', async () => {
    const tom = await gh.ctx.users.create({ login: 'tom', password: PASSWORD, firstName: 'Tom', email: 'tom@example.org' });
    await gh.ctx.storage.updateUser(tom.id, { defaultPhone: '+442079460958' });
    await page.goto(`${gh.url}/admin/users/${tom.id}`);
    expect(await page.locator('dl.details').textContent()).toMatch(/tom@example\.org\s+Not confirmed[\s\S]*\+442079460958\s+Not confirmed/);
    await page.getByRole('button', { name: 'Confirm addresses and number' }).click();
    await page.getByText('The user’s addresses and phone number count as confirmed now.').waitFor();
    expect(await gh.ctx.storage.findUserById(tom.id)).toMatchObject({ confirmedEmails: ['tom@example.org'], confirmedPhone: '+442079460958' });
    const [entry] = await gh.ctx.storage.listAudit({ action: 'phone_confirmed', limit: 1 });
    expect(entry).toMatchObject({ actorType: 'user', userId: tom.id, details: { by: 'operator' } });
  });

  test('nobody but operators reaches the outbox', async () => {
    const sam = new HttpUser(gh, 'sam', PASSWORD);
    await sam.signIn('/account');
    const res = await sam.get('/admin/mail');
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('confirm-email');
  });
});
