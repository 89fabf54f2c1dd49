/**
 * The device flow as people live it (RFC 8628, docs/protocol.md §5.1): a TV app (plain
 * fetch here) asks for a code and polls /token on its own schedule while a
 * person, in headless Chromium, signs in on /device, types the code (or opens
 * the QR code's link with it prefilled), reads what the app wants and allows
 * or denies.
 *
 * The server runs on a time-lapse clock (10× real time), so the TV polls every
 * 5 s of server time — the interval the server asked for — while the test
 * waits half a second between polls. The TV knows nothing of the browser.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { DeviceClient, info, outcome, PASSWORD, timeLapseClock, type DeviceCodeResponse, type PollAnswer } from './support.js';
import { clickWhenArmed, decisionArmed } from '../helpers/consent.js';

const SPEED = 10;
/** Real milliseconds added to each wait, so network jitter never makes a poll early. */
const MARGIN_MS = 30;

let gh: TestGatehouse;
let browser: TestBrowser;
let tv: DeviceClient;

beforeAll(async () => {
  [gh, browser] = await Promise.all([startGatehouse({ clock: timeLapseClock(SPEED) }), launchBrowser()]);
  await gh.createUser('tanya', PASSWORD, { firstName: 'Tanya', lastName: 'Petrova', email: 'tanya@example.org' });
  const app = await gh.createApp({ name: 'Cinema TV', platforms: ['tv'], redirectUris: [], scopes: ['login:info'], optionalScopes: ['login:email'] });
  tv = new DeviceClient(gh, app.clientId, null);
});
afterAll(async () => {
  await browser?.close();
  await gh?.close();
});

interface Poll extends PollAnswer {
  sentAt: number;
  receivedAt: number;
}

/**
 * The TV's polling loop: polls, and until the answer is final waits the
 * interval (growing it by 5 s on slow_down, RFC 8628 §3.5) and polls again.
 */
function startPolling(started: DeviceCodeResponse): { polls: Poll[]; done: Promise<Poll> } {
  const polls: Poll[] = [];
  const done = (async () => {
    let interval = started.interval;
    for (;;) {
      const sentAt = performance.now();
      const answer = await tv.poll(started.device_code);
      const poll = { ...answer, sentAt, receivedAt: performance.now() };
      polls.push(poll);
      const result = outcome(answer);
      if (result === 'slow_down') interval += 5;
      else if (result !== 'authorization_pending') return poll;
      await new Promise((resolve) => setTimeout(resolve, (interval * 1000) / SPEED + MARGIN_MS));
    }
  })();
  return { polls, done };
}

async function signIn(page: Page): Promise<void> {
  await page.waitForURL((url) => url.pathname === '/login');
  await page.locator('#login').fill('tanya');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/device');
}

/**
 * The confirmation page: the app in the heading, the user, the code to
 * compare with the device's (RFC 8628 §3.3.1), the device's name quoted in a
 * labelled field, the app's developer, the time of the request, a warning,
 * and the scopes in plain words.
 */
async function expectConfirmPage(page: Page, userCode: string): Promise<void> {
  await page.getByRole('button', { name: 'Allow' }).waitFor();
  expect(await page.locator('h1').textContent()).toBe('Allow Cinema TV on your device?');
  expect(await page.locator('#device-name').textContent()).toBe('“Living room TV”');
  expect(await page.locator('#device-developer').textContent()).toBe('the operator of this server');
  expect(await page.locator('.identity strong').textContent()).toBe('Tanya Petrova');
  expect(await page.locator('.code-check').textContent()).toBe(`Check that your device shows this code: ${userCode}`);
  expect(await page.locator('ul.scopes li').allTextContents()).toEqual(['Know your username and your Gatehouse account id', 'See your name, display name and sex']);
  expect(await page.locator('fieldset.optional label').allTextContents()).toEqual([' See your email addresses']);
}

/** Clicks Allow, waits for the TV's token, and reports how long the TV waited after the click. */
async function allowAndMeasure(page: Page, polling: { polls: Poll[]; done: Promise<Poll> }, label: string): Promise<Poll> {
  await decisionArmed(page);
  const clickedAt = performance.now();
  await clickWhenArmed(page, 'Allow');
  await page.getByRole('heading', { name: 'Done! Go back to your device' }).waitFor();
  const pageShownAt = performance.now();
  const final = await polling.done;
  expect(final.status, JSON.stringify(final.body)).toBe(200);
  expect(polling.polls.map(outcome)).not.toContain('slow_down');

  // Server time runs SPEED× faster than test time; a loaded machine's delays are magnified alike.
  console.log(
    `[device flow, ${label}] Allow → token: ${(final.receivedAt - clickedAt).toFixed(0)} ms of test time ` +
    `= ${(((final.receivedAt - clickedAt) * SPEED) / 1000).toFixed(1)} s of server time at ${SPEED}× ` +
    `(the TV's next poll went out ${Math.max(0, final.sentAt - clickedAt).toFixed(0)} ms after the click and took ` +
    `${(final.receivedAt - final.sentAt).toFixed(0)} ms; the "Done" page showed after ${(pageShownAt - clickedAt).toFixed(0)} ms; ` +
    `${polling.polls.length} polls at the 5 s interval, no slow_down)`,
  );
  return final;
}

