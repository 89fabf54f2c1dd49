/**
 * The language switch on the pages a person meets before signing in, in
 * Chromium: an app sends an English-speaking browser to Gatehouse, the person
 * picks "Русский" on the sign-in page, and the sign-in, the consent page and
 * the way back to the app all go on in Russian; the choice is remembered.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { clickWhenArmed } from '../helpers/consent.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { startRedirectTarget, type RedirectTarget } from '../helpers/redirect-target.js';

const PASSWORD = 'correct horse battery';
let gh: TestGatehouse;
let target: RedirectTarget;
let browser: TestBrowser;
let clientId: string;

beforeAll(async () => {
  [gh, target, browser] = await Promise.all([startGatehouse(), startRedirectTarget(), launchBrowser()]);
  await gh.createUser('sasha', PASSWORD, { firstName: 'Саша' });
  clientId = (await gh.createApp({ name: 'Фотоальбом', redirectUris: [target.redirectUri], scopes: ['login:info'] })).clientId;
});
afterAll(async () => {
  await browser?.close();
  await target?.close();
  await gh?.close();
});

test.skipIf(testEngine() !== 'sqlite')('a person switches the sign-in page to Russian; consent follows in Russian and the app gets its code', async () => {
  const context = await browser.browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(`${gh.url}/authorize?response_type=code&client_id=${clientId}&state=s1`);
  await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
  expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');

  await page.getByRole('navigation', { name: 'Language' }).getByRole('link', { name: 'Русский' }).click();
  await page.getByRole('heading', { name: 'Вход в Gatehouse' }).waitFor();
  expect(await page.evaluate(() => document.documentElement.lang)).toBe('ru');
  expect(await page.getByRole('navigation').getByText('Русский').getAttribute('aria-current')).toBe('true');

  await page.getByLabel('Логин').fill('sasha');
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByRole('button', { name: 'Войти', exact: true }).click();
  await page.getByRole('button', { name: 'Разрешить' }).waitFor();
  expect(await page.evaluate(() => document.documentElement.lang)).toBe('ru');
  await clickWhenArmed(page, 'Разрешить');
  await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
  expect(target.last().get('state')).toBe('s1');
  expect(target.last().get('code')).toMatch(/.+/);

  // Remembered: the next page in this browser is Russian without asking.
  await page.goto(`${gh.url}/login`);
  expect(await page.evaluate(() => document.documentElement.lang)).toBe('ru');
  await context.close();
});
