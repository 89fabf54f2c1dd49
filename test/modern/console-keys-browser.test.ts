/**
 * A developer sets an app to private_key_jwt on /console in Chromium, pasting
 * its public keys; the app then authenticates at /token with an assertion,
 * and its secret no longer works. A bad key set is refused on the form with
 * the reason; the operator sees how the app authenticates on /admin.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JWT_BEARER_ASSERTION } from '../../src/oauth/client-assertion.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { signInAt } from '../console/support.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let page: Page;

describe.skipIf(testEngine() !== 'sqlite')('client authentication on /console', () => {
  beforeAll(async () => {
    [gh, browser] = await Promise.all([startGatehouse(), launchBrowser()]);
    await gh.createUser('devon');
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
  });

  test('a developer switches a web app to private_key_jwt with pasted keys; the app then authenticates with its key only', async () => {
    const made = await gh.createApp({ name: 'Ledger', ownerId: (await gh.ctx.storage.findUserByLogin('devon'))!.id, redirectUris: ['https://ledger.example/cb'] });
    await signInAt(page, gh, 'devon', `/console/apps/${made.clientId}/edit`);
    await page.getByLabel('How the app authenticates at the token endpoint').selectOption('private_key_jwt');
    await page.getByLabel('Or the public keys themselves (jwks)').fill('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByText('The client authentication settings are not valid.').isVisible()).toBe(true);
    await browser.screenshot(page, 'console-client-auth-refused');

    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'ledger-1' }] });
    await page.getByLabel('How the app authenticates at the token endpoint').selectOption('private_key_jwt');
    await page.getByLabel('Or the public keys themselves (jwks)').fill(jwks);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((url) => url.pathname === `/console/apps/${made.clientId}`);
    expect(await gh.ctx.storage.findApp(made.clientId as never)).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kid: 'ledger-1' }] } });
    await page.goto(`${gh.url}/console/apps/${made.clientId}/edit`);
    expect(await page.getByLabel('How the app authenticates at the token endpoint').inputValue()).toBe('private_key_jwt');
    await browser.screenshot(page, 'console-client-auth');

    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'ledger-1' })
      .setIssuer(made.clientId).setSubject(made.clientId).setAudience(`${gh.url}/token`).setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey);
    const byKey = await fetch(`${gh.url}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: assertion }) });
    expect(byKey.status).toBe(200);
    const bySecret = await fetch(`${gh.url}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: made.clientId, client_secret: made.clientSecret! }) });
    expect(((await bySecret.json()) as Record<string, string>).error).toBe('invalid_client');
  });
});
