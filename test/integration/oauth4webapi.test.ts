/**
 * The authorization code flow completed by an independent, strict client
 * library, oauth4webapi: if it accepts Gatehouse's answers, so will the
 * standard clients built on it. The user's part (sign-in, consent) runs over
 * plain fetch; everything the app does goes through oauth4webapi.
 *
 * The authorization server metadata (RFC 8414) is written out by hand, so the
 * flow does not depend on discovery (docs/protocol.md §7); one test checks that discovery
 * says the same.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
/** The test server speaks plain http on loopback. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let gh: TestGatehouse;
let as: oauth.AuthorizationServer;
let user: HttpUser;

beforeAll(async () => {
  gh = await startGatehouse();
  as = {
    issuer: gh.url,
    authorization_endpoint: `${gh.url}/authorize`,
    token_endpoint: `${gh.url}/token`,
    authorization_response_iss_parameter_supported: true,
  };
  const u = await gh.createUser('olga', 'correct horse battery', { firstName: 'Olga', email: 'olga@example.org' });
  user = new HttpUser(gh, u.login, u.password);
});
afterAll(async () => { await gh?.close(); });

/**
 * Runs the whole code flow with PKCE (S256) and state, and returns the token
 * response as oauth4webapi validated it.
 */
async function codeFlow(client: oauth.Client, clientAuth: oauth.ClientAuth): Promise<oauth.TokenEndpointResponse> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const { location } = await user.authorize({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    scope: 'login:info login:email',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  // Checks `iss` (RFC 9207) and `state`, and turns an error response into an exception.
  const params = oauth.validateAuthResponse(as, client, location, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT, verifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

function refresh(client: oauth.Client, clientAuth: oauth.ClientAuth, refreshToken: string): Promise<oauth.TokenEndpointResponse> {
  return oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, insecure).then((res) => oauth.processRefreshTokenResponse(as, client, res));
}

async function info(accessToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${gh.url}/info`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The OAuth error code a rejected promise carries (oauth4webapi's ResponseBodyError). */
async function oauthError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) return err.error;
    throw err;
  }
  throw new Error('expected an OAuth error response');
}

function expectTokens(tokens: oauth.TokenEndpointResponse): void {
  expect(tokens.token_type).toBe('bearer');
  expect(tokens.access_token).toMatch(/^gate_at_[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
  expect(tokens.refresh_token).toMatch(/^gate_rt_[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
  expect(tokens.scope).toBe('login:info login:email');
  expect(tokens.expires_in).toBeGreaterThan(0);
}

describe('a confidential client (RFC 6749 §2.3.1)', () => {
  for (const [method, auth] of [['client_secret_basic', oauth.ClientSecretBasic], ['client_secret_post', oauth.ClientSecretPost]] as const) {
    test(`completes the code flow with PKCE using ${method}`, async () => {
      const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT] });
      const client: oauth.Client = { client_id: clientId };
      const tokens = await codeFlow(client, auth(clientSecret!));
      expectTokens(tokens);
      const me = await info(tokens.access_token);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ login: 'olga', first_name: 'Olga', default_email: 'olga@example.org', client_id: clientId });
    });
  }

  test('keeps its refresh token when refreshing (docs/protocol.md §4)', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT] });
    const client: oauth.Client = { client_id: clientId };
    const clientAuth = oauth.ClientSecretBasic(clientSecret!);
    const tokens = await codeFlow(client, clientAuth);

    const first = await refresh(client, clientAuth, tokens.refresh_token!);
    expect(first.access_token).not.toBe(tokens.access_token);
    expect(first.refresh_token).toBe(tokens.refresh_token);
    const second = await refresh(client, clientAuth, tokens.refresh_token!);
    expect(second.refresh_token).toBe(tokens.refresh_token);
    expect((await info(first.access_token)).status).toBe(200);
    expect((await info(second.access_token)).status).toBe(200);
  });

  test('narrows scopes on refresh, and refuses widening them with invalid_scope', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], scopes: ['login:info', 'login:email', 'login:birthday'] });
    const client: oauth.Client = { client_id: clientId };
    const clientAuth = oauth.ClientSecretPost(clientSecret!);
    const tokens = await codeFlow(client, clientAuth);

    const narrowed = await oauth
      .refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, { ...insecure, additionalParameters: { scope: 'login:info' } })
      .then((res) => oauth.processRefreshTokenResponse(as, client, res));
    expect(narrowed.scope).toBe('login:info');
    const me = await info(narrowed.access_token);
    expect(me.body.first_name).toBe('Olga');
    expect(me.body).not.toHaveProperty('default_email');

    const widened = oauth
      .refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, { ...insecure, additionalParameters: { scope: 'login:birthday' } })
      .then((res) => oauth.processRefreshTokenResponse(as, client, res));
    expect(await oauthError(widened)).toBe('invalid_scope');
  });
});

describe('a public client (RFC 8252, docs/protocol.md §9 desktop platform)', () => {
  test('completes the code flow with PKCE and no client authentication', async () => {
    const { clientId, clientSecret } = await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT] });
    expect(clientSecret).toBeNull();
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const tokens = await codeFlow(client, oauth.None());
    expectTokens(tokens);
    expect((await info(tokens.access_token)).body).toMatchObject({ login: 'olga', client_id: clientId });
  });

  test('rotates its refresh token, and reuse of a retired one revokes the whole family (RFC 9700 §4.14.2)', async () => {
    const { clientId } = await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT] });
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const tokens = await codeFlow(client, oauth.None());

    const rotated = await refresh(client, oauth.None(), tokens.refresh_token!);
    expect(rotated.refresh_token).toMatch(/^gate_rt_/);
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect((await info(rotated.access_token)).status).toBe(200);

    // The retired token comes back, as a thief's copy would.
    expect(await oauthError(refresh(client, oauth.None(), tokens.refresh_token!))).toBe('invalid_grant');
    // Nothing issued in this authorization survives: not the new refresh token, not any access token.
    expect(await oauthError(refresh(client, oauth.None(), rotated.refresh_token!))).toBe('invalid_grant');
    expect((await info(rotated.access_token)).status).toBe(401);
    expect((await info(tokens.access_token)).status).toBe(401);
  });

  test('a rotated refresh token keeps rotating while it is used in order', async () => {
    const { clientId } = await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT] });
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    let current = (await codeFlow(client, oauth.None())).refresh_token!;
    const seen = new Set([current]);
    for (let i = 0; i < 3; i++) {
      const next = await refresh(client, oauth.None(), current);
      expect(seen.has(next.refresh_token!)).toBe(false);
      seen.add(next.refresh_token!);
      current = next.refresh_token!;
      expect((await info(next.access_token)).status).toBe(200);
    }
  });
});

describe('metadata', () => {
  test('discovery (RFC 8414) agrees with the metadata written out by hand', async () => {
    const res = await oauth.discoveryRequest(new URL(gh.url), { algorithm: 'oauth2', ...insecure });
    const discovered = await oauth.processDiscoveryResponse(new URL(gh.url), res);
    expect(discovered).toMatchObject(as);
  });
});

describe('authorization responses a strict client checks (RFC 9207, RFC 6749 §4.1.2.1)', () => {
  test('an error response carries iss and state, so the client can trust it', async () => {
    const { clientId } = await gh.createApp({ redirectUris: [REDIRECT] });
    const client: oauth.Client = { client_id: clientId };
    const state = oauth.generateRandomState();
    const { location } = await user.authorize({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state }, 'deny');
    let error: unknown;
    try {
      oauth.validateAuthResponse(as, client, location, state);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect((error as oauth.AuthorizationResponseError).error).toBe('access_denied');
  });

  test('a response meant for another issuer or another state is refused by the client', async () => {
    const { clientId } = await gh.createApp({ redirectUris: [REDIRECT] });
    const client: oauth.Client = { client_id: clientId };
    const state = oauth.generateRandomState();
    const { location } = await user.authorize({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state });
    expect(location.searchParams.get('iss')).toBe(gh.url);
    const impostor = { ...as, issuer: 'http://127.0.0.1:1' };
    expect(() => oauth.validateAuthResponse(impostor, client, location, state)).toThrow(oauth.OperationProcessingError);
    expect(() => oauth.validateAuthResponse(as, client, location, oauth.generateRandomState())).toThrow(oauth.OperationProcessingError);
    expect(oauth.validateAuthResponse(as, client, location, state).get('code')).toBeTruthy();
  });
});
