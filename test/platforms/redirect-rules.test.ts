/**
 * Platform rules at /authorize and /token over real HTTP (docs/protocol.md §9): mobile
 * apps' derived custom-scheme redirect URIs, any loopback port for desktop
 * apps only (RFC 8252 §7.3), PKCE on native redirects, TV apps refused, and
 * an app with web and native platforms staying confidential.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser, pkcePair, postForm } from '../helpers/http-client.js';

let gh: TestGatehouse;
let user: HttpUser;

beforeAll(async () => {
  gh = await startGatehouse();
  const alice = await gh.createUser('alice');
  user = new HttpUser(gh, alice.login, alice.password);
  await user.signIn();
});
afterAll(async () => {
  await gh?.close();
});

/** GET /authorize as the signed-in user; the status and where it redirects (null when it does not). */
async function authorizeAnswer(params: Record<string, string>): Promise<{ status: number; location: string | null; page: string }> {
  const res = await user.get(`/authorize?${new URLSearchParams(params).toString()}`);
  return { status: res.status, location: res.headers.get('location'), page: await res.text() };
}

describe('mobile apps (ios, android)', () => {
  let clientId: string;
  beforeAll(async () => {
    ({ clientId } = await gh.createApp({
      name: 'Phone app',
      platforms: [{ type: 'ios', appId: 'ABCDE12345.org.example.notes' }, { type: 'android', packageName: 'org.example.notes' }],
      redirectUris: [],
    }));
  });

  test.each(['gh', 'yx'])('accept the derived %s<client_id>:///auth/finish URIs of each platform and exchange the code without a secret', async (prefix) => {
    for (const platform of ['ios', 'android']) {
      const redirectUri = `${prefix}${clientId}:///auth/finish?platform=${platform}`;
      const pkce = pkcePair();
      const code = await user.code({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state: 's1', code_challenge: pkce.challenge });
      const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, client_id: clientId, redirect_uri: redirectUri, code_verifier: pkce.verifier });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toMatchObject({ access_token: expect.stringMatching(/^gate_at_/), refresh_token: expect.stringMatching(/^gate_rt_/) });
    }
  });

  test('the redirect goes to the custom scheme with code, state and iss', async () => {
    const { location } = await user.authorize({
      response_type: 'code', client_id: clientId, redirect_uri: `gh${clientId}:///auth/finish?platform=ios`, state: 'xyz', code_challenge: pkcePair().challenge,
    });
    expect(location.protocol).toBe(`gh${clientId}:`);
    expect(location.pathname).toBe('/auth/finish');
    expect(location.searchParams.get('platform')).toBe('ios');
    expect(location.searchParams.get('state')).toBe('xyz');
    expect(location.searchParams.get('iss')).toBe(gh.url);
    expect(location.searchParams.get('code')).toBeTruthy();
  });

  test('require PKCE on the derived URIs (RFC 8252 §8.1): the error goes back to the app', async () => {
    const redirectUri = `yx${clientId}:///auth/finish?platform=android`;
    const answer = await authorizeAnswer({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state: 'nopkce' });
    expect(answer.status).toBe(302);
    const location = new URL(answer.location!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/code_challenge is required/);
  });

  test('answer Yandex\'s Android SDK, which asks for a token on its yx URI, in the fragment', async () => {
    const redirectUri = `yx${clientId}:///auth/finish?platform=android`;
    const { location } = await user.authorize({
      response_type: 'token', client_id: clientId, redirect_uri: redirectUri, state: 'ya', force_confirm: 'true', origin: 'yandex_auth_sdk_android',
    });
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(location.href.startsWith(redirectUri + '#')).toBe(true);
    expect(fragment.get('access_token')).toMatch(/^gate_at_/);
    expect(fragment.get('state')).toBe('ya');
  });

  test('refuse another app\'s scheme, a platform the app lacks and a changed path on the error page, without redirecting', async () => {
    const webOnly = await gh.createApp({ name: 'Site only' });
    const iosOnly = await gh.createApp({ name: 'iPhone only', platforms: ['ios'], redirectUris: [] });
    for (const [id, uri] of [
      [webOnly.clientId, `gh${webOnly.clientId}:///auth/finish?platform=ios`],
      [clientId, `gh${webOnly.clientId}:///auth/finish?platform=ios`],
      [iosOnly.clientId, `gh${iosOnly.clientId}:///auth/finish?platform=android`],
      [clientId, `gh${clientId}:///auth/finish/?platform=ios`],
      [clientId, `gh${clientId}://auth/finish?platform=ios`],
    ] as const) {
      const answer = await authorizeAnswer({ response_type: 'code', client_id: id, redirect_uri: uri, code_challenge: pkcePair().challenge });
      expect(answer.status, uri).toBe(400);
      expect(answer.location).toBeNull();
      expect(answer.page).toContain('redirect_uri is not registered for this app');
    }
  });
});