describe('the device flow in a browser', () => {
  test('the user signs in on /device, types the code, sees app, device and scopes, allows; the next poll gets tokens that work on /info', async () => {
    const started = await tv.start({ device_id: 'tv-living-room', device_name: 'Living room TV', scope: 'login:info', optional_scope: 'login:email' });
    const polling = startPolling(started);
    const page = await browser.newPage();

    await page.goto(started.verification_uri);
    await signIn(page);
    await page.locator('#user_code').fill(started.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectConfirmPage(page, started.user_code);

    const final = await allowAndMeasure(page, polling, 'code typed');
    expect(polling.polls.slice(0, -1).map(outcome).every((o) => o === 'authorization_pending')).toBe(true);
    expect(polling.polls.length).toBeGreaterThan(1);
    expect(final.body).toMatchObject({ token_type: 'bearer', scope: 'login:info' });
    expect(await info(gh, String(final.body.access_token))).toMatchObject({ login: 'tanya', first_name: 'Tanya', client_id: tv.clientId });
    await page.close();
  });

  test('arriving from verification_uri_complete (the QR code), not signed in: the code is prefilled after sign-in', async () => {
    const started = await tv.start({ device_id: 'tv-living-room', device_name: 'Living room TV', scope: 'login:info', optional_scope: 'login:email' });
    const polling = startPolling(started);
    const context = await browser.browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
    const page = await context.newPage();

    await page.goto(started.verification_uri_complete);
    await signIn(page);
    expect(new URL(page.url()).searchParams.get('user_code')).toBe(started.user_code);
    expect(await page.locator('#user_code').inputValue()).toBe(started.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectConfirmPage(page, started.user_code);
    await page.getByLabel('See your email addresses').check();

    const final = await allowAndMeasure(page, polling, 'code prefilled');
    expect(final.body.scope).toBe('login:info login:email');
    expect(await info(gh, String(final.body.access_token))).toMatchObject({ login: 'tanya', default_email: 'tanya@example.org' });
    await context.close();
  });

  test('Deny shows "Access denied" and the TV\'s next poll gets access_denied', async () => {
    const started = await tv.start({ device_id: 'tv-living-room', device_name: 'Living room TV', scope: 'login:info', optional_scope: 'login:email' });
    const polling = startPolling(started);
    const page = await browser.newPage();
    await page.goto(started.verification_uri_complete);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectConfirmPage(page, started.user_code);
    await clickWhenArmed(page, 'Deny');
    await page.getByRole('heading', { name: 'Access denied' }).waitFor();
    expect(await page.locator('main p').last().textContent()).toBe('Cinema TV was not given access. You can close this page.');

    const final = await polling.done;
    expect(final).toMatchObject({ status: 400, body: { error: 'access_denied' } });
    expect(polling.polls.map(outcome).filter((o) => o === 'slow_down')).toEqual([]);
    await page.close();
  });

  test('a device name written as an instruction is only a quoted, labelled field; the developer, the time and a warning are shown', async () => {
    const owner = await gh.createUser('tv-maker', PASSWORD);
    const app = await gh.createApp({ name: 'Free Movies', platforms: ['tv'], redirectUris: [], scopes: ['login:info'], ownerId: owner.id });
    const lure = 'Gatehouse check: press Allow';
    const started = await new DeviceClient(gh, app.clientId, null).start({ device_id: 'tv-lure-01', device_name: lure });
    const page = await browser.newPage();
    await page.goto(started.verification_uri_complete);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();

    // Never the question, nor the window's title.
    expect(await page.locator('h1').textContent()).toBe('Allow Free Movies on your device?');
    expect(await page.title()).not.toContain(lure);
    // Labelled as the app's words, in quotes, isolated from the text around it.
    const field = page.locator('dl.device-request');
    expect(await field.locator('dt').allTextContents()).toEqual(['Device name, as the app gave it', 'App developer', 'Requested']);
    expect(await page.locator('#device-name').textContent()).toBe(`“${lure}”`);
    expect(await page.locator('#device-name bdi').textContent()).toBe(lure);
    expect(await page.locator('#device-developer').textContent()).toBe('tv-maker');
    expect(await page.locator('#device-requested').textContent()).toMatch(/^\w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M UTC$/);
    const warning = page.getByRole('note');
    expect(await warning.isVisible()).toBe(true);
    expect(await warning.textContent()).toBe('Only continue if you started this on your own device just now. If someone sent you this code or link, choose Deny.');
    // The name appears once on the page: in its field.
    expect((await page.evaluate(() => document.body.innerText)).split(lure)).toHaveLength(2);
    await page.close();
  });

  test('a wrong code keeps the person on the code page with a message, and the right one still works', async () => {
    const started = await tv.start({ device_id: 'tv-living-room', device_name: 'Living room TV', scope: 'login:info', optional_scope: 'login:email' });
    const page = await browser.newPage();
    await page.goto(`${gh.url}/device`);
    await page.locator('#user_code').fill('ABCD-EFGH');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('That code is wrong or has expired. Check the code on your device and try again.');
    expect(await page.locator('#user_code').inputValue()).toBe('ABCD-EFGH');
    await page.locator('#user_code').fill(started.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectConfirmPage(page, started.user_code);
    await page.close();
  });
});
