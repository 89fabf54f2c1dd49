/**
 * Dynamic client registration (RFC 7591) and management (RFC 7592): an app
 * registers itself with oauth4webapi, publishing a JWK Set for
 * private_key_jwt, then signs users in and gets tokens with that key; it
 * reads, replaces and deletes its registration with its registration access
 * token, and with no other's. Registration is off by default, takes an
 * operator's initial access token in `token` mode, and checks metadata as
 * strictly as the developer console.
 */
import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let open: TestGatehouse;
let as: oauth.AuthorizationServer;

async function discovery(gh: TestGatehouse): Promise<oauth.AuthorizationServer> {
  const res = await oauth.discoveryRequest(new URL(gh.url), { ...insecure, algorithm: 'oidc' });
  return oauth.processDiscoveryResponse(new URL(gh.url), res);
}

async function post(gh: TestGatehouse, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${gh.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

beforeAll(async () => {
  open = await startGatehouse({ config: { registration: 'open', limits: { registrationPerAddress: { max: 1000, windowMs: 3_600_000 } } } });
  as = await discovery(open);
});
afterAll(async () => { await open?.close(); });

describe('registering with oauth4webapi and private_key_jwt (RFC 7591, RFC 7523)', () => {
  test('discovery names the registration endpoint; the registered app gets tokens with its key, by code flow and client_credentials', async () => {
    expect(as.registration_endpoint).toBe(`${open.url}/register`);
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'mcp-1', alg: 'ES256', use: 'sig' };
    const response = await oauth.dynamicClientRegistrationRequest(as, {
      client_name: 'Agent of Things',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
      scope: 'openid login:info',
      logo_uri: 'https://agent.example/logo.png',
    }, insecure);
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const registered = await oauth.processDynamicClientRegistrationResponse(response);
    expect(registered).toMatchObject({
      client_name: 'Agent of Things', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt', scope: 'openid login:info',
      registration_client_uri: `${open.url}/register/${registered.client_id}`,
    });
    expect(registered.client_secret).toBeUndefined(); // it authenticates with its key
    expect(registered.registration_access_token).toMatch(/^gate_rat_/);
    expect(registered.logo_uri).toBeUndefined(); // not understood, so not claimed

    const app = await open.ctx.storage.findApp(registered.client_id as never);
    expect(app).toMatchObject({ ownerId: null, platforms: [{ type: 'web' }], tokenEndpointAuthMethod: 'private_key_jwt' });
    expect(app!.registrationTokenHash).toMatch(/^[0-9a-f]{64}$/);

    const client: oauth.Client = { client_id: registered.client_id };
    const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'mcp-1' });
    const cc = await oauth.processClientCredentialsResponse(as, client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'login:info' }, insecure));
    expect(cc.access_token).toMatch(/^gate_at_/);

    const person = await open.createUser(undefined, 'correct horse battery');
    const user = new HttpUser(open, person.login, person.password);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const { location } = await user.authorize({
      response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, scope: 'login:info', state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const params = oauth.validateAuthResponse(as, client, location, state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT, verifier, insecure));
    expect(tokens.refresh_token).toMatch(/^gate_rt_/);
  });

  test('a client_secret_basic registration gets a secret; a native one with loopback redirects is a public desktop app, one with https redirects a browser app', async () => {
    const web = await post(open, { redirect_uris: ['https://rp.example/cb'] });
    expect(web.status).toBe(201);
    expect(web.body).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic', client_secret_expires_at: 0, scope: 'openid profile email', client_name: 'rp.example' });
    expect(web.body.client_secret).toMatch(/^[0-9a-f]{64}$/);
    const native = await post(open, { redirect_uris: ['http://127.0.0.1/callback', 'org.example.app:/cb'], token_endpoint_auth_method: 'none', client_name: 'CLI' });
    expect(native.status, JSON.stringify(native.body)).toBe(201);
    expect(native.body.client_secret).toBeUndefined();
    expect((await open.ctx.storage.findApp(native.body.client_id as never))!.platforms).toEqual([{ type: 'desktop' }]);
    // A public client with https redirect URIs is a browser app: PKCE S256, CORS for its origin only.
    const browser = await post(open, { redirect_uris: ['https://spa.example/callback'], token_endpoint_auth_method: 'none', client_name: 'SPA' });
    expect(browser.status, JSON.stringify(browser.body)).toBe(201);
    expect(browser.body.client_secret).toBeUndefined();
    expect((await open.ctx.storage.findApp(browser.body.client_id as never))!.platforms).toEqual([{ type: 'spa' }]);
  });
});

