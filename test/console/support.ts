/**
 * What the console, account, admin and language tests share: signing in and
 * up in Chromium, and asking Gatehouse's endpoints about a token or a secret
 * over plain HTTP, as an app would.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, postForm } from '../helpers/http-client.js';

export const PASSWORD = 'correct horse battery';

export async function signInAt(page: Page, gh: TestGatehouse, login: string, returnTo = '/account', password = PASSWORD): Promise<void> {
  await page.goto(`${gh.url}/login?return_to=${encodeURIComponent(returnTo)}`);
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(password);
  await page.locator('form[action="/login"] button[type=submit]').click();
  await page.waitForURL((url) => url.pathname === returnTo.split('?')[0]);
}

/** GET /info with the token: the HTTP status. */
export async function infoStatus(gh: TestGatehouse, token: string): Promise<number> {
  const res = await fetch(`${gh.url}/info?format=json`, { headers: { authorization: `OAuth ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

/** GET /info with the token: the body, which must be 200. */
export async function info(gh: TestGatehouse, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${gh.url}/info?format=json`, { headers: { authorization: `OAuth ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Whether /token accepts these client credentials: a code that does not exist
 * is refused with `invalid_grant` only after the client authenticated, and
 * with `invalid_client` before.
 */
export async function tokenEndpointError(gh: TestGatehouse, clientId: string, secret: string): Promise<string> {
  const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code: 'no-such-code' }, { authorization: basicAuth(clientId, secret) });
  return ((await res.json()) as { error: string }).error;
}

/** Exchanges a code at /token with the app's secret; returns the token response. */
export async function exchangeCode(gh: TestGatehouse, clientId: string, secret: string, code: string, redirectUri?: string): Promise<Record<string, string>> {
  const body: Record<string, string> = { grant_type: 'authorization_code', code };
  if (redirectUri) body.redirect_uri = redirectUri;
  const res = await postForm(`${gh.url}/token`, body, { authorization: basicAuth(clientId, secret) });
  const json = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

/** Clicks the confirm button of the confirmation page every destructive form leads to. */
export async function confirm(page: Page): Promise<void> {
  const button = page.locator('form input[name="confirmed"][value="yes"] ~ div button[type=submit]');
  await button.waitFor();
  await Promise.all([page.waitForLoadState('load'), button.click()]);
}
