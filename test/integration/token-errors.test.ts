/**
 * Bad input over real HTTP (docs/protocol.md §3, §4, §6, §6.1): every mistake a client can
 * make gets its exact OAuth error code and status, and never a 5xx.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const OTHER_REDIRECT = 'http://127.0.0.1:9999/other';

let gh: TestGatehouse;
let user: HttpUser;
/** A confidential app with two redirect URIs, so redirect_uri must be sent. */
let app: { clientId: string; clientSecret: string };
/** A public (desktop) app: no secret, PKCE required. */
let publicApp: { clientId: string };

beforeAll(async () => {
  gh = await startGatehouse();
  const u = await gh.createUser('tess');
  user = new HttpUser(gh, u.login, u.password);
  const created = await gh.createApp({ redirectUris: [REDIRECT, OTHER_REDIRECT] });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
  publicApp = { clientId: (await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT] })).clientId };
  // Sign in and consent once; later authorizations go straight to the redirect.
  await user.code({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT });
});
afterAll(async () => { await gh?.close(); });

const token = (body: Record<string, string> | string, headers: Record<string, string> = {}) => postForm(gh.url + '/token', body, headers);
const basic = () => ({ authorization: basicAuth(app.clientId, app.clientSecret) });

/** Asserts an RFC 6749 §5.2 error: the status, the code, a description, JSON, not cached. */
async function expectError(res: Response, status: number, error: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body.error, text).toBe(error);
  expect(typeof body.error_description).toBe('string');
  expect(res.headers.get('cache-control')).toBe('no-store');
  return body;
}

/** A fresh code for the confidential app, sent with redirect_uri and optional extra parameters. */
function newCode(extra: Record<string, string> = {}): Promise<string> {
  return user.code({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 's', ...extra });
}

async function exchange(code: string, extra: Record<string, string> = {}): Promise<Response> {
  return token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...extra }, basic());
}

function info(accessToken: string): Promise<Response> {
  return fetch(gh.url + '/info', { headers: { authorization: `OAuth ${accessToken}` } });
}

async function issuedTokens(): Promise<{ access_token: string; refresh_token: string }> {
  const res = await exchange(await newCode());
  expect(res.status).toBe(200);
  return (await res.json()) as { access_token: string; refresh_token: string };
}