describe('metadata is checked as strictly as the console (RFC 7591 §3.2.2)', () => {
  const cases: Array<[string, unknown, string]> = [
    ['an http redirect URI off loopback', { redirect_uris: ['http://rp.example/cb'] }, 'invalid_redirect_uri'],
    ['a redirect URI with a fragment', { redirect_uris: ['https://rp.example/cb#x'] }, 'invalid_redirect_uri'],
    ['a javascript: redirect URI', { redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
    ['no redirect URI for the code grant', { client_name: 'x' }, 'invalid_redirect_uri'],
    ['redirect_uris not an array', { redirect_uris: 'https://rp.example/cb' }, 'invalid_redirect_uri'],
    ['a public client with both https and private-use redirects', { redirect_uris: ['https://rp.example/cb', 'com.example.app:/cb'], token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri'],
    ['an unknown scope', { redirect_uris: ['https://rp.example/cb'], scope: 'openid admin:everything' }, 'invalid_client_metadata'],
    ['a management scope, which only operators grant', { redirect_uris: ['https://rp.example/cb'], grant_types: ['client_credentials'], scope: 'gatehouse:admin' }, 'invalid_client_metadata'],
    ['an unknown auth method', { redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'tls_client_auth' }, 'invalid_client_metadata'],
    ['private_key_jwt without keys', { redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
    ['a private key in jwks', { redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] } }, 'invalid_client_metadata'],
    ['jwks and jwks_uri together', { redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] }, jwks_uri: 'https://rp.example/jwks' }, 'invalid_client_metadata'],
    ['an http jwks_uri', { redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://rp.example/jwks' }, 'invalid_client_metadata'],
    ['a name with control characters', { redirect_uris: ['https://rp.example/cb'], client_name: 'evil\u0007' }, 'invalid_client_metadata'],
    ['a name too long', { redirect_uris: ['https://rp.example/cb'], client_name: 'n'.repeat(101) }, 'invalid_client_metadata'],
    ['an unsupported grant', { redirect_uris: ['https://rp.example/cb'], grant_types: ['password'] }, 'invalid_client_metadata'],
    ['grant and response types that disagree', { redirect_uris: ['https://rp.example/cb'], grant_types: ['authorization_code'], response_types: ['token'] }, 'invalid_client_metadata'],
    ['client_credentials for a public client', { redirect_uris: ['http://127.0.0.1/cb'], grant_types: ['authorization_code', 'client_credentials'], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
    ['an id_token algorithm Gatehouse does not sign with', { redirect_uris: ['https://rp.example/cb'], id_token_signed_response_alg: 'none' }, 'invalid_client_metadata'],
    ['a software statement', { redirect_uris: ['https://rp.example/cb'], software_statement: 'eyJ.eyJ.sig' }, 'invalid_software_statement'],
    ['an array instead of an object', [{ redirect_uris: ['https://rp.example/cb'] }], 'invalid_client_metadata'],
    ['a body that is not JSON', '{"redirect_uris": [', 'invalid_client_metadata'],
  ];
  for (const [what, body, error] of cases) {
    test(`refuses ${what} with ${error}`, async () => {
      const res = await post(open, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toBe(error);
      expect(typeof res.body.error_description).toBe('string');
    });
  }

  test('nothing is created by a refused registration', async () => {
    const before = (await open.ctx.storage.listApps()).length;
    await post(open, { redirect_uris: ['http://rp.example/cb'] });
    expect((await open.ctx.storage.listApps()).length).toBe(before);
  });

  test('a form body is refused', async () => {
    const res = await fetch(`${open.url}/register`, { method: 'POST', body: new URLSearchParams({ redirect_uris: 'https://rp.example/cb' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Record<string, string>).error).toBe('invalid_client_metadata');
  });
});

describe('managing a registration (RFC 7592)', () => {
  test('read, replace and delete with its registration access token', async () => {
    const made = await post(open, { redirect_uris: ['https://rp.example/cb'], client_name: 'Mine', scope: 'openid email' });
    const uri = made.body.registration_client_uri as string;
    const bearer = { authorization: `Bearer ${made.body.registration_access_token as string}` };
    const read = await fetch(uri, { headers: bearer });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: made.body.client_id, client_name: 'Mine', client_secret: made.body.client_secret, scope: 'openid email' });

    const put = await fetch(uri, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ client_id: made.body.client_id, client_secret: made.body.client_secret, redirect_uris: ['https://rp.example/new'], client_name: 'Renamed' }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ client_name: 'Renamed', redirect_uris: ['https://rp.example/new'], scope: 'openid profile email' });
    // A replacement is checked like a registration.
    const bad = await fetch(uri, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ client_id: made.body.client_id, redirect_uris: ['http://rp.example/cb'] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Record<string, string>).error).toBe('invalid_redirect_uri');
    const otherId = await fetch(uri, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'f'.repeat(32), redirect_uris: ['https://rp.example/cb'] }) });
    expect(otherId.status).toBe(400);

    const del = await fetch(uri, { method: 'DELETE', headers: bearer });
    expect(del.status).toBe(204);
    expect(await open.ctx.storage.findApp(made.body.client_id as never)).toBeNull();
    expect((await fetch(uri, { headers: bearer })).status).toBe(401);
  });

  test('another client\'s registration access token, a wrong one, none, or a developer\'s app: 401 invalid_token', async () => {
    const a = await post(open, { redirect_uris: ['https://a.example/cb'] });
    const b = await post(open, { redirect_uris: ['https://b.example/cb'] });
    const uriA = a.body.registration_client_uri as string;
    for (const headers of [{ authorization: `Bearer ${b.body.registration_access_token as string}` }, { authorization: 'Bearer gate_rat_wrong' }, {}] as Array<Record<string, string>>) {
      for (const method of ['GET', 'DELETE']) {
        const res = await fetch(uriA, { method, headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      const put = await fetch(uriA, { method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ client_id: a.body.client_id, redirect_uris: ['https://evil.example/cb'] }) });
      expect(put.status).toBe(401);
    }
    expect((await open.ctx.storage.findApp(a.body.client_id as never))!.redirectUris).toEqual(['https://a.example/cb']);
    const developers = await open.createApp();
    expect((await fetch(`${open.url}/register/${developers.clientId}`, { headers: { authorization: `Bearer ${b.body.registration_access_token as string}` } })).status).toBe(401);
  });

  test('an app an operator blocked cannot change its registration, and cannot get tokens', async () => {
    const made = await post(open, { redirect_uris: ['https://blocked.example/cb'], grant_types: ['authorization_code', 'client_credentials'] });
    await open.ctx.apps.block(made.body.client_id as never, 'operator');
    const put = await fetch(made.body.registration_client_uri as string, {
      method: 'PUT', headers: { authorization: `Bearer ${made.body.registration_access_token as string}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: made.body.client_id, redirect_uris: ['https://blocked.example/cb'] }),
    });
    expect(put.status).toBe(403);
    expect((await open.ctx.storage.findApp(made.body.client_id as never))!.status).toBe('blocked');
    const token = await fetch(`${open.url}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: made.body.client_id as string, client_secret: made.body.client_secret as string }) });
    expect(((await token.json()) as Record<string, string>).error).toBe('unauthorized_client');
  });
});

describe('who may register', () => {
  test('off (the default): no endpoint, nothing in discovery', async () => {
    const off = await startGatehouse();
    try {
      expect((await discovery(off)).registration_endpoint).toBeUndefined();
      const res = await post(off, { redirect_uris: ['https://rp.example/cb'] });
      expect(res.status).toBe(404);
    } finally {
      await off.close();
    }
  });

  test('token: only with an unexpired, unused initial access token from the operator', async () => {
    const clock = testClock();
    const gated = await startGatehouse({ config: { registration: 'token' }, clock });
    try {
      const metadata = { redirect_uris: ['https://rp.example/cb'] };
      const none = await post(gated, metadata);
      expect(none.status).toBe(401);
      expect(none.body.error).toBe('invalid_token');
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
      expect((await post(gated, metadata, { authorization: 'Bearer gate_iat_guess' })).status).toBe(401);

      const { token } = await gated.ctx.registrations.issueInitialAccessToken({ ttlSeconds: 3600, maxUses: 1, label: 'partner' });
      const ok = await post(gated, metadata, { authorization: `Bearer ${token}` });
      expect(ok.status, JSON.stringify(ok.body)).toBe(201);
      // Used up.
      expect((await post(gated, metadata, { authorization: `Bearer ${token}` })).status).toBe(401);

      const later = (await gated.ctx.registrations.issueInitialAccessToken({ ttlSeconds: 60, maxUses: 5, label: 'short' })).token;
      clock.advance(61_000);
      const expired = await post(gated, metadata, { authorization: `Bearer ${later}` });
      expect(expired.status).toBe(401);
      expect(expired.body.error).toBe('invalid_token');
      // Only the hash is stored.
      const stored = await gated.ctx.storage.clients.listInitialAccessTokens(0);
      expect(JSON.stringify(stored)).not.toContain(token);
    } finally {
      await gated.close();
    }
  });

  test('registrations are limited per address, in the database', async () => {
    const limited = await startGatehouse({ config: { registration: 'open', limits: { registrationPerAddress: { max: 3, windowMs: 3_600_000 } } } });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await post(limited, { redirect_uris: ['https://rp.example/cb'] })).status);
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
