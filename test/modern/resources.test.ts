/**
 * Resource indicators (RFC 8707) and JWT access tokens (RFC 9068): an app asks
 * for a token for one registered API with `resource`; for an API marked JWT
 * the token is an `at+jwt` the API verifies offline with jose against /jwks,
 * for the others an opaque token the API introspects as the app the operator
 * linked to it. A token for one API is good nowhere else: not at another API,
 * not at Gatehouse's own /userinfo. Requests without `resource` are as before.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { discover, OIDC_SCOPES, paramsOf, PASSWORD, REDIRECT, startLogin } from '../oidc/support.js';

const JWT_API = 'https://calendar.example/api';
const OPAQUE_API = 'https://files.example/';
const OTHER_API = 'https://mail.example/';

let gh: TestGatehouse;
let alice: HttpUser;
let app: { clientId: string; clientSecret: string };
let config: client.Configuration;
let filesServer: { clientId: string; clientSecret: string };
let mailServer: { clientId: string; clientSecret: string };

beforeAll(async () => {
  gh = await startGatehouse();
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice', email: 'alice@example.org' });
  alice = new HttpUser(gh, 'alice', PASSWORD);
  const made = await gh.createApp({ redirectUris: [REDIRECT], scopes: [...OIDC_SCOPES, 'login:info'] });
  app = { clientId: made.clientId, clientSecret: made.clientSecret! };
  config = await discover(gh, app.clientId, app.clientSecret);
  const files = await gh.createApp({ name: 'Files API', redirectUris: [] });
  filesServer = { clientId: files.clientId, clientSecret: files.clientSecret! };
  const mail = await gh.createApp({ name: 'Mail API', redirectUris: [] });
  mailServer = { clientId: mail.clientId, clientSecret: mail.clientSecret! };
  await gh.ctx.resources.add({ uri: JWT_API, name: 'Calendar', jwt: true });
  await gh.ctx.resources.add({ uri: OPAQUE_API, clientId: files.clientId });
  await gh.ctx.resources.add({ uri: OTHER_API, clientId: mail.clientId });
});
afterAll(async () => { await gh?.close(); });

/** The code flow through openid-client, with `resource` at /authorize and, when given, at /token. */
async function codeFlow(authorizeResource: string | null, tokenResource?: string) {
  const pending = await startLogin(config, authorizeResource ? { resource: authorizeResource } : {});
  const { location } = await alice.authorize(paramsOf(pending.url));
  const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: pending.verifier, expectedNonce: pending.nonce, expectedState: pending.state },
    tokenResource ? { resource: tokenResource } : undefined);
  return tokens;
}

