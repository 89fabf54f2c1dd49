/**
 * The OpenID Connect code flow through oauth4webapi, the strictest of the
 * common client libraries, configured only from Gatehouse's discovery
 * document: RFC 9207 `iss` in the authorization response, the id_token's
 * claims and nonce, its signature by a key from /jwks, `at_hash`, and
 * userinfo for the same subject.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { atHash, decodeJwt, OIDC_SCOPES, PASSWORD, REDIRECT, rejection } from './support.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

let gh: TestGatehouse;
let as: oauth.AuthorizationServer;
let user: HttpUser;

beforeAll(async () => {
  gh = await startGatehouse();
  const issuer = new URL(gh.url);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' }));
  await gh.createUser('dinah', PASSWORD, { firstName: 'Dinah', email: 'dinah@example.org' });
  user = new HttpUser(gh, 'dinah', PASSWORD);
});
afterAll(async () => { await gh?.close(); });

interface Login {
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
  nonce: string;
  state: string;
  verifier: string;
  callback: URL;
}

/** The app's half of the start: PKCE, state and nonce, then the user's half over HTTP. */
async function authorize(client: oauth.Client, clientAuth: oauth.ClientAuth, scope = OIDC_SCOPES.join(' ')): Promise<Login> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    scope,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const { location } = await user.authorize(Object.fromEntries(url.searchParams));
  return { client, clientAuth, nonce, state, verifier, callback: location };
}

async function exchange(login: Login): Promise<{ response: Response; tokens: oauth.TokenEndpointResponse }> {
  // RFC 9207: the metadata promises `iss`, so oauth4webapi requires it and compares it with the issuer.
  const params = oauth.validateAuthResponse(as, login.client, login.callback, login.state);
  const response = await oauth.authorizationCodeGrantRequest(as, login.client, login.clientAuth, params, REDIRECT, login.verifier, insecure);
  const tokens = await oauth.processAuthorizationCodeResponse(as, login.client, response, { expectedNonce: login.nonce, requireIdToken: true });
  return { response, tokens };
}

describe('the code flow, checked by oauth4webapi', () => {
  test('a confidential client: iss, nonce, claims, signature by a key from /jwks, at_hash, userinfo for the same sub', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
    const client: oauth.Client = { client_id: clientId };
    const login = await authorize(client, oauth.ClientSecretBasic(clientSecret!));
    expect(login.callback.searchParams.get('iss')).toBe(gh.url);
    const { response, tokens } = await exchange(login);

    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(claims).toMatchObject({ iss: gh.url, aud: clientId, nonce: login.nonce });
    // The signature, through the jwks_uri of the discovery document.
    await oauth.validateApplicationLevelSignature(as, response, insecure);
    // OIDC Core §3.1.3.8: at_hash is the left half of SHA-256 (ES256) of the access token.
    expect(claims.at_hash).toBe(atHash(tokens.access_token));
    expect(decodeJwt(tokens.id_token!).header).toMatchObject({ alg: 'ES256', typ: 'JWT' });

    const userinfo = await oauth.userInfoRequest(as, client, tokens.access_token, insecure);
    expect(await oauth.processUserInfoResponse(as, client, claims.sub, userinfo)).toEqual({
      sub: claims.sub, name: 'Dinah', given_name: 'Dinah', preferred_username: 'dinah', email: 'dinah@example.org', email_verified: true,
    });
  });

  test('a public client (PKCE, no secret) gets a validated id_token too', async () => {
    const { clientId, clientSecret } = await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
    expect(clientSecret).toBeNull();
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const { response, tokens } = await exchange(await authorize(client, oauth.None(), 'openid'));
    await oauth.validateApplicationLevelSignature(as, response, insecure);
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(claims.aud).toBe(clientId);
    const userinfo = await oauth.userInfoRequest(as, client, tokens.access_token, insecure);
    expect(await oauth.processUserInfoResponse(as, client, claims.sub, userinfo)).toEqual({ sub: claims.sub });
  });

  test('processUserInfoResponse refuses a userinfo answer for another subject', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
    const client: oauth.Client = { client_id: clientId };
    const { tokens } = await exchange(await authorize(client, oauth.ClientSecretPost(clientSecret!)));
    const userinfo = await oauth.userInfoRequest(as, client, tokens.access_token, insecure);
    const err = await rejection(oauth.processUserInfoResponse(as, client, '1.not-this-user', userinfo));
    expect(err.code).toBe(oauth.JSON_ATTRIBUTE_COMPARISON);
  });

  test('a wrong nonce, a wrong state and a foreign issuer are each refused', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
    const client: oauth.Client = { client_id: clientId };
    const clientAuth = oauth.ClientSecretBasic(clientSecret!);
    const login = await authorize(client, clientAuth);

    expect(() => oauth.validateAuthResponse(as, client, login.callback, oauth.generateRandomState())).toThrow(/"state"/);
    expect(() => oauth.validateAuthResponse({ ...as, issuer: 'http://127.0.0.1:1' }, client, login.callback, login.state)).toThrow(/"iss"/);

    const err = await rejection(exchange({ ...login, nonce: oauth.generateRandomNonce() }));
    expect(err.code).toBe(oauth.JWT_CLAIM_COMPARISON);
    expect(err.message).toMatch(/nonce/);
  });

  test('the refresh grant returns an id_token oauth4webapi accepts, without a nonce', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
    const client: oauth.Client = { client_id: clientId };
    const clientAuth = oauth.ClientSecretPost(clientSecret!);
    const { tokens } = await exchange(await authorize(client, clientAuth));
    const first = oauth.getValidatedIdTokenClaims(tokens)!;
    const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, insecure);
    const refreshed = await oauth.processRefreshTokenResponse(as, client, response);
    await oauth.validateApplicationLevelSignature(as, response, insecure);
    const claims = oauth.getValidatedIdTokenClaims(refreshed)!;
    expect(claims.sub).toBe(first.sub);
    expect(claims.nonce).toBeUndefined();
    expect(claims.at_hash).toBe(atHash(refreshed.access_token));
  });
});
