/**
 * The organisation's settings (src/organisation/): its name in place of
 * "Gatehouse", its logo, brand colour, support contact, terms and privacy
 * links — from GATEHOUSE_ORG_* variables, and set by an operator on
 * /admin/settings in Chromium — on the sign-in and consent pages and in a
 * mail caught by a real SMTP server. Only operators may change them, and
 * nothing typed there reaches a page or a mail unescaped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { clickWhenArmed } from '../helpers/consent.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';
import { startSmtpServer, type SmtpCatcher } from '../helpers/smtp.js';
import { PASSWORD, signInAt } from '../console/support.js';

let gh: TestGatehouse;
let smtp: SmtpCatcher;
let browser: TestBrowser;
let target: RedirectTarget;
let context: BrowserContext;
let page: Page;
let logoDir: string;

function png(width: number, height: number): Buffer {
  const image = new PNG({ width, height });
  image.data.fill(0x2a);
  return PNG.sync.write(image);
}

describe.skipIf(testEngine() !== 'sqlite')('organisation settings', () => {
  beforeAll(async () => {
    [smtp, browser, target] = await Promise.all([startSmtpServer(), launchBrowser(), startRedirectTarget()]);
    logoDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-logo-'));
    writeFileSync(path.join(logoDir, 'contoso.svg'), '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="#0b7a75"/></svg>');
    gh = await startGatehouse({
      config: {
        smtpUrl: smtp.url,
        orgLogo: path.join(logoDir, 'contoso.svg'),
        // As GATEHOUSE_ORG_* would set them: the starting values.
        orgName: 'Contoso',
        orgSupport: 'https://help.contoso.example/',
        orgPrivacyUrl: 'https://contoso.example/privacy',
      },
    });
    await gh.ctx.users.create({ login: 'root', password: PASSWORD, isAdmin: true });
    await gh.createUser('alice', PASSWORD, { email: 'alice@example.org', firstName: 'Alice' });
    context = await browser.browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await target?.close();
    await gh?.close();
    await smtp?.close();
    rmSync(logoDir, { recursive: true, force: true });
  });

  test('the organisation variables name the organisation on the sign-in page, with its logo, help and privacy links', async () => {
    const html = await (await fetch(`${gh.url}/login`)).text();
    expect(html).toContain('<title>Sign in · Contoso</title>');
    expect(html).toContain('Sign in to Contoso');
    expect(html).not.toMatch(/Gatehouse/);
    expect(html).toContain('<a href="https://help.contoso.example/">Help</a>');
    expect(html).toContain('<a href="https://contoso.example/privacy">Privacy</a>');
    expect(html).not.toContain('>Terms<');
    // GATEHOUSE_ORG_LOGO's file, served sandboxed like every picture.
    expect(html).toContain('<img class="logo" src="/assets/organisation-logo" alt="" width="40" height="40">');
    const logo = await fetch(`${gh.url}/assets/organisation-logo`);
    expect(logo.headers.get('content-type')).toBe('image/svg+xml');
    expect(logo.headers.get('content-security-policy')).toContain('sandbox');
  });

  test('an operator sets name, colour, support, terms and privacy on /admin/settings; the sign-in and consent pages show them', async () => {
    await signInAt(page, gh, 'root', '/admin/settings');
    await page.getByRole('heading', { name: 'Organisation', level: 1 }).waitFor();
    expect(await page.getByLabel('Name').inputValue()).toBe('Contoso');
    await page.getByLabel('Name').fill('Northwind Traders');
    await page.getByLabel('Brand colour').fill('#0b7a75');
    await page.getByLabel('Support contact').fill('help@northwind.example');
    await page.getByLabel('Terms of service link').fill('https://northwind.example/terms');
    await page.getByLabel('Privacy policy link').fill('https://northwind.example/privacy');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    // The top bar already carries the new name.
    await page.getByRole('link', { name: 'Northwind Traders' }).waitFor();

    const visitor = await browser.browser.newContext({ viewport: { width: 360, height: 800 }, locale: 'en-US' });
    const signIn = await visitor.newPage();
    await signIn.goto(`${gh.url}/login`);
    await signIn.getByRole('heading', { name: 'Sign in to Northwind Traders' }).waitFor();
    const footer = signIn.getByRole('navigation', { name: 'About this service' });
    expect(await footer.getByRole('link', { name: 'Help' }).getAttribute('href')).toBe('mailto:help@northwind.example');
    expect(await footer.getByRole('link', { name: 'Terms' }).getAttribute('href')).toBe('https://northwind.example/terms');
    expect(await footer.getByRole('link', { name: 'Privacy' }).getAttribute('href')).toBe('https://northwind.example/privacy');
    // The brand colour is the accent, kept readable: white text on the button at 4.5:1 or better.
    const accent = await signIn.getByRole('button', { name: 'Sign in', exact: true }).evaluate((b) => getComputedStyle(b).backgroundColor);
    expect(accent).toBe('rgb(11, 122, 117)');
    await browser.screenshot(signIn, 'organisation-sign-in-360');

    // The consent page speaks of the organisation's account.
    const { clientId } = await gh.createApp({ name: 'Photo Book', redirectUris: [target.redirectUri], scopes: ['login:info', 'login:email'] });
    await signIn.goto(`${gh.url}/authorize?response_type=code&client_id=${clientId}&state=s1`);
    await signIn.getByLabel('Username').fill('alice');
    await signIn.getByLabel('Password').fill(PASSWORD);
    await signIn.getByRole('button', { name: 'Sign in', exact: true }).click();
    await signIn.getByRole('heading', { name: 'Photo Book wants to access your Northwind Traders account' }).waitFor();
    expect(await signIn.content()).not.toMatch(/Gatehouse/);
    await browser.screenshot(signIn, 'organisation-consent-360');
    await signIn.emulateMedia({ colorScheme: 'dark' });
    await browser.screenshot(signIn, 'organisation-consent-360-dark');
    await clickWhenArmed(signIn, 'Allow');
    await signIn.waitForURL((url) => url.href.startsWith(target.redirectUri));
    expect(target.last().get('code')).toMatch(/./);
    await visitor.close();
  });

  test('mails name the organisation in the subject, the text, the HTML and the sender', async () => {
    const visitor = new HttpUser(gh, 'alice', PASSWORD);
    const form = hiddenFields(await (await visitor.get('/login/forgot')).text());
    expect((await visitor.post('/login/forgot', { ...form, login: 'alice' })).status).toBeLessThan(400);
    const mail = await smtp.next('alice@example.org');
    expect(mail.subject).toBe('Reset your Northwind Traders password');
    expect(mail.text).toContain('the Northwind Traders account alice');
    expect(mail.text).toContain('Sent by Northwind Traders at');
    expect(mail.html).toContain('Northwind Traders');
    expect(mail.html).not.toMatch(/Gatehouse/);
    expect(mail.headers.from).toMatch(/^"?Northwind Traders"? <gatehouse@127\.0\.0\.1>$/);
  });

  test('a logo upload shows on every page, and taking it away brings back the configured one', async () => {
    await page.goto(`${gh.url}/admin/settings`);
    await page.getByLabel('Picture file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(96, 96) });
    await page.getByRole('button', { name: 'Upload logo' }).click();
    await page.getByText('Logo saved.').waitFor();
    const html = await (await fetch(`${gh.url}/login`)).text();
    const src = /<img class="logo" src="(\/icons\/[0-9a-f]{32})"/.exec(html)?.[1];
    expect(src).toBeDefined();
    const logo = await fetch(gh.url + src);
    expect(logo.headers.get('content-type')).toBe('image/png');
    await browser.screenshot(page, 'organisation-settings');
    await page.getByRole('button', { name: 'Use the default logo' }).click();
    await page.getByText('The default logo is back.').waitFor();
    expect((await fetch(gh.url + src)).status).toBe(404);
    expect(await (await fetch(`${gh.url}/login`)).text()).toContain('<img class="logo" src="/assets/organisation-logo"');
  });

  test('refuses a non-operator, a cross-site form, and links that are not web addresses; escapes what it shows', async () => {
    // A signed-in user who is no operator: the same 404 as a page that does not exist, and nothing saved.
    const alice = new HttpUser(gh, 'alice', PASSWORD);
    await alice.signIn();
    expect((await alice.get('/admin/settings')).status).toBe(404);
    const csrf = hiddenFields(await (await alice.get('/account')).text()).csrf!;
    expect((await alice.post('/admin/settings', { csrf, name: 'Pwned' })).status).toBe(404);
    // The operator's session, without the form's CSRF token (a cross-site form): refused.
    const root = new HttpUser(gh, 'root', PASSWORD);
    await root.signIn();
    expect((await root.post('/admin/settings', { name: 'Pwned' })).status).toBe(403);
    expect((await gh.ctx.organisation.values()).name).toBe('Northwind Traders');

    const rootCsrf = hiddenFields(await (await root.get('/admin/settings')).text()).csrf!;
    const bad = await root.post('/admin/settings', { csrf: rootCsrf, name: 'Northwind Traders', terms: 'javascript:alert(1)', privacy: '', support: '', colour: '' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('the terms link must be a web address');
    const badColour = await root.post('/admin/settings', { csrf: rootCsrf, name: 'Northwind Traders', colour: 'red;}body{display:none' });
    expect(badColour.status).toBe(400);
    expect((await gh.ctx.organisation.values()).terms).toBe('https://northwind.example/terms');

    // A name with markup is text on pages and in mails.
    const saved = await root.post('/admin/settings', { csrf: rootCsrf, name: '<img src=x onerror=alert(1)> & Co', colour: '', support: '', terms: '', privacy: '' });
    expect(saved.status).toBe(303);
    const login = await (await fetch(`${gh.url}/login`)).text();
    expect(login).not.toContain('<img src=x');
    expect(login).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; Co');
    const form = hiddenFields(await (await alice.get('/login/forgot')).text());
    await alice.post('/login/forgot', { ...form, login: 'alice' });
    const mail = await smtp.next('alice@example.org');
    expect(mail.html).not.toContain('<img src=x');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; Co');
    // Emptied fields fall back to the GATEHOUSE_ORG_* values.
    expect((await gh.ctx.organisation.look()).privacyUrl).toBe('https://contoso.example/privacy');
  });
});
