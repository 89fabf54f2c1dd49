/**
 * Client authentication with keys (RFC 7523 §2.2, OIDC Core §9): an app
 * registered for `private_key_jwt` proves itself with a JWT signed by its own
 * key, given inline (`jwks`) or at an address (`jwks_uri`); one registered for
 * `client_secret_jwt` with a JWT MACed with its secret. openid-client does
 * the code flow with private_key_jwt as a relying party would; every check of
 * the assertion is then attacked with assertions made by hand with jose.
 */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isPrivateAddress } from '../../src/oauth/client-jwks.js';
import { JWT_BEARER_ASSERTION } from '../../src/oauth/client-assertion.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { login, OIDC_SCOPES, PASSWORD, REDIRECT } from '../oidc/support.js';

interface KeyPair { privateKey: CryptoKey; publicJwk: JWK }
async function keyPair(alg: 'ES256' | 'RS256' | 'EdDSA', kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

let gh: TestGatehouse;
/** Server time runs this far ahead of real time, to pass the jwks_uri refetch cooldown without sleeping. */
let offset = 0;
let alice: HttpUser;
let es: KeyPair;
let other: KeyPair;
let keyApp: string;
let secretJwtApp: { clientId: string; secret: string };
let secretApp: { clientId: string; secret: string };

/** A server publishing a JWK Set that the test changes, counting how often Gatehouse fetches it. */
let jwksServer: Server;
let published: { keys: JWK[] } = { keys: [] };
let fetches = 0;
let jwksUrl: string;

beforeAll(async () => {
  gh = await startGatehouse({ config: { allowPrivateJwksUri: true }, clock: () => Date.now() + offset });
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice', email: 'alice@example.org' });
  alice = new HttpUser(gh, 'alice', PASSWORD);
  es = await keyPair('ES256', 'es-1');
  other = await keyPair('ES256', 'es-1');
  keyApp = (await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES, tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [es.publicJwk] } })).clientId;
  const sj = await gh.createApp({ tokenEndpointAuthMethod: 'client_secret_jwt' });
  secretJwtApp = { clientId: sj.clientId, secret: sj.clientSecret! };
  const sa = await gh.createApp();
  secretApp = { clientId: sa.clientId, secret: sa.clientSecret! };
  jwksServer = createServer((_req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(published));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks.json`;
});
afterAll(async () => {
  await gh?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

interface AssertionOptions {
  alg?: string;
  kid?: string;
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number | null;
  iat?: number;
  jti?: string | null;
}

const now = () => Math.floor(Date.now() / 1000);

async function assertion(key: CryptoKey | Uint8Array, clientId: string, o: AssertionOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = { iss: o.iss ?? clientId, sub: o.sub ?? clientId, aud: o.aud ?? gh.url, iat: o.iat ?? now() };
  if (o.exp !== null) claims.exp = o.exp ?? now() + 60;
  if (o.jti !== null) claims.jti = o.jti ?? randomUUID();
  const alg = o.alg ?? (key instanceof Uint8Array ? 'HS256' : 'ES256');
  return new SignJWT(claims).setProtectedHeader({ alg, ...(o.kid !== undefined ? { kid: o.kid } : {}) }).sign(key);
}

async function tokenRequest(form: Record<string, string>, path = '/token', headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(gh.url + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, string>) : {} };
}

const withAssertion = (jwt: string, extra: Record<string, string> = {}) => ({
  grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: jwt, ...extra,
});

async function refused(jwt: string, description: RegExp, extra: Record<string, string> = {}): Promise<void> {
  const { status, body } = await tokenRequest(withAssertion(jwt, extra));
  expect(body.error, JSON.stringify(body)).toBe('invalid_client');
  expect(status).toBe(400);
  expect(body.error_description).toMatch(description);
}

describe('private_key_jwt with openid-client (OIDC Core §9)', () => {
  test('the code flow authenticates the app with its ES256 key; the id_token and tokens are as for a secret', async () => {
    const config = await client.discovery(new URL(gh.url), keyApp, {}, client.PrivateKeyJwt({ key: es.privateKey, kid: 'es-1' }), { execute: [client.allowInsecureRequests] });
    const meta = config.serverMetadata();
    expect(meta.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_jwt']));
    expect(meta.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256', 'PS256', 'EdDSA', 'HS256']));
    expect(meta.token_endpoint_auth_signing_alg_values_supported).not.toContain('none');
    const { tokens, claims } = await login(config, alice);
    expect(tokens.access_token).toMatch(/^gate_at_/);
    expect(claims.aud).toBe(keyApp);
    // Refreshing authenticates the same way.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toMatch(/^gate_at_/);
    // And so do introspection and revocation, with assertions for those endpoints.
    const introspected = await client.tokenIntrospection(config, refreshed.access_token);
    expect(introspected).toMatchObject({ active: true, client_id: keyApp });
    await client.tokenRevocation(config, refreshed.access_token);
    expect((await client.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);
  });

  test('the same flow with the key at a jwks_uri; a rotated key is fetched again when an assertion names it', async () => {
    const first = await keyPair('RS256', 'rsa-1');
    published = { keys: [first.publicJwk] };
    const app = (await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES, tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwksUrl })).clientId;
    fetches = 0;
    const config = await client.discovery(new URL(gh.url), app, {}, client.PrivateKeyJwt({ key: first.privateKey, kid: 'rsa-1' }), { execute: [client.allowInsecureRequests] });
    await login(config, alice);
    await login(config, alice);
    expect(fetches).toBe(1); // cached

    // The app rotates: the new key is published, the old one withdrawn.
    const second = await keyPair('EdDSA', 'ed-2');
    published = { keys: [second.publicJwk] };
    // Within the cooldown the cached set is kept, so the new key is not found yet …
    await refused(await assertion(second.privateKey, app, { alg: 'EdDSA', kid: 'ed-2' }), /no key of this app matches/);
    expect(fetches).toBe(1);
    // … after it, the unknown kid makes Gatehouse fetch the set again.
    offset += 31_000;
    const ok = await tokenRequest(withAssertion(await assertion(second.privateKey, app, { alg: 'EdDSA', kid: 'ed-2' })));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(fetches).toBe(2);
    // Unknown kids do not make Gatehouse fetch again within the cooldown.
    const stranger = await keyPair('ES256', 'nobody');
    await refused(await assertion(stranger.privateKey, app, { kid: 'nobody' }), /no key of this app matches/);
    await refused(await assertion(stranger.privateKey, app, { kid: 'nobody-2' }), /no key of this app matches/);
    expect(fetches).toBe(2);
  });
});

describe('every check of the assertion (RFC 7523 §3)', () => {
  test('a valid assertion gets a token; the same jti a second time is a replay', async () => {
    const jwt = await assertion(es.privateKey, keyApp, { kid: 'es-1' });
    const ok = await tokenRequest(withAssertion(jwt));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await refused(jwt, /used before/);
    // A new assertion reusing the jti is refused too.
    const jti = randomUUID();
    expect((await tokenRequest(withAssertion(await assertion(es.privateKey, keyApp, { jti })))).status).toBe(200);
    await refused(await assertion(es.privateKey, keyApp, { jti }), /used before/);
  });

  test('aud must be the issuer or an endpoint that authenticates clients', async () => {
    await refused(await assertion(es.privateKey, keyApp, { aud: 'https://elsewhere.example' }), /aud/);
    await refused(await assertion(es.privateKey, keyApp, { aud: `${gh.url}/userinfo` }), /aud/);
    expect((await tokenRequest(withAssertion(await assertion(es.privateKey, keyApp, { aud: `${gh.url}/token` })))).status).toBe(200);
    expect((await tokenRequest(withAssertion(await assertion(es.privateKey, keyApp, { aud: ['https://elsewhere.example', gh.url] })))).status).toBe(200);
  });

  test('exp is required, must not be past, and at most 10 minutes ahead; iat not in the future', async () => {
    await refused(await assertion(es.privateKey, keyApp, { exp: null }), /exp/);
    await refused(await assertion(es.privateKey, keyApp, { exp: now() - 120, iat: now() - 180 }), /expired/);
    await refused(await assertion(es.privateKey, keyApp, { exp: now() + 3600 }), /lives too long/);
    await refused(await assertion(es.privateKey, keyApp, { iat: now() + 300, exp: now() + 400 }), /future|iat/);
  });

  test('jti is required', async () => {
    await refused(await assertion(es.privateKey, keyApp, { jti: null }), /jti/);
  });

  test('iss and sub must be the client; a client_id sent beside it must match', async () => {
    await refused(await assertion(es.privateKey, keyApp, { iss: secretApp.clientId }), /iss and sub/);
    await refused(await assertion(es.privateKey, keyApp), /client_id is not/, { client_id: secretApp.clientId });
    expect((await tokenRequest(withAssertion(await assertion(es.privateKey, keyApp), { client_id: keyApp }))).status).toBe(200);
  });

  test('an unknown kid, another key under the same kid, and a key of another app are refused', async () => {
    const stranger = await keyPair('ES256', 'unknown');
    await refused(await assertion(stranger.privateKey, keyApp, { kid: 'unknown' }), /no key of this app matches/);
    await refused(await assertion(other.privateKey, keyApp, { kid: 'es-1' }), /signature/);
    await refused(await assertion(other.privateKey, keyApp), /signature/);
  });

  test('alg none and HMAC are refused for a key app; the wrong asymmetric algorithm too', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iss: keyApp, sub: keyApp, aud: gh.url, exp: now() + 60, jti: randomUUID() })).toString('base64url');
    await refused(`${header}.${payload}.`, /signed with one of/);
    await refused(await assertion(new TextEncoder().encode('x'.repeat(64)), keyApp), /signed with one of/);
    await refused(await assertion(es.privateKey, keyApp, { alg: 'ES256', kid: 'es-1' }).then((j) => j.replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'es-1' })).toString('base64url'))), /signature|algorithm|not a valid|no key/);
  });

  test('a key app is refused its secret; a secret app is refused assertions; one method per request', async () => {
    const secretOfKeyApp = await gh.ctx.apps.rotateSecret(keyApp as never);
    const bySecret = await tokenRequest({ grant_type: 'client_credentials', client_id: keyApp, client_secret: secretOfKeyApp });
    expect(bySecret.body.error).toBe('invalid_client');
    expect(bySecret.body.error_description).toMatch(/client assertion/);
    await refused(await assertion(new TextEncoder().encode(secretApp.secret), secretApp.clientId), /does not authenticate with client assertions/);
    const both = await tokenRequest(withAssertion(await assertion(es.privateKey, keyApp)), '/token', { authorization: `Basic ${Buffer.from(`${secretApp.clientId}:${secretApp.secret}`).toString('base64')}` });
    expect(both).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const wrongType = await tokenRequest({ ...withAssertion(await assertion(es.privateKey, keyApp)), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' });
    expect(wrongType.body.error).toBe('invalid_client');
    const missing = await tokenRequest({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION });
    expect(missing.body.error).toBe('invalid_request');
  });

  test('a blocked app is refused even with a valid assertion', async () => {
    const blockedKey = await keyPair('ES256', 'b');
    const app = (await gh.createApp({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [blockedKey.publicJwk] } })).clientId;
    await gh.ctx.apps.block(app as never, 'operator');
    const res = await tokenRequest(withAssertion(await assertion(blockedKey.privateKey, app)));
    expect(res.body.error).toBe('unauthorized_client');
  });
});

describe('client_secret_jwt (OIDC Core §9)', () => {
  test('HS256 with the client secret authenticates; with another secret it does not', async () => {
    const key = new TextEncoder().encode(secretJwtApp.secret);
    const ok = await tokenRequest(withAssertion(await assertion(key, secretJwtApp.clientId)));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await tokenRequest(withAssertion(await assertion(key, secretJwtApp.clientId, { alg: 'HS512' })))).status).toBe(200);
    await refused(await assertion(new TextEncoder().encode('0'.repeat(64)), secretJwtApp.clientId), /signature/);
    // Its secret alone is not enough: the app registered for assertions.
    const plain = await tokenRequest({ grant_type: 'client_credentials', client_id: secretJwtApp.clientId, client_secret: secretJwtApp.secret });
    expect(plain.body.error).toBe('invalid_client');
    // An asymmetric signature is not what this app registered.
    await refused(await assertion(es.privateKey, secretJwtApp.clientId), /signed with one of HS256/);
  });

  test('openid-client ClientSecretJwt works at /token', async () => {
    const config = await client.discovery(new URL(gh.url), secretJwtApp.clientId, {}, client.ClientSecretJwt(secretJwtApp.secret), { execute: [client.allowInsecureRequests] });
    const tokens = await client.clientCredentialsGrant(config, { scope: 'login:info' });
    expect(tokens.access_token).toMatch(/^gate_at_/);
  });
});

describe('jwks_uri and server-side request forgery', () => {
  test('loopback, private, link-local and mapped addresses are refused; public ones are not', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '0.0.0.0', '100.64.0.1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.215.14', '2606:4700::1111', '8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });

  test('without the test setting, an app\'s jwks_uri on a private address is never fetched, and http is refused', async () => {
    const strict = await startGatehouse();
    try {
      await expect(strict.ctx.apps.create({ name: 'Plain', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwksUrl })).rejects.toThrow(/https/);
      const app = (await strict.createApp({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://127.0.0.1:1/jwks' })).clientId;
      const jwt = await assertion(es.privateKey, app, { aud: strict.url });
      const res = await fetch(`${strict.url}/token`, { method: 'POST', body: new URLSearchParams(withAssertion(jwt)) });
      const body = (await res.json()) as Record<string, string>;
      expect(body.error).toBe('invalid_client');
      expect(body.error_description).toMatch(/private address/);
      const named = (await strict.createApp({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://localhost:1/jwks' })).clientId;
      const res2 = await fetch(`${strict.url}/token`, { method: 'POST', body: new URLSearchParams(withAssertion(await assertion(es.privateKey, named, { aud: strict.url }))) });
      expect(((await res2.json()) as Record<string, string>).error_description).toMatch(/private address/);
    } finally {
      await strict.close();
    }
  });

  test('an app\'s keys must be public keys in a JWK Set; private_key_jwt needs keys; not both forms at once', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    await expect(gh.ctx.apps.create({ name: 'Leaky', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [privateJwk] } })).rejects.toThrow(/public keys only/);
    await expect(gh.ctx.apps.create({ name: 'Keyless', tokenEndpointAuthMethod: 'private_key_jwt' })).rejects.toThrow(/needs the app's public keys/);
    await expect(gh.ctx.apps.create({ name: 'Both', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [es.publicJwk] }, jwksUri: jwksUrl })).rejects.toThrow(/not both/);
    await expect(gh.ctx.apps.create({ name: 'Public', platforms: ['desktop'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [es.publicJwk] } })).rejects.toThrow(/public clients/);
    await expect(gh.ctx.apps.create({ name: 'Junk', tokenEndpointAuthMethod: 'private_key_jwt', jwks: '{"keys": 5}' })).rejects.toThrow(/JWK Set/);
  });
});
