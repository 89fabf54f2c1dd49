/**
 * Browser apps (the `spa` platform, issue 19) at the protocol level: a public
 * client with https redirect URIs, PKCE S256 only, CORS answered for its own
 * origins only, rotating refresh tokens whose reuse revokes the family and
 * that live one day at most, and the `offline_access` scope accepted.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../src/errors.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser, postForm } from '../helpers/http-client.js';

const ORIGIN = 'https://notes.example';
const REDIRECT = `${ORIGIN}/callback`;
const clock = testClock();

let gh: TestGatehouse;
let user: HttpUser;
let clientId: string;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  const u = await gh.createUser('vera', 'correct horse battery', { firstName: 'Vera' });
  user = new HttpUser(gh, u.login, u.password);
  ({ clientId } = await gh.createApp({ platforms: ['spa'], redirectUris: [REDIRECT, 'http://localhost:5173/callback'], scopes: ['login:info', 'openid'] }));
});
afterAll(async () => { await gh?.close(); });

async function tokensFor(scope = 'login:info openid', origin = ORIGIN): Promise<{ res: Response; body: Record<string, string | number> }> {
  const verifier = oauth.generateRandomCodeVerifier();
  const code = await user.code({
    response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: verifier }, { origin });
  return { res, body: await res.json() as Record<string, string | number> };
}

describe('registering a browser app', () => {
  test('is a public client with no secret', async () => {
    const made = await gh.createApp({ platforms: ['spa'], redirectUris: [REDIRECT] });
    expect(made.clientSecret).toBeNull();
    expect(made.app.secretHash).toBeNull();
  });

  test.each([
    ['http on a public host', 'http://notes.example/callback'],
    ['a custom scheme', 'org.example.notes:/callback'],
  ])('refuses %s as a redirect URI', async (_name, uri) => {
    await expect(gh.createApp({ platforms: ['spa'], redirectUris: [uri] })).rejects.toBeInstanceOf(InputError);
  });

  test('allows http on localhost and loopback', async () => {
    const made = await gh.createApp({ platforms: ['spa'], redirectUris: ['http://localhost:3000/cb', 'http://127.0.0.1:3000/cb'] });
    expect(made.app.redirectUris).toHaveLength(2);
  });
});

describe('authorizing a browser app', () => {
  test('PKCE is required, and only S256', async () => {
    const base = { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'login:info', state: 's' };
    const none = await user.authorize(base);
    expect(none.location.searchParams.get('error')).toBe('invalid_request');
    const plain = await user.authorize({ ...base, code_challenge: oauth.generateRandomCodeVerifier(), code_challenge_method: 'plain' });
    expect(plain.location.searchParams.get('error')).toBe('invalid_request');
    expect(plain.location.searchParams.get('error_description')).toContain('S256');
  });

  test('offline_access is accepted: a refresh token comes back, as it does without it', async () => {
    const { body } = await tokensFor('openid offline_access login:info');
    expect(body.refresh_token).toMatch(/^gate_rt_/);
    expect(body.scope).toBe('openid login:info');
    const without = await tokensFor('openid login:info');
    expect(without.body.refresh_token).toMatch(/^gate_rt_/);
    // And at a refresh, where client libraries repeat the scope they asked for.
    const res = await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: String(body.refresh_token), client_id: clientId, scope: 'openid offline_access' });
    expect(res.status).toBe(200);
  });
});

describe('CORS for a browser app', () => {
  test('/token answers the app\'s origin, and no other', async () => {
    const { res } = await tokensFor();
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('vary')).toContain('Origin');
    const foreign = await tokensFor('login:info', 'https://evil.example');
    expect(foreign.res.status).toBe(200);
    expect(foreign.res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('/userinfo and /revoke too; an app of the Yandex era still gets *', async () => {
    const { body } = await tokensFor();
    const token = String(body.access_token);
    const mine = await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${token}`, origin: 'http://localhost:5173' } });
    expect(mine.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const theirs = await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' } });
    expect(theirs.headers.get('access-control-allow-origin')).toBeNull();
    const revoked = await postForm(`${gh.url}/revoke`, { token, client_id: clientId }, { origin: 'https://evil.example' });
    expect(revoked.headers.get('access-control-allow-origin')).toBeNull();
    const web = await gh.createApp();
    const webRes = await postForm(`${gh.url}/token`, { grant_type: 'client_credentials', client_id: web.clientId, client_secret: web.clientSecret! }, { origin: 'https://evil.example' });
    expect(webRes.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('a preflight allows the DPoP header', async () => {
    const res = await fetch(`${gh.url}/token`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'dpop' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toContain('DPoP');
  });
});

describe('refresh tokens of a browser app', () => {
  test('rotate; a reused one revokes the whole family', async () => {
    const { body } = await tokensFor();
    const refresh = (rt: string) => postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: rt, client_id: clientId });
    const first = await (await refresh(String(body.refresh_token))).json() as Record<string, string>;
    expect(first.refresh_token).not.toBe(body.refresh_token);
    const replay = await refresh(String(body.refresh_token));
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    // The thief's replay ended the legitimate holder's tokens too.
    expect(await (await refresh(first.refresh_token!)).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${first.access_token}` } })).status).toBe(401);
  });

  test('live one day at most, however often they rotate', async () => {
    const { body } = await tokensFor();
    let rt = String(body.refresh_token);
    for (let i = 0; i < 3; i++) {
      clock.advance(6 * 3600 * 1000);
      const next = await (await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: rt, client_id: clientId })).json() as Record<string, string>;
      rt = next.refresh_token!;
    }
    clock.advance(6 * 3600 * 1000 + 1000);
    const late = await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: rt, client_id: clientId });
    expect(await late.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
