/**
 * Gatehouse as an OpenID Provider, seen by openid-client v6 (panva's
 * certified relying-party library) configured only by discovery. The user's
 * part (sign-in, consent, /device, /logout) runs over cookie-aware fetch;
 * everything the app does goes through openid-client, which validates
 * id_tokens itself (with non-repudiation checks on, also their signatures
 * against /jwks).
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import {
  approveDeviceCode, atHash, decodeJwt, loginInfo, discover, login, OIDC_SCOPES, paramsOf, PASSWORD, POST_LOGOUT, REDIRECT, redirectOf, rejection, signInAt, startLogin,
} from './support.js';

let gh: TestGatehouse;
/** Server time runs this far ahead of real time, so a second sign-in can be seen to be later without sleeping. */
let offset = 0;
let alice: HttpUser;
/** A confidential web app, client_secret_basic. */
let config: client.Configuration;
let app: { clientId: string; clientSecret: string };

beforeAll(async () => {
  gh = await startGatehouse({ clock: () => Date.now() + offset });
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.org' });
  alice = new HttpUser(gh, 'alice', PASSWORD);
  const created = await gh.createApp({ name: 'Tea Party', redirectUris: [REDIRECT], scopes: OIDC_SCOPES, postLogoutRedirectUris: [POST_LOGOUT] });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
  config = await discover(gh, app.clientId, app.clientSecret);
  client.enableNonRepudiationChecks(config);
});
afterAll(async () => { await gh?.close(); });

/** The key /jwks publishes under `kid`. */
async function publishedKey(kid: unknown): Promise<Record<string, string> | undefined> {
  const { keys } = (await (await fetch(`${gh.url}/jwks`)).json()) as { keys: Array<Record<string, string>> };
  return keys.find((k) => k.kid === kid);
}

const psuidOf = async (accessToken: string) => (await loginInfo(gh, accessToken)).psuid;

describe('the code flow with PKCE and nonce (OIDC Core §3.1)', () => {
  test('openid-client validates the id_token: issuer, audience, nonce, ES256 signature by a published key, at_hash', async () => {
    const { pending, tokens, claims } = await login(config, alice);
    expect(pending.url.origin + pending.url.pathname).toBe(`${gh.url}/authorize`);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('openid profile email');
    expect(claims).toMatchObject({ iss: gh.url, aud: app.clientId, nonce: pending.nonce, at_hash: atHash(tokens.access_token) });
    expect(claims.auth_time).toBeTypeOf('number');
    // How Alice signed in (RFC 8176): a password alone, one factor.
    expect(claims).toMatchObject({ amr: ['pwd'], acr: '1' });
    expect(claims.exp - claims.iat).toBeGreaterThan(0);
    const { header } = decodeJwt(tokens.id_token!);
    expect(header.alg).toBe('ES256');
    expect(await publishedKey(header.kid)).toMatchObject({ alg: 'ES256', kty: 'EC', use: 'sig' });
    // The subject is pairwise: the app's psuid from the Yandex-style /info (docs/protocol.md §6).
    expect(claims.sub).toBe(await psuidOf(tokens.access_token));
  });

  test('fetchUserInfo returns the claims of the granted scopes for the same sub', async () => {
    const full = await login(config, alice);
    expect(await client.fetchUserInfo(config, full.tokens.access_token, full.claims.sub)).toEqual({
      sub: full.claims.sub,
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      preferred_username: 'alice',
      email: 'alice@example.org',
      email_verified: true,
    });

    const emailOnly = await login(config, alice, { scope: 'openid email' });
    expect(emailOnly.tokens.scope).toBe('openid email');
    expect(emailOnly.claims.sub).toBe(full.claims.sub);
    expect(await client.fetchUserInfo(config, emailOnly.tokens.access_token, full.claims.sub))
      .toEqual({ sub: full.claims.sub, email: 'alice@example.org', email_verified: true });

    const openidOnly = await login(config, alice, { scope: 'openid' });
    expect(await client.fetchUserInfo(config, openidOnly.tokens.access_token, full.claims.sub)).toEqual({ sub: full.claims.sub });
  });

  test('fetchUserInfo refuses an answer about another subject', async () => {
    const { tokens } = await login(config, alice);
    const err = await rejection(client.fetchUserInfo(config, tokens.access_token, '1.someone-else'));
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
  });

  test('refreshTokenGrant returns a new id_token for the same sub, without nonce, with the original auth_time (OIDC Core §12.2)', async () => {
    const first = await login(config, alice);
    const refreshed = await client.refreshTokenGrant(config, first.tokens.refresh_token!);
    const claims = refreshed.claims()!;
    expect(refreshed.id_token).toBeDefined();
    expect(refreshed.id_token).not.toBe(first.tokens.id_token);
    expect(claims).toMatchObject({ iss: gh.url, aud: app.clientId, sub: first.claims.sub, auth_time: first.claims.auth_time, amr: ['pwd'], acr: '1', at_hash: atHash(refreshed.access_token) });
    expect(claims).not.toHaveProperty('nonce');
    // A confidential client keeps its refresh token (docs/protocol.md §4).
    expect(refreshed.refresh_token).toBe(first.tokens.refresh_token);
    expect((await client.fetchUserInfo(config, refreshed.access_token, first.claims.sub)).sub).toBe(first.claims.sub);
  });

  test('tokenIntrospection says active until tokenRevocation, then inactive for the whole authorization (RFC 7662, RFC 7009)', async () => {
    const { tokens, claims } = await login(config, alice);
    const access = await client.tokenIntrospection(config, tokens.access_token);
    expect(access).toMatchObject({
      active: true, client_id: app.clientId, scope: 'openid profile email', token_type: 'bearer', sub: claims.sub, username: 'alice', iss: gh.url,
    });
    expect(access.exp).toBeGreaterThan(Date.now() / 1000);
    expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({ active: true, token_type: 'refresh_token', sub: claims.sub });

    await client.tokenRevocation(config, tokens.access_token);
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });
    const err = await rejection(client.fetchUserInfo(config, tokens.access_token, claims.sub));
    expect(err.code).toBe('OAUTH_WWW_AUTHENTICATE_CHALLENGE');
  });

  test('an id_token for an app created with RS256 is signed RS256 with a key published at /jwks', async () => {
    const created = await gh.createApp({ name: 'Looking Glass', redirectUris: [REDIRECT], scopes: OIDC_SCOPES, idTokenAlg: 'RS256' });
    const rs = await discover(gh, created.clientId, created.clientSecret, { id_token_signed_response_alg: 'RS256' });
    client.enableNonRepudiationChecks(rs);
    const { tokens, claims } = await login(rs, alice);
    const { header } = decodeJwt(tokens.id_token!);
    expect(header.alg).toBe('RS256');
    expect(await publishedKey(header.kid)).toMatchObject({ alg: 'RS256', kty: 'RSA', use: 'sig' });
    // Pairwise: the same person has another sub in another app.
    const other = await login(config, alice);
    expect(claims.sub).not.toBe(other.claims.sub);
    expect(claims.sub).toBe(await psuidOf(tokens.access_token));
    expect((await client.fetchUserInfo(rs, tokens.access_token, claims.sub)).preferred_username).toBe('alice');

    // And a client that expects ES256 refuses it: the algorithm is part of the app's registration.
    const es = await discover(gh, created.clientId, created.clientSecret, { id_token_signed_response_alg: 'ES256' });
    const pending = await startLogin(es);
    const { location } = await alice.authorize(paramsOf(pending.url));
    const err = await rejection(client.authorizationCodeGrant(es, location, { pkceCodeVerifier: pending.verifier, expectedNonce: pending.nonce, expectedState: pending.state }));
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE');
    expect(err.cause?.message).toMatch(/unexpected JWT "alg" header parameter/);
  });

  test('a wrong nonce makes openid-client reject the id_token', async () => {
    const pending = await startLogin(config);
    const { location } = await alice.authorize(paramsOf(pending.url));
    const err = await rejection(client.authorizationCodeGrant(config, location, {
      pkceCodeVerifier: pending.verifier, expectedNonce: client.randomNonce(), expectedState: pending.state,
    }));
    expect(err.code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED');
    expect(err.cause?.message).toMatch(/unexpected ID Token "nonce" claim value/);
  });
});

