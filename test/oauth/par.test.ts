/**
 * Pushed authorization requests (RFC 9126, issue 19), pushed by oauth4webapi
 * as an independent client; the user's part runs over plain fetch. Attacks:
 * reused, expired and foreign request_uris, parameters added beside one, and
 * an app that requires PAR sent a plain request.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, postForm } from '../helpers/http-client.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const OTHER_REDIRECT = 'http://127.0.0.1:9999/other';
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const clock = testClock();

let gh: TestGatehouse;
let as: oauth.AuthorizationServer;
let user: HttpUser;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  as = await oauth.processDiscoveryResponse(new URL(gh.url), await oauth.discoveryRequest(new URL(gh.url), { ...insecure, algorithm: 'oidc' }));
  const u = await gh.createUser('pasha', 'correct horse battery', { firstName: 'Pasha' });
  user = new HttpUser(gh, u.login, u.password);
  await user.signIn();
});
afterAll(async () => { await gh?.close(); });

async function push(client: oauth.Client, auth: oauth.ClientAuth, params: Record<string, string>) {
  const response = await oauth.pushedAuthorizationRequest(as, client, auth, new URLSearchParams({ redirect_uri: REDIRECT, response_type: 'code', scope: 'login:info', ...params }), insecure);
  return oauth.processPushedAuthorizationResponse(as, client, response);
}

/** Where /authorize sends a signed-in browser that already consented, or the status of its error page. */
async function authorizeOnce(params: Record<string, string>): Promise<{ status: number; location: string | null; body: string }> {
  const res = await user.get(`/authorize?${new URLSearchParams(params).toString()}`);
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

describe('PAR with oauth4webapi', () => {
  test('discovery names the endpoint and does not require it of every app', () => {
    expect(as.pushed_authorization_request_endpoint).toBe(`${gh.url}/par`);
    expect(as.require_pushed_authorization_requests).toBe(false);
  });

  test('a confidential app pushes, the user signs in and consents, the code is exchanged', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], requirePar: true });
    const client: oauth.Client = { client_id: clientId };
    const auth = oauth.ClientSecretBasic(clientSecret!);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const pushed = await push(client, auth, { state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    expect(pushed.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    expect(pushed.expires_in).toBe(60);
    // Sign-in and consent in between: the request travels as fresh request_uris, never as parameters.
    const { location, consentShown } = await user.authorize({ client_id: clientId, request_uri: pushed.request_uri });
    expect(consentShown).toBe(true);
    const params = oauth.validateAuthResponse(as, client, location, state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT, verifier, insecure));
    expect(tokens.scope).toBe('login:info');
  });

  test('signing in on the way keeps the request pushed: the login page returns to a fresh request_uri, not to parameters', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], requirePar: true });
    const pushed = await push({ client_id: clientId }, oauth.ClientSecretBasic(clientSecret!), { state: 'kept' });
    const u = await gh.createUser();
    const stranger = new HttpUser(gh, u.login, u.password);
    const first = await stranger.get(`/authorize?${new URLSearchParams({ client_id: clientId, request_uri: pushed.request_uri }).toString()}`);
    expect(first.status).toBe(302);
    const returnTo = new URL(first.headers.get('location')!, gh.url).searchParams.get('return_to')!;
    const back = new URL(returnTo, gh.url).searchParams;
    expect([...back.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(back.get('request_uri')).not.toBe(pushed.request_uri);
    await stranger.signIn(returnTo);
    const consent = await stranger.get(returnTo);
    expect(consent.status).toBe(200);
    expect(await consent.text()).toContain('name="decision"');
    // That fresh request_uri is single-use too.
    expect((await stranger.get(returnTo)).status).toBe(400);
  });

  test('a public client pushes with its client_id alone', async () => {
    const { clientId } = await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT] });
    const client: oauth.Client = { client_id: clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const pushed = await push(client, oauth.None(), { code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const { location } = await user.authorize({ client_id: clientId, request_uri: pushed.request_uri });
    expect(location.searchParams.get('code')).toBeTruthy();
  });
});

