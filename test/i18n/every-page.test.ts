/**
 * Every page Gatehouse shows a person (docs/protocol.md §10), in Chromium, in English and
 * Russian, light and dark, on a desktop and a 360 px phone:
 * - axe-core finds no serious or critical accessibility violation;
 * - in Russian, no English word is left (text, placeholders, labels, titles),
 *   apart from names and technical terms and what is marked as not to be
 *   translated (`translate="no"`, `<code>`, another `lang`);
 * - nothing is wider than the screen, and the card or operator's page stands in the middle;
 * - a screenshot of each goes to test-results/screens/ for a person to look at.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, RESULTS_DIR, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser, postForm } from '../helpers/http-client.js';
import { PASSWORD } from '../console/support.js';
import { decisionArmed } from '../helpers/consent.js';
import { randomToken, sha256Hex } from '../../src/crypto/random.js';
import { totpCode } from '../helpers/two-step.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SCREENS = path.join(RESULTS_DIR, 'screens');

/** Latin words a Russian page may show: names and technical terms people use untranslated. */
const ALLOWED_LATIN = new Set([
  'Gatehouse', 'OAuth', 'OpenID', 'Connect', 'PKCE', 'URI', 'PNG', 'JPEG', 'iOS', 'Android', 'App', 'Store', 'Google', 'Play', 'SHA',
  'keytool', 'apksigner', 'https', 'http', 'localhost', 'example', 'org', 'ES', 'RS', 'id', 'token', 'logout', 'unauthorized', 'client',
  'redirect', 'uri', 'UTC', 'JavaScript', 'XXXX', 'ABCDE', 'app', 'suggest', 'hostname', 'gatehouse', 'update', 'your', 'site', 'SMTP', 'QR',
  // Sign-in providers' own names (issue 18).
  'GitHub', 'ID',
]);

interface Variant {
  name: string;
  lang: 'en' | 'ru';
  colorScheme: 'light' | 'dark';
  viewport: { width: number; height: number };
}

const VARIANTS: Variant[] = [
  { name: 'light', lang: 'en', colorScheme: 'light', viewport: { width: 1440, height: 900 } },
  { name: 'dark', lang: 'en', colorScheme: 'dark', viewport: { width: 1100, height: 800 } },
  { name: 'phone', lang: 'en', colorScheme: 'light', viewport: { width: 360, height: 740 } },
  { name: 'ru', lang: 'ru', colorScheme: 'light', viewport: { width: 1100, height: 800 } },
  { name: 'ru-phone-dark', lang: 'ru', colorScheme: 'dark', viewport: { width: 360, height: 740 } },
];

/** One page: how to get there in a browser signed in (or not), and a name for its screenshot. */
interface PageVisit {
  name: string;
  signedIn: boolean;
  open(page: Page): Promise<void>;
}

let gh: TestGatehouse;
let browser: TestBrowser;
let appId = '';
let tvId = '';
let rootId = '';
/** A second Gatehouse, fresh, whose first-run setup link stays open (opening the page uses nothing up). */
let fresh: TestGatehouse;
let setupLink = '';
/** Live links of the mail pages (the pages only show them; pressing their buttons uses them up). */
let resetToken = '';
let confirmToken = '';

/** A fresh single-use link for root, as a mail would carry it. */
async function mailLink(kind: 'confirm_email' | 'reset_password', address: string | null = null): Promise<string> {
  const token = randomToken(32);
  const now = gh.ctx.clock();
  await gh.ctx.storage.mail.createMailLink({ hash: sha256Hex(token), kind, userId: rootId as never, address, createdAt: now, expiresAt: now + 3_600_000, consumedAt: null });
  return token;
}
/** Pages other issues add, visited once they exist (the button generator, docs/protocol.md §8.1). */
let optional: PageVisit[] = [];