describe('the implicit id_token response (OIDC Core §3.2)', () => {
  test('openid-client validates an id_token from the fragment: signature, nonce, state', async () => {
    const implicit = await discover(gh, app.clientId, app.clientSecret);
    client.useIdTokenResponseType(implicit);
    const nonce = client.randomNonce();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(implicit, { redirect_uri: REDIRECT, scope: 'openid', nonce, state });
    expect(url.searchParams.get('response_type')).toBe('id_token');
    const { location } = await alice.authorize(paramsOf(url));
    expect(location.search).toBe('');
    const claims = await client.implicitAuthentication(implicit, location, nonce, { expectedState: state });
    expect(claims).toMatchObject({ iss: gh.url, aud: app.clientId, nonce });
    expect(claims).not.toHaveProperty('at_hash');
  });
});

describe('prompt (OIDC Core §3.1.2.1)', () => {
  test('prompt=none with a session and consent returns a code without any page', async () => {
    await login(config, alice);
    const pending = await startLogin(config, { prompt: 'none' });
    const location = await redirectOf(alice, pending.url);
    expect(location.searchParams.get('code')).toBeTruthy();
    const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: pending.verifier, expectedNonce: pending.nonce, expectedState: pending.state });
    expect(tokens.claims()!.nonce).toBe(pending.nonce);
  });

  test('prompt=none without a session answers login_required, which openid-client raises with state checked', async () => {
    const stranger = new HttpUser(gh, 'alice', PASSWORD);
    const pending = await startLogin(config, { prompt: 'none' });
    const location = await redirectOf(stranger, pending.url);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('iss')).toBe(gh.url);
    const err = await rejection(client.authorizationCodeGrant(config, location, { pkceCodeVerifier: pending.verifier, expectedNonce: pending.nonce, expectedState: pending.state }));
    expect(err).toMatchObject({ name: 'AuthorizationResponseError', error: 'login_required' });
  });

  test('prompt=none with a session but no consent for this app answers consent_required', async () => {
    const created = await gh.createApp({ name: 'Mock Turtle', redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
    const fresh = await discover(gh, created.clientId, created.clientSecret);
    const signedIn = new HttpUser(gh, 'alice', PASSWORD);
    await signedIn.signIn();
    const pending = await startLogin(fresh, { prompt: 'none' });
    const location = await redirectOf(signedIn, pending.url);
    const err = await rejection(client.authorizationCodeGrant(fresh, location, { pkceCodeVerifier: pending.verifier, expectedNonce: pending.nonce, expectedState: pending.state }));
    expect(err).toMatchObject({ name: 'AuthorizationResponseError', error: 'consent_required' });
  });

  test('prompt=login, select_account and max_age=0 send a signed-in user to sign in again; prompt=consent shows the consent page', async () => {
    await login(config, alice);
    const reauthenticate: Array<Record<string, string>> = [{ prompt: 'login' }, { max_age: '0' }, { prompt: 'select_account' }];
    for (const extra of reauthenticate) {
      const location = await redirectOf(alice, (await startLogin(config, extra)).url);
      expect(location.origin + location.pathname).toBe(`${gh.url}/login`);
      // The way back drops what sent the user here, so the loop ends.
      expect(location.searchParams.get('return_to')).not.toMatch(/prompt=|max_age/);
    }
    const page = await alice.get((await startLogin(config, { prompt: 'consent' })).url.toString());
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="decision"');
  });

  test('after signing in again for max_age=0, auth_time is the time of the new sign-in', async () => {
    const before = await login(config, alice);
    offset += 10_000;
    const pending = await startLogin(config, { max_age: '0' });
    const returnTo = await signInAt(alice, await redirectOf(alice, pending.url));
    const location = await redirectOf(alice, new URL(returnTo, gh.url));
    const tokens = await client.authorizationCodeGrant(config, location, {
      pkceCodeVerifier: pending.verifier, expectedNonce: pending.nonce, expectedState: pending.state, maxAge: 60,
    });
    expect(tokens.claims()!.auth_time).toBeGreaterThanOrEqual(before.claims.auth_time! + 10);
  });
});