describe('desktop apps: loopback redirects on any port (RFC 8252 §7.3)', () => {
  let clientId: string;
  beforeAll(async () => {
    ({ clientId } = await gh.createApp({ name: 'Desktop', platforms: ['desktop'], redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8000/cb?x=1'] }));
  });

  test.each([
    'http://127.0.0.1:54321/callback',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:1/callback',
    'http://[::1]:9/cb?x=1',
    'http://[::1]/cb?x=1',
    'http://127.0.0.1:40000/',
    'http://[::1]:40001/',
  ])('accept %s', async (redirectUri) => {
    const answer = await authorizeAnswer({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state: 'p', code_challenge: pkcePair().challenge });
    expect(answer.status, answer.page.slice(0, 300)).toBe(200); // the consent page: the request was accepted
    expect(answer.page).toContain('name="decision"');
  });

  test('a code for one port is exchanged with exactly that redirect URI', async () => {
    const pkce = pkcePair();
    const redirectUri = 'http://127.0.0.1:50123/callback';
    const code = await user.code({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: pkce.challenge });
    const other = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, client_id: clientId, redirect_uri: 'http://127.0.0.1:50124/callback', code_verifier: pkce.verifier });
    expect(await other.json()).toMatchObject({ error: 'invalid_grant' });
    const code2 = await user.code({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: pkce.challenge });
    const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code: code2, client_id: clientId, redirect_uri: redirectUri, code_verifier: pkce.verifier });
    expect(res.status).toBe(200);
  });

  test.each([
    ['another path', 'http://127.0.0.1:5000/callback2'],
    ['another query', 'http://[::1]:5000/cb?x=2'],
    ['a trailing slash', 'http://127.0.0.1:5000/callback/'],
    ['localhost (RFC 8252 §8.3)', 'http://localhost:5000/callback'],
    ['https on loopback', 'https://127.0.0.1:5000/callback'],
    ['a port out of range', 'http://127.0.0.1:70000/callback'],
    ['another loopback address', 'http://127.0.0.2:5000/callback'],
  ])('refuse %s', async (_name, redirectUri) => {
    const answer = await authorizeAnswer({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: pkcePair().challenge });
    expect(answer.status).toBe(400);
    expect(answer.location).toBeNull();
  });

  test('require PKCE', async () => {
    const answer = await authorizeAnswer({ response_type: 'code', client_id: clientId, redirect_uri: 'http://127.0.0.1:5000/callback', state: 'q' });
    expect(new URL(answer.location!).searchParams.get('error')).toBe('invalid_request');
  });
});

describe('implicit response types and loopback URIs on any port (RFC 8252 §7.3, RFC 9700 §2.1.2)', () => {
  let clientId: string;
  const REGISTERED = 'http://127.0.0.1:8765/implicit';
  beforeAll(async () => {
    ({ clientId } = await gh.createApp({
      name: 'Site with a desktop app', platforms: ['web', 'desktop'],
      redirectUris: ['https://site.example/callback', REGISTERED], scopes: ['login:info', 'openid'],
    }));
  });
  const randomPort = () => 20000 + Math.floor(Math.random() * 40000);

  test.each(['token', 'id_token', 'id_token token'])('refuse response_type=%s to http://127.0.0.1:<random port>/ and hand out no token', async (responseType) => {
    for (const redirectUri of [`http://127.0.0.1:${randomPort()}/`, `http://[::1]:${randomPort()}/`, `http://127.0.0.1:${randomPort()}/implicit`]) {
      const { location } = await user.authorize({ response_type: responseType, client_id: clientId, redirect_uri: redirectUri, scope: 'login:info openid', nonce: 'n-1', state: 'imp' });
      const fragment = new URLSearchParams(location.hash.slice(1));
      expect(location.href.startsWith(redirectUri), location.href).toBe(true);
      expect(fragment.get('error'), location.href).toBe('unauthorized_client');
      expect(fragment.get('state')).toBe('imp');
      expect(fragment.has('access_token')).toBe(false);
      expect(fragment.has('id_token')).toBe(false);
      expect(location.search).toBe('');
    }
  });

  test('still give a code with PKCE on any port, and a token at a loopback URI registered exactly', async () => {
    const port = randomPort();
    const code = await user.code({ response_type: 'code', client_id: clientId, redirect_uri: `http://127.0.0.1:${port}/`, code_challenge: pkcePair().challenge });
    expect(code).toBeTruthy();
    const { location } = await user.authorize({ response_type: 'token', client_id: clientId, redirect_uri: REGISTERED, state: 'ok' });
    expect(new URLSearchParams(location.hash.slice(1)).get('access_token')).toMatch(/^gate_at_/);
  });
});

