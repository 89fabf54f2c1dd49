/**
 * What Gatehouse's OpenID Connect endpoints refuse, and how: RP-initiated
 * logout never redirects anywhere unregistered and trusts only its own
 * id_tokens; userinfo answers RFC 6750 §3 challenges; introspection is for
 * authenticated clients only (RFC 7662 §2.1).
 */
import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';
import { decodeJwt, discover, login, OIDC_SCOPES, PASSWORD, POST_LOGOUT, REDIRECT, redirectOf, rejection, startLogin } from './support.js';

let gh: TestGatehouse;
let user: HttpUser;
let app: { clientId: string; clientSecret: string };
let config: client.Configuration;
/** A genuine id_token and access token for `app`. */
let issued: { idToken: string; accessToken: string; sub: string };

beforeAll(async () => {
  gh = await startGatehouse();
  await gh.createUser('march', PASSWORD, { firstName: 'March', lastName: 'Hare', email: 'hare@example.org' });
  user = new HttpUser(gh, 'march', PASSWORD);
  const created = await gh.createApp({ name: 'Croquet', redirectUris: [REDIRECT], scopes: OIDC_SCOPES, postLogoutRedirectUris: [POST_LOGOUT] });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
  config = await discover(gh, app.clientId, app.clientSecret);
  const { tokens, claims } = await login(config, user);
  issued = { idToken: tokens.id_token!, accessToken: tokens.access_token, sub: claims.sub };
});
afterAll(async () => { await gh?.close(); });

/** GET /logout as a browser with the user's session; the answer must be Gatehouse's error page, not a redirect. */
async function logoutRefused(params: Record<string, string>, expected: RegExp): Promise<void> {
  const res = await user.get(`/logout?${new URLSearchParams(params).toString()}`);
  const page = await res.text();
  expect(res.status, page.slice(0, 300)).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page).toMatch(expected);
  // And the user is still signed in: nothing happened.
  expect((await redirectOf(user, (await startLogin(config, { prompt: 'none' })).url)).searchParams.get('code')).toBeTruthy();
}

/** An id_token that looks like Gatehouse's (issuer, audience, even a published kid) but is signed by someone else. */
async function forgedIdToken(alg: 'ES256' | 'RS256'): Promise<string> {
  const { privateKey } = await generateKeyPair(alg);
  const { header, payload } = decodeJwt(issued.idToken);
  return new SignJWT({ ...payload })
    .setProtectedHeader({ alg, kid: header.kid as string, typ: 'JWT' })
    .sign(privateKey);
}

describe('RP-initiated logout refuses what it cannot trust, on its own page', () => {
  test('a post_logout_redirect_uri not registered for the app', async () => {
    await logoutRefused({ id_token_hint: issued.idToken, post_logout_redirect_uri: 'http://127.0.0.1:9999/elsewhere', state: 's' }, /not registered/);
    await logoutRefused({ client_id: app.clientId, post_logout_redirect_uri: 'https://evil.example/' }, /not registered/);
    // A registered redirect URI of the app is not a post-logout redirect URI.
    await logoutRefused({ client_id: app.clientId, post_logout_redirect_uri: REDIRECT }, /not registered/);
  });

  test('an id_token_hint not signed by Gatehouse: another key, HS256 with the client secret, alg none', async () => {
    const { header, payload } = decodeJwt(issued.idToken);
    const hs = await new SignJWT({ ...payload }).setProtectedHeader({ alg: 'HS256', kid: header.kid as string }).sign(new TextEncoder().encode(app.clientSecret));
    const none = new UnsecuredJWT({ ...payload }).encode();
    for (const hint of [await forgedIdToken('ES256'), await forgedIdToken('RS256'), hs, none, 'not-a-jwt']) {
      await logoutRefused({ id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT }, /id_token_hint is not an id_token issued by this server/);
    }
  });

  test('a post_logout_redirect_uri without any way to know the app', async () => {
    await logoutRefused({ post_logout_redirect_uri: POST_LOGOUT }, /needs id_token_hint or client_id/);
  });

  test('a client_id that is not the audience of the id_token_hint', async () => {
    const other = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES, postLogoutRedirectUris: [POST_LOGOUT] });
    await logoutRefused({ id_token_hint: issued.idToken, client_id: other.clientId, post_logout_redirect_uri: POST_LOGOUT }, /does not match/);
  });

  test('the sign-out form itself needs its CSRF token', async () => {
    const page = await (await user.get(`/logout?${new URLSearchParams({ id_token_hint: issued.idToken }).toString()}`)).text();
    const { csrf: _csrf, ...withoutCsrf } = hiddenFields(page);
    const res = await user.post('/logout', withoutCsrf);
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
  });
});

describe('userinfo errors (RFC 6750 §3)', () => {
  test('no token: 401 with a bare Bearer challenge', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await fetch(`${gh.url}/userinfo`, { method });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
    }
  });

  test('an unknown token: 401 invalid_token in the challenge and the body', async () => {
    const res = await fetch(`${gh.url}/userinfo`, { headers: { authorization: 'Bearer gate_at_not-a-real-token' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
    expect(await res.json()).toMatchObject({ error: 'invalid_token' });
  });

  test('openid-client sees the challenge of a bad token', async () => {
    const err = (await rejection(client.fetchUserInfo(config, 'gate_at_not-a-real-token', issued.sub))) as unknown as { code: string; cause: Array<{ scheme: string; parameters: Record<string, string> }> };
    expect(err).toMatchObject({ code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' });
    expect(err.cause[0]).toMatchObject({ scheme: 'bearer', parameters: { error: 'invalid_token' } });
  });

  test('a token of the app itself (client_credentials) has no user: invalid_token', async () => {
    const res = await postForm(`${gh.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    const { access_token } = (await res.json()) as { access_token: string };
    const info = await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  test('a token sent two ways at once: 400 invalid_request', async () => {
    const res = await postForm(`${gh.url}/userinfo`, { access_token: issued.accessToken }, { authorization: `Bearer ${issued.accessToken}` });
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
  });

  test('the token in a POST body is accepted (RFC 6750 §2.2)', async () => {
    const res = await postForm(`${gh.url}/userinfo`, { access_token: issued.accessToken });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sub: issued.sub, preferred_username: 'march' });
  });
});

describe('introspection needs an authenticated client (RFC 7662 §2.1)', () => {
  test('no credentials: 401 with WWW-Authenticate', async () => {
    const res = await postForm(`${gh.url}/introspect`, { token: issued.accessToken });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  test('a wrong secret in Basic: 401 with WWW-Authenticate', async () => {
    const res = await postForm(`${gh.url}/introspect`, { token: issued.accessToken }, { authorization: basicAuth(app.clientId, 'f'.repeat(64)) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  test('a public client, which has no secret to prove itself with: 401', async () => {
    const pub = await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
    const res = await postForm(`${gh.url}/introspect`, { token: issued.accessToken, client_id: pub.clientId });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  test('openid-client with a wrong secret gets invalid_client', async () => {
    const wrong = await discover(gh, app.clientId, 'f'.repeat(64));
    const err = await rejection(client.tokenIntrospection(wrong, issued.accessToken));
    // oauth4webapi reports a 401 with a challenge as the challenge itself.
    expect(err.code).toBe('OAUTH_WWW_AUTHENTICATE_CHALLENGE');
  });
});