async function form(path: string, body: Record<string, string>, auth = app): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(gh.url + path, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${auth.clientId}:${auth.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('JWT access tokens for a resource marked JWT (RFC 9068)', () => {
  test('the API verifies the token offline with jose against /jwks: typ at+jwt, iss, sub, aud, exp, iat, jti, client_id, scope', async () => {
    const tokens = await codeFlow(JWT_API);
    expect(tokens.token_type).toBe('bearer');
    const jwks = createRemoteJWKSet(new URL(`${gh.url}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: gh.url, audience: JWT_API, typ: 'at+jwt', algorithms: ['ES256'] });
    expect(protectedHeader.kid).toBeTypeOf('string');
    expect(payload).toMatchObject({ iss: gh.url, aud: JWT_API, client_id: app.clientId, scope: 'openid profile email', sub: tokens.claims()!.sub });
    expect(payload.jti).toBeTypeOf('string');
    expect(payload.exp! - payload.iat!).toBe(365 * 24 * 3600);
    expect(payload.auth_time).toBeTypeOf('number');
    // Another API, checking its own audience, refuses it.
    await expect(jwtVerify(tokens.access_token, jwks, { issuer: gh.url, audience: OTHER_API, typ: 'at+jwt' })).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);

    // Still a stored token: the app can introspect and revoke it.
    const introspected = await form('/introspect', { token: tokens.access_token });
    expect(introspected.body).toMatchObject({ active: true, aud: JWT_API, client_id: app.clientId });
    expect((await form('/revoke', { token: tokens.access_token })).status).toBe(200);
    expect((await form('/introspect', { token: tokens.access_token })).body).toEqual({ active: false });
  });

  test('a token signed by any other key, or unsigned, does not verify against /jwks', async () => {
    const jwks = createRemoteJWKSet(new URL(`${gh.url}/jwks`));
    const { privateKey } = await generateKeyPair('ES256');
    const real = await codeFlow(JWT_API);
    const forged = await new SignJWT({ client_id: app.clientId, scope: 'openid' }).setProtectedHeader({ alg: 'ES256', kid: decodeProtectedHeader(real.access_token).kid!, typ: 'at+jwt' })
      .setIssuer(gh.url).setAudience(JWT_API).setSubject('x').setIssuedAt().setExpirationTime('1h').sign(privateKey);
    await expect(jwtVerify(forged, jwks, { issuer: gh.url, audience: JWT_API, typ: 'at+jwt' })).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    const [, body] = real.access_token.split('.');
    await expect(jwtVerify(`${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${body}.`, jwks)).rejects.toThrow();
  });

  test('a refresh keeps the audience: the refreshed access token is again a JWT for the API; another resource is invalid_target', async () => {
    const tokens = await codeFlow(JWT_API);
    const wrong = await form('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, resource: OPAQUE_API });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    const { payload } = await jwtVerify(refreshed.access_token, createRemoteJWKSet(new URL(`${gh.url}/jwks`)), { audience: JWT_API, typ: 'at+jwt' });
    expect(payload.client_id).toBe(app.clientId);
  });
});

describe('audience restriction (RFC 8707)', () => {
  test('an opaque token for an API: that API introspects it as its app; another API and /userinfo do not accept it', async () => {
    const tokens = await codeFlow(OPAQUE_API, OPAQUE_API);
    expect(tokens.access_token).toMatch(/^gate_at_/);
    const byApi = await form('/introspect', { token: tokens.access_token }, filesServer);
    expect(byApi.body).toMatchObject({ active: true, aud: OPAQUE_API, client_id: app.clientId, scope: 'openid profile email' });
    // The foreign audience: another API learns nothing.
    expect((await form('/introspect', { token: tokens.access_token }, mailServer)).body).toEqual({ active: false });
    // Gatehouse's own APIs are not its audience either.
    const userinfo = await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
    expect((await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${tokens.access_token}` } })).status).toBe(401);
    // The refresh token is no access token for the API.
    expect((await form('/introspect', { token: tokens.refresh_token! }, filesServer)).body).toEqual({ active: false });
  });

  test('an unknown resource at /authorize goes back to the app as invalid_target; so does a malformed one', async () => {
    for (const resource of ['https://unknown.example/', 'https://files.example/#frag', 'not a uri']) {
      const pending = await startLogin(config, { resource });
      const { location } = await alice.authorize(paramsOf(pending.url));
      expect(location.searchParams.get('error')).toBe('invalid_target');
      expect(location.searchParams.get('state')).toBe(pending.state);
    }
  });

  test('at /token: a resource other than the one the user authorized is invalid_target', async () => {
    const pending = await startLogin(config, { resource: OPAQUE_API });
    const { location } = await alice.authorize(paramsOf(pending.url));
    const code = location.searchParams.get('code')!;
    const exchange = (resource: string) => form('/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pending.verifier, resource });
    const other = await exchange(OTHER_API);
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  test('client_credentials with resource: a token for that API; unknown or malformed: invalid_target', async () => {
    const ok = await form('/token', { grant_type: 'client_credentials', scope: 'login:info', resource: OTHER_API });
    expect(ok.status).toBe(200);
    expect((await form('/introspect', { token: ok.body.access_token as string }, mailServer)).body).toMatchObject({ active: true, aud: OTHER_API });
    const jwt = await form('/token', { grant_type: 'client_credentials', scope: 'login:info', resource: JWT_API });
    const { payload } = await jwtVerify(jwt.body.access_token as string, createRemoteJWKSet(new URL(`${gh.url}/jwks`)), { audience: JWT_API, typ: 'at+jwt' });
    expect(payload.sub).toBe(app.clientId);
    for (const resource of ['https://unknown.example/', 'https://files.example/#x', 'relative/path']) {
      expect(await form('/token', { grant_type: 'client_credentials', resource })).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    }
  });

  test('without resource nothing changes: an opaque token good at /userinfo, aud the client_id', async () => {
    const tokens = await codeFlow(null);
    expect(tokens.access_token).toMatch(/^gate_at_[A-Za-z0-9_-]+$/);
    expect((await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    expect((await form('/introspect', { token: tokens.access_token })).body).toMatchObject({ active: true, aud: app.clientId });
    // And no API may introspect it.
    expect((await form('/introspect', { token: tokens.access_token }, filesServer)).body).toEqual({ active: false });
  });
});