function visits(): PageVisit[] {
  const go = (p: string) => async (page: Page) => {
    await page.goto(gh.url + p);
  };
  return [
    { name: 'login', signedIn: false, open: go('/login') },
    { name: 'signup', signedIn: false, open: go('/signup') },
    { name: 'home-signed-out', signedIn: false, open: go('/') },
    { name: 'home', signedIn: true, open: go('/') },
    { name: 'logout', signedIn: true, open: go('/logout') },
    {
      name: 'consent', signedIn: true,
      open: async (page) => {
        await page.goto(`${gh.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: appId, scope: 'login:info login:email', optional_scope: 'login:avatar', force_confirm: 'yes', device_id: 'frame-0001', device_name: 'Кухонная рамка' })}`);
        await decisionArmed(page);
      },
    },
    { name: 'device', signedIn: true, open: go('/device') },
    {
      name: 'device-confirm', signedIn: true,
      open: async (page) => {
        const res = await postForm(`${gh.url}/device/code`, { client_id: tvId, device_name: 'Телевизор в гостиной', scope: 'login:info' });
        const { user_code } = (await res.json()) as { user_code: string };
        await page.goto(`${gh.url}/device?user_code=${user_code}`);
        await page.locator('form[action="/device"] button[type=submit]').click();
        await decisionArmed(page);
      },
    },
    {
      name: 'verification-token', signedIn: true,
      open: async (page) => {
        await page.goto('about:blank');
        await page.goto(`${gh.url}/verification_code#access_token=gate_at_${'k'.repeat(43)}&token_type=bearer&expires_in=31536000`);
        await page.locator('#token-view').waitFor();
      },
    },
    {
      name: 'verification-code', signedIn: true,
      open: async (page) => {
        await page.goto('about:blank');
        await page.goto(`${gh.url}/verification_code#code=4815162`);
        await page.locator('#code-view').waitFor();
      },
    },
    { name: 'error', signedIn: true, open: go(`/authorize?response_type=code&client_id=${'0'.repeat(32)}`) },
    { name: 'account', signedIn: true, open: go('/account') },
    { name: 'account-deleted', signedIn: false, open: go('/account/deleted') },
    { name: 'console', signedIn: true, open: go('/console') },
    { name: 'console-new', signedIn: true, open: go('/console/apps/new') },
    { name: 'console-app', signedIn: true, open: go(`/console/apps/${appId}`) },
    { name: 'console-edit', signedIn: true, open: go(`/console/apps/${appId}/edit`) },
    {
      name: 'console-confirm-delete', signedIn: true,
      open: async (page) => {
        await page.goto(`${gh.url}/console/apps/${appId}`);
        await page.locator(`form[action="/console/apps/${appId}/delete"] button`).click();
        await page.locator('input[name="confirmed"]').waitFor({ state: 'attached' });
      },
    },
    {
      name: 'passkey-remove-confirm', signedIn: true,
      open: async (page) => {
        await page.goto(`${gh.url}/account`);
        await page.locator('form[action="/account/passkeys/remove"] button').first().click();
        await page.locator('input[name="confirmed"]').waitFor({ state: 'attached' });
      },
    },
    { name: 'admin-users', signedIn: true, open: go('/admin') },
    { name: 'admin-user', signedIn: true, open: go(`/admin/users/${rootId}`) },
    { name: 'admin-apps', signedIn: true, open: go('/admin/apps') },
    { name: 'admin-app', signedIn: true, open: go(`/admin/apps/${appId}`) },
    { name: 'not-found', signedIn: false, open: go('/no-such-page') },
    { name: 'admin-audit', signedIn: true, open: go('/admin/audit') },
    { name: 'admin-mail', signedIn: true, open: go('/admin/mail') },
    { name: 'admin-settings', signedIn: true, open: go('/admin/settings?welcome=1') },
    { name: 'setup', signedIn: false, open: async (page) => { await page.goto(setupLink); } },
    { name: 'setup-used', signedIn: false, open: go(`/setup?token=${'x'.repeat(32)}`) },
    { name: 'forgot', signedIn: false, open: go('/login/forgot') },
    {
      name: 'forgot-sent', signedIn: false,
      open: async (page) => {
        await page.goto(`${gh.url}/login/forgot`);
        await page.locator('#login').fill('nobody@example.org');
        await page.locator('form[action="/login/forgot"] button[type=submit]').click();
        await page.locator('h1').waitFor();
      },
    },
    { name: 'reset', signedIn: false, open: go(`/login/reset?token=${resetToken}`) },
    { name: 'bad-link', signedIn: false, open: go('/login/reset?token=no-such-link-at-all-here') },
    { name: 'confirm-email', signedIn: false, open: go(`/confirm-email?token=${confirmToken}`) },
    {
      name: 'email-confirmed', signedIn: false,
      open: async (page) => {
        await page.goto(`${gh.url}/confirm-email?token=${await mailLink('confirm_email', 'margarita@example.org')}`);
        await page.locator('form[action="/confirm-email"] button[type=submit]').click();
        await page.locator('h1').waitFor();
      },
    },
    // Two-step sign-in (issue 16). Root turns it on in the middle (the recovery codes page); contextFor turns it off again.
    { name: 'two-step-setup', signedIn: true, open: go('/account/two-step/setup') },
    { name: 'two-step-no-factor', signedIn: true, open: go('/login/two-step?step_up=1&return_to=%2Faccount') },
    {
      name: 'two-step-codes', signedIn: true,
      open: async (page) => {
        await page.goto(`${gh.url}/account/two-step/setup`);
        await page.locator('#code').fill(totpCode((await page.locator('#totp-key').textContent())!, Date.now()));
        await page.locator('#password').fill(PASSWORD);
        await page.locator('form[action="/account/two-step/setup"] button[type=submit]').click();
        await page.locator('#recovery-codes').waitFor();
      },
    },
    { name: 'two-step-manage', signedIn: true, open: go('/account/two-step') },
    { name: 'two-step-sign-in', signedIn: false, open: (page) => secondStepOf(page, '') },
    { name: 'two-step-recovery', signedIn: false, open: (page) => secondStepOf(page, '?method=recovery') },
    { name: 'two-step-security-key', signedIn: false, open: (page) => secondStepOf(page, '?method=security_key') },
    { name: 'suggest-button', signedIn: true, open: go(`/suggest/button?preview=1&client_id=${appId}&buttonView=main`) },
    { name: 'suggest-widget', signedIn: true, open: go(`/suggest?preview=1&client_id=${appId}`) },
    // Sign-in through other providers (issue 18): the confirmation page of a new account, an error page, /admin's providers.
    { name: 'upstream-register', signedIn: false, open: registrationOf },
    { name: 'upstream-error', signedIn: false, open: go('/upstream/corp/callback?code=x&state=forged') },
    { name: 'admin-upstreams', signedIn: true, open: go('/admin/upstreams') },
    ...optional,
  ];
}

