/**
 * Response types and response modes of /authorize for OpenID Connect
 * (OIDC Core §3.2, OAuth 2.0 Multiple Response Type Encoding Practices,
 * OAuth 2.0 Form Post Response Mode): where each answer goes, what is
 * refused, and a form_post response completed in Chromium and consumed by
 * openid-client.
 */
import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { atHash, discover, OIDC_SCOPES, PASSWORD, REDIRECT, redirectOf } from './support.js';
import { clickWhenArmed } from '../helpers/consent.js';

let gh: TestGatehouse;
let user: HttpUser;
let app: { clientId: string; clientSecret: string };

beforeAll(async () => {
  gh = await startGatehouse();
  await gh.createUser('dodo', PASSWORD, { firstName: 'Dodo', email: 'dodo@example.org' });
  user = new HttpUser(gh, 'dodo', PASSWORD);
  const created = await gh.createApp({ name: 'Caucus Race', redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
  // The user consents once to everything the app asks for; the requests below then need no page.
  await user.authorize({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, scope: OIDC_SCOPES.join(' ') });
});
afterAll(async () => { await gh?.close(); });

function authorizeUrl(params: Record<string, string>): URL {
  return new URL(`${gh.url}/authorize?${new URLSearchParams({ client_id: app.clientId, redirect_uri: REDIRECT, ...params }).toString()}`);
}

const fragmentOf = (url: URL) => new URLSearchParams(url.hash.slice(1));

describe('requests that come back as errors to the app', () => {
  test('response_type=id_token without nonce: invalid_request in the fragment (OIDC Core §3.2.2.1)', async () => {
    const location = await redirectOf(user, authorizeUrl({ response_type: 'id_token', scope: 'openid', state: 'st' }));
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.search).toBe('');
    const fragment = fragmentOf(location);
    expect(fragment.get('error')).toBe('invalid_request');
    expect(fragment.get('error_description')).toMatch(/nonce is required/);
    expect(fragment.get('state')).toBe('st');
    expect(fragment.get('iss')).toBe(gh.url);
  });

  test('response_type=id_token without the openid scope: invalid_request', async () => {
    const location = await redirectOf(user, authorizeUrl({ response_type: 'id_token', scope: 'profile', nonce: 'n' }));
    expect(fragmentOf(location).get('error')).toBe('invalid_request');
  });

  test('response_mode=query with response_type=token is refused, and no token is issued', async () => {
    for (const responseType of ['token', 'id_token', 'id_token token']) {
      const location = await redirectOf(user, authorizeUrl({ response_type: responseType, scope: 'openid', nonce: 'n', response_mode: 'query', state: 'q' }));
      const answer = new URLSearchParams([...location.searchParams, ...fragmentOf(location)]);
      expect(answer.get('error')).toBe('invalid_request');
      expect(answer.get('error_description')).toMatch(/response_mode=query is not allowed/);
      expect(answer.has('access_token')).toBe(false);
      expect(answer.has('id_token')).toBe(false);
    }
  });

  test('an unknown response_mode is refused', async () => {
    const location = await redirectOf(user, authorizeUrl({ response_type: 'code', scope: 'openid', response_mode: 'web_message' }));
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });

  test('an unknown prompt value, and prompt=none combined with another value, are refused', async () => {
    for (const prompt of ['sometimes', 'none login']) {
      const location = await redirectOf(user, authorizeUrl({ response_type: 'code', scope: 'openid', prompt }));
      expect(location.searchParams.get('error')).toBe('invalid_request');
    }
  });
});

describe('implicit responses with an id_token', () => {
  test('response_type="id_token token": both in the fragment, at_hash binds them, signature by a key from /jwks', async () => {
    const location = await redirectOf(user, authorizeUrl({ response_type: 'id_token token', scope: 'openid email', nonce: 'n-1', state: 's-1' }));
    expect(location.search).toBe('');
    const fragment = fragmentOf(location);
    expect(fragment.get('token_type')).toBe('bearer');
    expect(fragment.get('state')).toBe('s-1');
    expect(fragment.get('iss')).toBe(gh.url);
    const accessToken = fragment.get('access_token')!;
    const { payload } = await jwtVerify(fragment.get('id_token')!, createRemoteJWKSet(new URL(`${gh.url}/jwks`)), { issuer: gh.url, audience: app.clientId });
    expect(payload.nonce).toBe('n-1');
    expect(payload.at_hash).toBe(atHash(accessToken));
    const info = await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await info.json()).toEqual({ sub: payload.sub, email: 'dodo@example.org', email_verified: true });
  });

  test('response_type=id_token with response_mode=fragment and ui_locales: an id_token and nothing else', async () => {
    const location = await redirectOf(user, authorizeUrl({ response_type: 'id_token', scope: 'openid', nonce: 'n-2', response_mode: 'fragment', ui_locales: 'ru en' }));
    const fragment = fragmentOf(location);
    expect(fragment.has('access_token')).toBe(false);
    expect(fragment.get('id_token')).toBeTruthy();
  });
});