describe('web apps', () => {
  test('match a loopback redirect URI exactly, port included', async () => {
    const { clientId } = await gh.createApp({ name: 'Local site', redirectUris: ['http://127.0.0.1:9999/callback'] });
    const same = await authorizeAnswer({ response_type: 'code', client_id: clientId, redirect_uri: 'http://127.0.0.1:9999/callback' });
    expect(same.status).toBe(200);
    for (const uri of ['http://127.0.0.1:9998/callback', 'http://127.0.0.1/callback', 'http://127.0.0.1:40000/']) {
      const answer = await authorizeAnswer({ response_type: 'code', client_id: clientId, redirect_uri: uri, code_challenge: pkcePair().challenge });
      expect(answer.status, uri).toBe(400);
      expect(answer.location).toBeNull();
    }
  });

  test('with a native platform too, stay confidential: the secret is required for a code delivered to the app\'s scheme', async () => {
    const { clientId, clientSecret } = await gh.createApp({ name: 'Site and app', platforms: ['web', 'android'], redirectUris: ['https://notes.example/callback'] });
    expect(clientSecret).toMatch(/^[0-9a-f]{64}$/);
    const redirectUri = `gh${clientId}:///auth/finish?platform=android`;
    const pkce = pkcePair();
    const code = await user.code({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: pkce.challenge });
    const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pkce.verifier };
    const withoutSecret = await postForm(`${gh.url}/token`, { ...form, client_id: clientId });
    expect(withoutSecret.status).toBe(400);
    expect(await withoutSecret.json()).toMatchObject({ error: 'invalid_client' });
    // The app's backend exchanges the code the app handed it, with the secret.
    const code2 = await user.code({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: pkce.challenge });
    const backend = await postForm(`${gh.url}/token`, { ...form, code: code2, client_id: clientId, client_secret: clientSecret! });
    expect(backend.status).toBe(200);
  });
});

describe('TV apps', () => {
  test('are refused at /authorize with unauthorized_client on Gatehouse\'s page, whatever the parameters', async () => {
    const { clientId } = await gh.createApp({ name: 'Living room TV', platforms: ['tv'], redirectUris: ['https://tv.example/cb'] });
    for (const params of [
      { response_type: 'code', client_id: clientId, code_challenge: pkcePair().challenge },
      { response_type: 'code', client_id: clientId, redirect_uri: 'https://tv.example/cb', state: 's' },
      { response_type: 'token', client_id: clientId, redirect_uri: `${gh.url}/verification_code` },
    ]) {
      const answer = await authorizeAnswer(params);
      expect(answer.status).toBe(400);
      expect(answer.location).toBeNull();
      expect(answer.page).toContain('unauthorized_client');
      expect(answer.page).toContain('device flow');
    }
  });

  test('still sign in with the device flow', async () => {
    const { clientId } = await gh.createApp({ name: 'Kitchen TV', platforms: ['tv'], redirectUris: [] });
    const res = await postForm(`${gh.url}/device/code`, { client_id: clientId });
    expect(res.status).toBe(200);
  });
});

describe('CORS for single-page apps', () => {
  test('the token, revocation, device and info endpoints answer any origin, with a preflight for Authorization', async () => {
    for (const path of ['/token', '/revoke', '/device/code', '/info']) {
      const res = await postForm(gh.url + path, {}, { origin: 'https://spa.example' });
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
    }
    const preflight = await fetch(`${gh.url}/info`, {
      method: 'OPTIONS',
      headers: { origin: 'https://spa.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const authorize = await fetch(`${gh.url}/authorize`, { headers: { origin: 'https://spa.example' }, redirect: 'manual' });
    expect(authorize.headers.get('access-control-allow-origin')).toBeNull();
  });
});
