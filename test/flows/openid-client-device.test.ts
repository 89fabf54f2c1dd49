/**
 * The device flow driven by an independent client library, openid-client v6
 * (`initiateDeviceAuthorization` + `pollDeviceAuthorizationGrant`, RFC 8628):
 * if it accepts Gatehouse's answers, so will the standard clients built on it.
 * The person approves in Chromium while the library polls.
 *
 * This is the one test that runs at real speed: openid-client waits the
 * server's interval (5 s) before each poll, so the time from the click on
 * Allow to the token measured here is what a TV's user waits.
 *
 * There is no discovery endpoint yet (docs/protocol.md §7): the metadata is written out.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { info, PASSWORD } from './support.js';
import { clickWhenArmed } from '../helpers/consent.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let config: client.Configuration;

beforeAll(async () => {
  [gh, browser] = await Promise.all([startGatehouse(), launchBrowser()]);
  await gh.createUser('oleg', PASSWORD, { firstName: 'Oleg', email: 'oleg@example.org' });
  const app = await gh.createApp({ name: 'Set-top box', platforms: ['tv'], redirectUris: [], scopes: ['login:info', 'login:email'] });
  config = new client.Configuration(
    { issuer: gh.url, token_endpoint: `${gh.url}/token`, device_authorization_endpoint: `${gh.url}/device/code` },
    app.clientId,
    undefined,
    client.None(), // a TV app is a public client
  );
  client.allowInsecureRequests(config); // the test server speaks http on loopback
});
afterAll(async () => {
  await browser?.close();
  await gh?.close();
});

test('openid-client starts a device authorization, polls while the user allows in Chromium, and gets tokens that work on /info', async () => {
  const started = await client.initiateDeviceAuthorization(config, { scope: 'login:info', device_id: 'stb-000042', device_name: 'Hall set-top box' });
  expect(started.user_code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
  expect(started.verification_uri).toBe(`${gh.url}/device`);
  expect(started.interval).toBe(5);
  expect(started.expires_in).toBe(300);

  const startedAt = performance.now();
  const polling = client.pollDeviceAuthorizationGrant(config, started);
  const tokenAt = polling.then(() => performance.now());

  const page = await browser.newPage();
  await page.goto(started.verification_uri_complete!);
  await page.locator('#login').fill('oleg');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Allow Set-top box on your device?' }).waitFor();
  const clickedAt = performance.now();
  await clickWhenArmed(page, 'Allow');
  await page.getByRole('heading', { name: 'Done! Go back to your device' }).waitFor();

  const tokens = await polling;
  const doneAt = await tokenAt;
  console.log(
    `[device flow, openid-client at real speed] Allow → token: ${((doneAt - clickedAt) / 1000).toFixed(2)} s ` +
    `(the user clicked Allow ${((clickedAt - startedAt) / 1000).toFixed(2)} s after the device authorization started; ` +
    `openid-client polls every ${started.interval} s)`,
  );
  expect(tokens.token_type).toBe('bearer');
  expect(tokens.scope).toBe('login:info');
  expect(tokens.refresh_token).toMatch(/^gate_rt_/);
  expect(tokens.expiresIn()).toBeGreaterThan(0);
  expect(await info(gh, tokens.access_token)).toMatchObject({ login: 'oleg', first_name: 'Oleg', client_id: config.clientMetadata().client_id });
  await page.close();
}, 30_000);