describe('client authentication at /token (RFC 6749 §2.3.1, docs/protocol.md §4)', () => {
  test('answers a wrong secret in the Authorization header with 401 invalid_client and WWW-Authenticate', async () => {
    const res = await token({ grant_type: 'client_credentials' }, { authorization: basicAuth(app.clientId, 'f'.repeat(64)) });
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    await expectError(res, 401, 'invalid_client');
  });

  test('answers a wrong secret in the body with 400 invalid_client, as Yandex does', async () => {
    const res = await token({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: 'f'.repeat(64) });
    expect(res.headers.get('www-authenticate')).toBeNull();
    await expectError(res, 400, 'invalid_client');
  });

  test('answers a missing secret for a confidential app with invalid_client', async () => {
    await expectError(await token({ grant_type: 'client_credentials', client_id: app.clientId }), 400, 'invalid_client');
  });

  test('answers an unknown client with invalid_client (401 for Basic, 400 in the body)', async () => {
    const unknown = '0'.repeat(32);
    await expectError(await token({ grant_type: 'client_credentials' }, { authorization: basicAuth(unknown, 'x') }), 401, 'invalid_client');
    await expectError(await token({ grant_type: 'client_credentials', client_id: unknown, client_secret: 'x' }), 400, 'invalid_client');
    await expectError(await token({ grant_type: 'client_credentials', client_id: 'not-a-client-id', client_secret: 'x' }), 400, 'invalid_client');
  });

  test('answers a malformed Basic header with 401 invalid_client', async () => {
    const res = await token({ grant_type: 'client_credentials' }, { authorization: 'Basic %%%not-base64' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    await expectError(res, 401, 'invalid_client');
  });

  test('ignores body credentials when Basic credentials are present (docs/protocol.md §4)', async () => {
    const res = await token({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: 'wrong' }, basic());
    expect(res.status, await res.clone().text()).toBe(200);
  });
});

describe('/authorize errors about the client or redirect URI: a page, never a redirect (RFC 6749 §4.1.2.1)', () => {
  async function expectErrorPage(query: Record<string, string>, code: string): Promise<void> {
    const res = await fetch(`${gh.url}/authorize?${new URLSearchParams(query).toString()}`, { redirect: 'manual' });
    const page = await res.text();
    expect(res.status, page).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page).toContain(`<code>${code}</code>`);
  }

  test('shows an error page for an unknown client_id', async () => {
    await expectErrorPage({ response_type: 'code', client_id: 'a'.repeat(32), redirect_uri: REDIRECT, state: 's' }, 'invalid_client');
  });

  test('shows an error page for a missing client_id', async () => {
    await expectErrorPage({ response_type: 'code', redirect_uri: REDIRECT }, 'invalid_request');
  });

  test('shows an error page for a redirect_uri that is not registered, compared exactly (RFC 9700 §4.1.3)', async () => {
    for (const uri of ['https://evil.example/callback', `${REDIRECT}/more`, `${REDIRECT}?x=1`, 'http://localhost:9999/callback']) {
      await expectErrorPage({ response_type: 'code', client_id: app.clientId, redirect_uri: uri, state: 's' }, 'invalid_request');
    }
  });

  test('shows an error page when redirect_uri is omitted and the app has several', async () => {
    await expectErrorPage({ response_type: 'code', client_id: app.clientId, state: 's' }, 'invalid_request');
  });

  test('shows an error page for duplicated parameters (RFC 6749 §3.1)', async () => {
    const res = await fetch(`${gh.url}/authorize?response_type=code&client_id=${app.clientId}&redirect_uri=${encodeURIComponent(REDIRECT)}&redirect_uri=${encodeURIComponent(OTHER_REDIRECT)}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('<code>invalid_request</code>');
  });
});

describe('the consent decision (docs/protocol.md §12: CSRF protection on every form)', () => {
  test('refuses an Allow posted without the CSRF token, and issues no code', async () => {
    const res = await postForm(gh.url + '/authorize', {
      response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 's', decision: 'allow',
    }, { cookie: user.jar.header() });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('<code>invalid_request</code>');
  });

  test('refuses an Allow posted from another origin, even with the token', async () => {
    const res = await postForm(gh.url + '/authorize', {
      response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 's', decision: 'allow', csrf: user.jar.get('gatehouse_csrf')!,
    }, { cookie: user.jar.header(), origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
  });
});

describe('/authorize errors sent back to the app with state and iss (docs/protocol.md §3, RFC 9207)', () => {
  async function expectRedirectedError(query: Record<string, string>, error: string): Promise<void> {
    const res = await fetch(`${gh.url}/authorize?${new URLSearchParams(query).toString()}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.get('error_description')).toBeTruthy();
    expect(location.searchParams.get('state')).toBe('st4te');
    expect(location.searchParams.get('iss')).toBe(gh.url);
    expect(location.searchParams.has('code')).toBe(false);
  }

  test('answers a scope the app may not ask for with invalid_scope', async () => {
    await expectRedirectedError({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, scope: 'login:info login:birthday', state: 'st4te' }, 'invalid_scope');
  });

  test('answers an unknown response_type with unsupported_response_type', async () => {
    await expectRedirectedError({ response_type: 'magic', client_id: app.clientId, redirect_uri: REDIRECT, state: 'st4te' }, 'unsupported_response_type');
  });

  test('answers a blocked app with unauthorized_client', async () => {
    const blocked = await gh.createApp({ status: 'blocked', redirectUris: [REDIRECT] });
    await expectRedirectedError({ response_type: 'code', client_id: blocked.clientId, state: 'st4te' }, 'unauthorized_client');
  });

  test('answers a public client without PKCE with invalid_request', async () => {
    await expectRedirectedError({ response_type: 'code', client_id: publicApp.clientId, state: 'st4te' }, 'invalid_request');
  });
});

describe('authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6)', () => {
  test('rejects a wrong PKCE verifier with invalid_grant', async () => {
    const pkce = pkcePair();
    const code = await newCode({ code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    await expectError(await exchange(code, { code_verifier: pkcePair().verifier }), 400, 'invalid_grant');
  });

  test('rejects a missing verifier when a challenge was sent with invalid_grant', async () => {
    const code = await newCode({ code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
    await expectError(await exchange(code), 400, 'invalid_grant');
  });

  test('rejects a verifier sent without a challenge, a PKCE downgrade (RFC 9700 §2.1.1)', async () => {
    const code = await newCode();
    await expectError(await exchange(code, { code_verifier: pkcePair().verifier }), 400, 'invalid_grant');
  });

  test('rejects a redirect_uri that differs from the one sent to /authorize with invalid_grant (RFC 6749 §4.1.3)', async () => {
    await expectError(await exchange(await newCode(), { redirect_uri: OTHER_REDIRECT }), 400, 'invalid_grant');
    await expectError(await exchange(await newCode(), { redirect_uri: REDIRECT + '/' }), 400, 'invalid_grant');
  });

  test('exchanges a code without redirect_uri, as Yandex ID\'s token request has none', async () => {
    const res = await token({ grant_type: 'authorization_code', code: await newCode() }, basic());
    expect(res.status, await res.clone().text()).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect((await info(access_token)).status).toBe(200);
  });

  test('rejects an unknown code and a missing code', async () => {
    await expectError(await exchange('not-a-code'), 400, 'invalid_grant');
    await expectError(await token({ grant_type: 'authorization_code', redirect_uri: REDIRECT }, basic()), 400, 'invalid_request');
  });

  test('rejects a code issued to another client', async () => {
    const other = await gh.createApp({ redirectUris: [REDIRECT] });
    const code = await newCode();
    const res = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { authorization: basicAuth(other.clientId, other.clientSecret!) });
    await expectError(res, 400, 'invalid_grant');
  });

  test('rejects a code used twice and revokes its tokens (RFC 9700 §4.5)', async () => {
    const code = await newCode();
    const first = await exchange(code);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as { access_token: string; refresh_token: string };
    expect((await info(tokens.access_token)).status).toBe(200);

    await expectError(await exchange(code), 400, 'invalid_grant');
    await expectError(await info(tokens.access_token), 401, 'invalid_token');
    await expectError(await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic()), 400, 'invalid_grant');
  });

  test('a public client must send client_id and the verifier, no secret', async () => {
    const pkce = pkcePair();
    const code = await user.code({ response_type: 'code', client_id: publicApp.clientId, code_challenge: pkce.challenge });
    await expectError(await token({ grant_type: 'authorization_code', code, client_id: publicApp.clientId, client_secret: 'x', code_verifier: pkce.verifier }), 400, 'invalid_client');
    const res = await token({ grant_type: 'authorization_code', code, client_id: publicApp.clientId, code_verifier: pkce.verifier });
    expect(res.status, await res.clone().text()).toBe(200);
  });
});

describe('codes expire after 10 minutes (docs/protocol.md §3)', () => {
  let timed: TestGatehouse;
  const clock = testClock();
  beforeAll(async () => { timed = await startGatehouse({ clock }); });
  afterAll(async () => { await timed?.close(); });

  test('accepts a code just before 10 minutes and rejects one just after with invalid_grant', async () => {
    const u = await timed.createUser('tim');
    const { clientId, clientSecret } = await timed.createApp();
    const browser = new HttpUser(timed, u.login, u.password);
    const fresh = await browser.code({ response_type: 'code', client_id: clientId });
    const stale = await browser.code({ response_type: 'code', client_id: clientId });
    const exchangeAt = (code: string) =>
      postForm(timed.url + '/token', { grant_type: 'authorization_code', code }, { authorization: basicAuth(clientId, clientSecret!) });

    clock.advance(10 * 60 * 1000 - 1000);
    const ok = await exchangeAt(fresh);
    expect(ok.status, await ok.clone().text()).toBe(200);
    clock.advance(2000);
    await expectError(await exchangeAt(stale), 400, 'invalid_grant');
  });
});

describe('request format (RFC 6749 §3.2, §5.2)', () => {
  test('rejects an unknown grant type with unsupported_grant_type', async () => {
    await expectError(await token({ grant_type: 'password', username: 'tess', password: 'x' }, basic()), 400, 'unsupported_grant_type');
  });

  test('rejects a missing grant_type with invalid_request', async () => {
    await expectError(await token({ code: 'x' }, basic()), 400, 'invalid_request');
  });

  test('rejects duplicated parameters with invalid_request (RFC 6749 §3.1)', async () => {
    await expectError(await token('grant_type=client_credentials&grant_type=client_credentials', basic()), 400, 'invalid_request');
    const code = await newCode();
    const body = `grant_type=authorization_code&code=${code}&code=${code}&redirect_uri=${encodeURIComponent(REDIRECT)}`;
    await expectError(await token(body, basic()), 400, 'invalid_request');
  });

  test('refuses a JSON body with 415', async () => {
    const res = await fetch(gh.url + '/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basic() },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    await expectError(res, 415, 'invalid_request');
  });

  test('refuses a body of another or no content type with 415', async () => {
    const octets = await fetch(gh.url + '/token', { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...basic() }, body: randomBytes(512) });
    await expectError(octets, 415, 'invalid_request');
  });

  test('answers binary garbage sent as a form with invalid_request', async () => {
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131 + 7) % 256));
    const res = await fetch(gh.url + '/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic() }, body: garbage });
    await expectError(res, 400, 'invalid_request');
  });

  test('refuses a 1 MB body with 413', async () => {
    const big = `grant_type=client_credentials&padding=${'a'.repeat(1024 * 1024)}`;
    await expectError(await token(big, basic()), 413, 'invalid_request');
  });

  test('answers an empty body with invalid_request', async () => {
    await expectError(await token('', basic()), 400, 'invalid_request');
    const none = await fetch(gh.url + '/token', { method: 'POST', headers: basic() });
    await expectError(none, 400, 'invalid_request');
  });
});

describe('login info API errors (docs/protocol.md §6)', () => {
  test('answers a missing token with 401 JSON and WWW-Authenticate', async () => {
    const res = await fetch(gh.url + '/info');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    await expectError(res, 401, 'invalid_token');
  });

  test('answers an unknown token with 401 JSON', async () => {
    await expectError(await info('gate_at_' + 'x'.repeat(43)), 401, 'invalid_token');
    await expectError(await fetch(`${gh.url}/info?oauth_token=nonsense`), 401, 'invalid_token');
  });

  test('answers a revoked token with 401 JSON', async () => {
    const tokens = await issuedTokens();
    const res = await postForm(gh.url + '/revoke_token', { access_token: tokens.access_token }, basic());
    expect(res.status).toBe(200);
    await expectError(await info(tokens.access_token), 401, 'invalid_token');
  });
});

describe('revocation (docs/protocol.md §6.1, RFC 7009)', () => {
  test('/revoke_token answers {"status":"ok"} and the token stops working, with its refresh token', async () => {
    const tokens = await issuedTokens();
    const res = await postForm(gh.url + '/revoke_token', { access_token: tokens.access_token }, basic());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    await expectError(await info(tokens.access_token), 401, 'invalid_token');
    await expectError(await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic()), 400, 'invalid_grant');

    const again = await postForm(gh.url + '/revoke_token', { access_token: tokens.access_token }, basic());
    expect(await again.json()).toEqual({ status: 'ok' });
  });

  test('/revoke_token with client credentials in the body works too', async () => {
    const tokens = await issuedTokens();
    const res = await postForm(gh.url + '/revoke_token', { access_token: tokens.access_token, client_id: app.clientId, client_secret: app.clientSecret });
    expect(await res.json()).toEqual({ status: 'ok' });
    expect((await info(tokens.access_token)).status).toBe(401);
  });

  test("/revoke_token answers another app's token as an unknown one and leaves it working (RFC 7009 §2.2)", async () => {
    const tokens = await issuedTokens();
    const other = await gh.createApp();
    const res = await postForm(gh.url + '/revoke_token', { access_token: tokens.access_token }, { authorization: basicAuth(other.clientId, other.clientSecret!) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect((await info(tokens.access_token)).status).toBe(200);
  });

  test('/revoke_token refuses a wrong client secret with invalid_client', async () => {
    const res = await postForm(gh.url + '/revoke_token', { access_token: 'x' }, { authorization: basicAuth(app.clientId, 'wrong') });
    await expectError(res, 401, 'invalid_client');
  });

  test('/revoke answers 200 and the token stops working (RFC 7009 §2.2)', async () => {
    const tokens = await issuedTokens();
    const res = await postForm(gh.url + '/revoke', { token: tokens.refresh_token, token_type_hint: 'refresh_token' }, basic());
    expect(res.status).toBe(200);
    await expectError(await info(tokens.access_token), 401, 'invalid_token');
  });

  test('/revoke answers 200 for an unknown token (RFC 7009 §2.2)', async () => {
    const res = await postForm(gh.url + '/revoke', { token: 'gate_at_unknown' }, basic());
    expect(res.status).toBe(200);
  });
});

describe('client_credentials grant (RFC 6749 §4.4)', () => {
  test('issues an app token to a confidential app, without a refresh token', async () => {
    const res = await token({ grant_type: 'client_credentials' }, basic());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'bearer', scope: 'login:info login:email' });
    expect(body.access_token).toMatch(/^gate_at_/);
    expect(body.refresh_token).toBeUndefined();
  });

  test('refuses a scope the app may not ask for with invalid_scope', async () => {
    await expectError(await token({ grant_type: 'client_credentials', scope: 'login:birthday' }, basic()), 400, 'invalid_scope');
  });

  test('refuses a public app with unauthorized_client', async () => {
    await expectError(await token({ grant_type: 'client_credentials', client_id: publicApp.clientId }), 400, 'unauthorized_client');
  });
});