describe('the device authorization grant (RFC 8628) with an id_token', () => {
  test('initiateDeviceAuthorization, approval on /device, pollDeviceAuthorizationGrant', async () => {
    const tv = await gh.createApp({ name: 'Cheshire TV', platforms: ['tv'], redirectUris: [], scopes: OIDC_SCOPES });
    const tvConfig = await discover(gh, tv.clientId, null);
    client.enableNonRepudiationChecks(tvConfig);
    const device = await client.initiateDeviceAuthorization(tvConfig, { scope: 'openid profile' });
    expect(device).toMatchObject({ verification_uri: `${gh.url}/device`, interval: 5, expires_in: 300 });
    expect(device.verification_uri_complete).toContain(encodeURIComponent(device.user_code));

    const approver = new HttpUser(gh, 'alice', PASSWORD);
    await approver.signIn();
    await approveDeviceCode(approver, device.user_code);

    // openid-client waits the 5 s interval before its first poll.
    const tokens = await client.pollDeviceAuthorizationGrant(tvConfig, device);
    const claims = tokens.claims()!;
    expect(tokens.scope).toBe('openid profile');
    expect(claims).toMatchObject({ iss: gh.url, aud: tv.clientId, at_hash: atHash(tokens.access_token) });
    expect(claims).not.toHaveProperty('nonce');
    expect(claims.auth_time).toBeTypeOf('number');
    expect(await client.fetchUserInfo(tvConfig, tokens.access_token, claims.sub))
      .toEqual({ sub: claims.sub, name: 'Alice Liddell', given_name: 'Alice', family_name: 'Liddell', preferred_username: 'alice' });
  }, 20_000);
});

describe('RP-initiated logout (OIDC RP-Initiated Logout 1.0)', () => {
  test('buildEndSessionUrl with id_token_hint, a registered post_logout_redirect_uri and state: confirm, sign out, return with state', async () => {
    const { tokens } = await login(config, alice);
    const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT, state: 'bye & thanks' });
    expect(url.origin + url.pathname).toBe(`${gh.url}/logout`);

    // Signing out is the user's decision: the link shows a page with a button (and CSRF protection).
    const confirm = await alice.get(url.toString());
    expect(confirm.status).toBe(200);
    const page = await confirm.text();
    expect(page).toContain('Tea Party');
    const res = await alice.post('/logout', hiddenFields(page));
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(POST_LOGOUT);
    expect(back.searchParams.get('state')).toBe('bye & thanks');

    // The session is gone: a silent request now needs a login.
    const location = await redirectOf(alice, (await startLogin(config, { prompt: 'none' })).url);
    expect(location.searchParams.get('error')).toBe('login_required');
  });

  test('without a session the browser returns to the app at once', async () => {
    const { tokens } = await login(config, alice);
    const signedOut = new HttpUser(gh, 'alice', PASSWORD);
    const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT, state: 's1' });
    const res = await signedOut.get(url.toString());
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${POST_LOGOUT}?state=s1`);
  });
});