describe('attacks on request_uri', () => {
  let clientId: string;
  let clientSecret: string;
  const client = () => ({ client_id: clientId });
  beforeAll(async () => {
    ({ clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT, OTHER_REDIRECT] }) as { clientId: string; clientSecret: string });
    // Consent once, so /authorize answers at once afterwards.
    await user.authorize({ client_id: clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'login:info' });
  });

  test('only the pushed parameters count: a redirect_uri or state beside the request_uri is ignored', async () => {
    const pushed = await push(client(), oauth.ClientSecretPost(clientSecret), { state: 'pushed-state' });
    const answer = await authorizeOnce({ client_id: clientId, request_uri: pushed.request_uri, redirect_uri: OTHER_REDIRECT, state: 'forged', scope: 'login:email' });
    expect(answer.status).toBe(302);
    const location = new URL(answer.location!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('pushed-state');
  });

  test('a request_uri works once', async () => {
    const pushed = await push(client(), oauth.ClientSecretPost(clientSecret), {});
    expect((await authorizeOnce({ client_id: clientId, request_uri: pushed.request_uri })).status).toBe(302);
    const again = await authorizeOnce({ client_id: clientId, request_uri: pushed.request_uri });
    expect(again.status).toBe(400);
    expect(again.body).toContain('invalid_request_uri');
  });

  test('a request_uri expires after 60 seconds', async () => {
    const pushed = await push(client(), oauth.ClientSecretPost(clientSecret), {});
    clock.advance(61_000);
    const late = await authorizeOnce({ client_id: clientId, request_uri: pushed.request_uri });
    expect(late.status).toBe(400);
    expect(late.body).toContain('invalid_request_uri');
  });

  test("another app's request_uri is refused, and used up", async () => {
    const pushed = await push(client(), oauth.ClientSecretPost(clientSecret), {});
    const other = await gh.createApp({ redirectUris: [REDIRECT] });
    const foreign = await authorizeOnce({ client_id: other.clientId, request_uri: pushed.request_uri });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toContain('invalid_request_uri');
    expect((await authorizeOnce({ client_id: clientId, request_uri: pushed.request_uri })).status).toBe(400);
  });

  test('a request_uri without client_id, or one Gatehouse never issued', async () => {
    const pushed = await push(client(), oauth.ClientSecretPost(clientSecret), {});
    expect((await authorizeOnce({ request_uri: pushed.request_uri })).status).toBe(400);
    const made = await authorizeOnce({ client_id: clientId, request_uri: 'urn:ietf:params:oauth:request_uri:guessed' });
    expect(made.status).toBe(400);
    expect((await authorizeOnce({ client_id: clientId, request_uri: 'https://attacker.example/request' })).status).toBe(400);
  });
});

describe('/par refuses', () => {
  let clientId: string;
  let clientSecret: string;
  beforeAll(async () => {
    ({ clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT] }) as { clientId: string; clientSecret: string });
  });
  const par = (body: Record<string, string>, secret = clientSecret) =>
    postForm(`${gh.url}/par`, { response_type: 'code', redirect_uri: REDIRECT, scope: 'login:info', ...body }, { authorization: basicAuth(clientId, secret) });

  test('a wrong secret (invalid_client)', async () => {
    const res = await par({}, 'wrong');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  test('a confidential app without its secret', async () => {
    const res = await postForm(`${gh.url}/par`, { client_id: clientId, response_type: 'code', redirect_uri: REDIRECT });
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  test.each([
    ['an unregistered redirect_uri', { redirect_uri: 'https://attacker.example/cb' }, 'invalid_request'],
    ['an unknown scope', { scope: 'admin' }, 'invalid_scope'],
    ['a request_uri inside', { request_uri: 'urn:ietf:params:oauth:request_uri:x' }, 'invalid_request'],
    ['a request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'invalid_request'],
    ['another client_id', { client_id: '0123456789abcdef0123456789abcdef' }, 'invalid_request'],
  ])('%s', async (_name, body, error) => {
    const res = await par(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error });
  });

  test('an app that requires PAR is refused a plain authorization request', async () => {
    const strict = await gh.createApp({ redirectUris: [REDIRECT], requirePar: true });
    const { location } = await user.authorize({ client_id: strict.clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'login:info', state: 's' });
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toContain('/par');
  });
});