/** A new identity's profile held for its confirmation page, as the callback holds it, and the browser's cookies for it. */
async function registrationOf(page: Page): Promise<void> {
  const browserId = randomToken(32);
  const corp = (await gh.ctx.upstreams.find('corp'))!;
  const token = await gh.ctx.federation.holdRegistration(corp, sha256Hex(browserId), {
    subject: 'f1e2d3', login: 'vera', firstName: 'Вера', lastName: 'Павлова', displayName: 'Вера Павлова', email: 'vera@example.org', emailVerified: true,
  }, { purpose: 'sign_in', returnTo: '/', display: 'page', userId: null });
  await page.context().addCookies([
    { name: 'gatehouse_webauthn', value: browserId, url: gh.url, httpOnly: true, sameSite: 'Lax' },
    { name: 'gatehouse_upstream_signup', value: token, url: gh.url, httpOnly: true, sameSite: 'Lax' },
  ]);
  await page.goto(`${gh.url}/upstream/register`);
}

/** Anna's sign-in up to the second step (she has an authenticator app). */
async function secondStepOf(page: Page, query: string): Promise<void> {
  await page.goto(`${gh.url}/login?switch=1`);
  await page.locator('#login').fill('anna');
  await page.locator('#password').fill(PASSWORD);
  await page.locator('form[action="/login"] button[type=submit]').click();
  await page.waitForURL(`${gh.url}/login/two-step`);
  if (query) await page.goto(`${gh.url}/login/two-step${query}`);
}

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

async function axe(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(o: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } })
      .axe.run({ resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
}

/** Latin words on the page outside what is meant to stay untranslated. */
async function englishLeft(page: Page): Promise<string[]> {
  const found = await page.evaluate(() => {
    const SKIP = 'script,style,code,pre,kbd,samp,svg,noscript,[translate="no"],input[type="hidden"]';
    const texts: string[] = [document.title];
    const foreign = (el: Element) => {
      const tagged = el.closest('[lang]');
      return tagged !== null && tagged !== document.documentElement && tagged.getAttribute('lang') !== document.documentElement.lang;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || el.closest(SKIP) || foreign(el)) continue;
      texts.push(node.textContent ?? '');
    }
    for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],[alt]')) {
      if (el.closest(SKIP) || foreign(el)) continue;
      for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) texts.push(el.getAttribute(attr) ?? '');
    }
    return texts.flatMap((t) => t.match(/[A-Za-z]{2,}/g) ?? []);
  });
  return [...new Set(found.filter((w) => !ALLOWED_LATIN.has(w)))];
}