describe('ui_locales (OIDC Core §3.1.2.1)', () => {
  test('the pages of the request are in the language asked for: sign-in, then consent', async () => {
    const created = await gh.createApp({ name: 'Gryphon', redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
    const stranger = new HttpUser(gh, 'dodo', PASSWORD);
    const url = authorizeUrl({ client_id: created.clientId, response_type: 'code', scope: 'openid', ui_locales: 'ru-RU en' });
    const toLogin = await redirectOf(stranger, url);
    const login = await stranger.get(toLogin.pathname + toLogin.search);
    expect(login.status).toBe(200);
    expect(await login.text()).toMatch(/<html lang="ru">[\s\S]*Вход в Gatehouse/);

    await stranger.signIn(toLogin.searchParams.get('return_to')!);
    const consent = await stranger.get(url.toString());
    expect(consent.status).toBe(200);
    expect(await consent.text()).toContain('Gryphon запрашивает доступ к вашему аккаунту Gatehouse');
  });
});

describe('response_mode=form_post', () => {
  test('answers with an auto-submitting form page that posts code, state and iss to the redirect URI', async () => {
    const res = await user.get(authorizeUrl({ response_type: 'code', scope: 'openid', response_mode: 'form_post', state: 'a"b<c' }).toString());
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    const page = await res.text();
    expect(page).toContain(`<form method="post" action="${REDIRECT}" id="form-post"`);
    expect(page).toMatch(/<input type="hidden" name="code" value="[A-Za-z0-9_-]{43}">/);
    expect(page).toContain('<input type="hidden" name="state" value="a&quot;b&lt;c">');
    expect(page).toContain(`<input type="hidden" name="iss" value="${gh.url}">`);
    expect(page).toContain('<script src="/assets/form-post.js"></script>');
    // The page's CSP allows its own script, and does not restrict where the form may post.
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/form-action/);
  });

  describe('in Chromium', () => {
    let browser: TestBrowser;
    let rp: Server;
    let rpCallback: string;
    /** What reached the app's redirect URI. */
    const callbacks: Array<{ method: string; body: string; contentType: string }> = [];

    beforeAll(async () => {
      rp = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.url === '/callback') callbacks.push({ method: req.method ?? '', body: Buffer.concat(chunks).toString('utf8'), contentType: req.headers['content-type'] ?? '' });
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>App</title><h1>Back in the app</h1>');
        });
      });
      const port: number = await new Promise((resolve) => rp.listen(0, '127.0.0.1', () => resolve((rp.address() as { port: number }).port)));
      rpCallback = `http://127.0.0.1:${port}/callback`;
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      rp?.closeAllConnections();
      await new Promise((resolve) => rp?.close(resolve));
    });

    test('the browser posts the response by itself, and openid-client completes the code flow from the POST', async () => {
      const created = await gh.createApp({ name: 'Lobster Quadrille', redirectUris: [rpCallback], scopes: OIDC_SCOPES });
      const config = await discover(gh, created.clientId, created.clientSecret);
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: rpCallback, scope: 'openid profile', response_mode: 'form_post', nonce, state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });

      const page = await browser.newPage();
      await page.goto(url.toString());
      await page.locator('#login').fill('dodo');
      await page.locator('#password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await clickWhenArmed(page, 'Allow');
      await page.waitForURL(rpCallback);
      expect(await page.locator('h1').textContent()).toBe('Back in the app');

      expect(callbacks).toHaveLength(1);
      const post = callbacks[0]!;
      expect(post).toMatchObject({ method: 'POST', contentType: 'application/x-www-form-urlencoded' });
      const request = new Request(rpCallback, { method: 'POST', headers: { 'content-type': post.contentType }, body: post.body });
      const tokens = await client.authorizationCodeGrant(config, request, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state });
      expect(tokens.claims()).toMatchObject({ iss: gh.url, aud: created.clientId, nonce });
      expect((await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).preferred_username).toBe('dodo');
    });
  });
});