describe.skipIf(testEngine() !== 'sqlite')('every page, in English and Russian, light and dark, desktop and phone', () => {
  beforeAll(async () => {
    // At localhost, where passkeys work (WebAuthn takes no IP address as an RP ID): the pages offer them.
    // firstRun: root, made below, is the operator (the helper's own would put a Latin name on the Russian user list).
    [gh, browser] = await Promise.all([startGatehouse({ issuerHost: 'localhost', firstRun: true }), launchBrowser()]);
    // Names in Cyrillic, so that the Russian pages' only Latin words are the ones Gatehouse itself writes.
    const root = await gh.ctx.users.create({ login: 'root', password: PASSWORD, firstName: 'Маргарита', lastName: 'Николаевна', email: 'margarita@example.org', isAdmin: true, isDeveloper: true });
    rootId = root.id;
    await gh.ctx.storage.updateUser(root.id, { birthday: '1990-05-04', defaultPhone: '+74951234567', sex: 'female' });
    await gh.ctx.users.create({ login: 'ivan', password: PASSWORD, firstName: 'Иван', lastName: 'Петров', email: 'ivan@example.org' });
    const anna = await gh.ctx.users.create({ login: 'anna', password: PASSWORD, firstName: 'Анна' });
    const enrolment = (await gh.ctx.twoStep.enrolment(anna))!;
    await gh.ctx.twoStep.confirm(anna, totpCode(enrolment.secret, Date.now()), { type: 'user', id: anna.id }, null);
    const created = await gh.ctx.apps.create({
      name: 'Фоторамка', description: 'Показывает ваши фотографии на кухне.', ownerId: root.id,
      redirectUris: ['https://frame.example/callback'], suggestHostnames: ['https://frame.example'],
      scopes: ['login:info', 'login:email'], optionalScopes: ['login:avatar', 'login:birthday'],
      platforms: ['web', { type: 'android', packageName: 'org.example.frame', sha256Fingerprints: ['AB'.repeat(32)] }],
    });
    appId = created.app.clientId;
    tvId = (await gh.ctx.apps.create({ name: 'Кинотеатр', platforms: ['tv'], scopes: ['login:info'], ownerId: root.id })).app.clientId;
    await gh.ctx.apps.create({ name: 'Чужое приложение', scopes: ['login:info'], redirectUris: ['https://other.example/cb'] });
    // Something to list: a consent with a device, a debug token, an audit entry.
    const user = new HttpUser(gh, 'root', PASSWORD);
    await user.authorize({ response_type: 'token', client_id: appId, redirect_uri: `${gh.url}/verification_code` });
    await user.authorize({ response_type: 'code', client_id: appId, device_id: 'frame-0001', device_name: 'Кухонная рамка' });
    await gh.ctx.storage.atomically(async () => gh.ctx.audit.record({ action: 'user_blocked', actor: { type: 'user', id: root.id }, userId: (await gh.ctx.storage.findUserByLogin('ivan'))!.id, details: { blocked: false } }));
    // Mail: an address waiting for confirmation, a mail in the outbox, live links for the mail pages.
    await gh.ctx.addresses.send(root.id, 'margarita@example.org', 'ru', { type: 'user', id: root.id }, null);
    // Passkeys (issue 16): one used, one not yet, to list on /account and /admin.
    for (const [i, name] of ['Рабочий ноутбук', 'Телефон'].entries()) {
      await gh.ctx.storage.passkeys.addPasskey({
        id: `passkey-${i}-${'A'.repeat(40)}`, userId: root.id, publicKey: 'pQECAyYgAQ', counter: 0, transports: ['internal'], aaguid: '00000000-0000-0000-0000-000000000000',
        backupEligible: i === 1, backedUp: i === 1, userVerified: true, name, createdAt: gh.ctx.clock() - 86_400_000, lastUsedAt: i === 0 ? gh.ctx.clock() : null,
      });
    }
    // Anna has a security key besides her authenticator app: the second step offers both.
    await gh.ctx.storage.passkeys.addPasskey({
      id: `security-key-${'B'.repeat(40)}`, userId: anna.id, publicKey: 'pQECAyYgAQ', counter: 0, transports: ['usb'], aaguid: '00000000-0000-0000-0000-000000000000',
      backupEligible: false, backedUp: false, userVerified: false, name: 'YubiKey', createdAt: gh.ctx.clock(), lastUsedAt: null,
    });
    // Sign-in providers (issue 18): buttons on /login, one linked to root's account on /account, the list on /admin.
    const corp = await gh.ctx.upstreams.add({ name: 'corp', displayName: 'Корпоративный вход', issuer: 'https://sso.example.org', clientId: 'gatehouse', clientSecret: 's' }, { type: 'operator' });
    await gh.ctx.upstreams.add({ name: 'yandex', kind: 'yandex', displayName: 'Яндекс ID', clientId: 'x', clientSecret: 's' }, { type: 'operator' });
    await gh.ctx.upstreams.add({ name: 'github', kind: 'github', clientId: 'x', clientSecret: 's', linkVerifiedEmail: true }, { type: 'operator' });
    await gh.ctx.storage.upstreams.linkIdentity({ upstream: corp.name, subject: 'root-at-corp', userId: root.id, email: 'margarita@example.org', createdAt: gh.ctx.clock() - 86_400_000, lastUsedAt: gh.ctx.clock() });
    resetToken = await mailLink('reset_password');
    confirmToken = await mailLink('confirm_email', 'margarita@example.org');
    if ((await fetch(`${gh.url}/button-generator`)).status === 200) {
      optional = [{ name: 'button-generator', signedIn: true, open: async (page) => { await page.goto(`${gh.url}/button-generator`); } }];
    }
    fresh = await startGatehouse({ issuerHost: 'localhost', firstRun: true });
    setupLink = (await fresh.ctx.firstRun.open())!;
    mkdirSync(SCREENS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
    await fresh?.close();
  });

  async function contextFor(variant: Variant, signedIn: boolean): Promise<BrowserContext> {
    const context = await browser.browser.newContext({ viewport: variant.viewport, colorScheme: variant.colorScheme, locale: variant.lang === 'ru' ? 'ru-RU' : 'en-US' });
    await context.addCookies([{ name: 'gatehouse_lang', value: variant.lang, url: gh.url }]);
    if (signedIn) {
      await gh.ctx.storage.twoStep.deleteTwoStep(rootId as never);
      // Root has passkeys, so a password alone would lead to the second step: the session is made as a sign-in would make it.
      const id = randomToken(32);
      const now = gh.ctx.clock();
      await gh.ctx.storage.createSession({
        hash: sha256Hex(id), userId: rootId as never, authTime: now, amr: ['hwk', 'user', 'mfa'], createdAt: now, lastSeenAt: now, expiresAt: now + 3_600_000, userAgent: null, ip: null,
      });
      await context.addCookies([{ name: 'gatehouse_session', value: id, url: gh.url, httpOnly: true, sameSite: 'Lax' }]);
    }
    return context;
  }

  for (const variant of VARIANTS) {
    test(`${variant.name}: no serious accessibility problems${variant.lang === 'ru' ? ', no English left' : ''}, nothing wider than the screen or off centre`, async () => {
      const problems: string[] = [];
      const contexts = { true: await contextFor(variant, true), false: await contextFor(variant, false) };
      // One tab per context, going from page to page as a person does: a new tab for each page started a
      // renderer and compiled axe afresh each time, two thirds of this test's time.
      const tabs = { true: await contexts.true.newPage(), false: await contexts.false.newPage() };
      for (const visit of visits()) {
        const page = tabs[String(visit.signedIn) as 'true' | 'false'];
        await visit.open(page);
        await page.waitForLoadState('load');
        const where = `${visit.name} (${variant.name})`;
        expect(await page.evaluate(() => document.documentElement.lang), where).toBe(variant.lang);
        for (const v of await axe(page)) {
          if (v.impact === 'serious' || v.impact === 'critical') problems.push(`${where}: axe ${v.impact} ${v.id} — ${v.help} at ${v.nodes.join(', ')}`);
        }
        if (variant.lang === 'ru') {
          const left = await englishLeft(page);
          if (left.length > 0) problems.push(`${where}: English left: ${left.join(', ')}`);
        }
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) problems.push(`${where}: ${overflow} px wider than the screen`);
        // The card (or an operator's page) stands in the middle of the window, whatever its width.
        const offCentre = await page.evaluate(() => {
          const box = document.querySelector('body > .card, body > main, body > .topbar')?.getBoundingClientRect();
          return box ? Math.round(Math.abs(box.left - (document.documentElement.clientWidth - box.right))) : 0;
        });
        if (offCentre > 2) problems.push(`${where}: ${offCentre} px off centre`);
        await page.screenshot({ path: path.join(SCREENS, `${visit.name}-${variant.name}.png`), fullPage: true });
      }
      await contexts.true.close();
      await contexts.false.close();
      expect(problems).toEqual([]);
    }, 600_000);
  }
});
