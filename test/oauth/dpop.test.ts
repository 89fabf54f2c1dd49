/**
 * DPoP (RFC 9449, issue 19): tokens bound to a client's key, driven by
 * oauth4webapi as an independent client (nonce retry included), and every
 * check of a proof attacked with hand-made proofs signed by jose.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { exportJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createContext } from '../../src/context.js';
import { buildServer } from '../../src/http/server.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, postForm } from '../helpers/http-client.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let gh: TestGatehouse;
let as: oauth.AuthorizationServer;
let user: HttpUser;

beforeAll(async () => {
  gh = await startGatehouse();
  as = await oauth.processDiscoveryResponse(new URL(gh.url), await oauth.discoveryRequest(new URL(gh.url), { ...insecure, algorithm: 'oidc' }));
  const u = await gh.createUser('dasha', 'correct horse battery', { firstName: 'Dasha', email: 'dasha@example.org' });
  user = new HttpUser(gh, u.login, u.password);
});
afterAll(async () => { await gh?.close(); });

/** Runs the request, and once more when the server asks for its nonce (RFC 9449 §8), as oauth4webapi documents. */
async function withNonceRetry<T>(run: () => Promise<T>, retried: { count: number } = { count: 0 }): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    retried.count++;
    return run();
  }
}

async function codeFlow(client: oauth.Client, clientAuth: oauth.ClientAuth, DPoP?: oauth.DPoPHandle, retried?: { count: number }) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const { location } = await user.authorize({
    response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, scope: 'login:info login:email', state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const params = oauth.validateAuthResponse(as, client, location, state);
  return withNonceRetry(async () => {
    const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT, verifier, { ...insecure, ...(DPoP && { DPoP }) });
    return oauth.processAuthorizationCodeResponse(as, client, response);
  }, retried);
}

async function bodyError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) return err.error;
    throw err;
  }
  throw new Error('expected an OAuth error response');
}

// Hand-made proofs.

interface Key { privateKey: KeyObject; jwk: JWK; alg: string }
function newKey(alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256' = 'ES256'): Promise<Key> {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : alg === 'EdDSA' ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return exportJWK(pair.publicKey).then((jwk) => ({ privateKey: pair.privateKey, jwk, alg }));
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');
let jtiCounter = 0;

async function proof(key: Key, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ jti: `jti-${process.pid}-${++jtiCounter}-${Math.random()}`, iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...header })
    .sign(key.privateKey);
}

const userinfoProof = (key: Key, token: string, extra: Record<string, unknown> = {}) =>
  proof(key, { htm: 'GET', htu: `${gh.url}/userinfo`, ath: ath(token), ...extra });

function userinfo(token: string, headers: Record<string, string> = {}, scheme = 'DPoP'): Promise<Response> {
  return fetch(`${gh.url}/userinfo`, { headers: { authorization: `${scheme} ${token}`, ...headers } });
}

/** A public client's DPoP-bound tokens, by the code flow, and the key. */
async function boundTokens(alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256' = 'ES256') {
  const { clientId } = await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT] });
  const client: oauth.Client = { client_id: clientId };
  const keyPair = await oauth.generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable: true });
  const DPoP = oauth.DPoP(client, keyPair);
  const tokens = await codeFlow(client, oauth.None(), DPoP);
  return { client, DPoP, tokens, keyPair, jkt: await DPoP.calculateThumbprint() };
}

describe('DPoP-bound tokens with oauth4webapi', () => {
  test('discovery lists the proof algorithms (RFC 9449 §5.1)', () => {
    expect(as.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256']);
  });

  test('the code flow binds the tokens after one nonce retry; userinfo and refresh need proofs of the key', async () => {
    const { clientId } = await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT] });
    const client: oauth.Client = { client_id: clientId };
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const retried = { count: 0 };
    const tokens = await codeFlow(client, oauth.None(), DPoP, retried);
    expect(retried.count).toBe(1);
    expect(tokens.token_type).toBe('dpop');

    const claims = await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, await oauth.userInfoRequest(as, client, tokens.access_token, { ...insecure, DPoP }));
    expect(claims).toMatchObject({ preferred_username: 'dasha' });

    const refreshed = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, { ...insecure, DPoP })));
    expect(refreshed.token_type).toBe('dpop');
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    // The refreshed refresh token stays bound: without a proof, or with another key's, it is refused and not burnt.
    const bare = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshed.refresh_token!, insecure);
    expect(await bodyError(oauth.processRefreshTokenResponse(as, client, bare))).toBe('invalid_dpop_proof');
    const otherDPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    expect(await bodyError(withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshed.refresh_token!, { ...insecure, DPoP: otherDPoP }))))).toBe('invalid_grant');
    const again = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshed.refresh_token!, { ...insecure, DPoP })));
    expect(again.token_type).toBe('dpop');
  });

  test('a confidential client: bound access token, /introspect reports cnf.jkt and token_type DPoP', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT] });
    const client: oauth.Client = { client_id: clientId };
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const tokens = await codeFlow(client, oauth.ClientSecretBasic(clientSecret!), DPoP);
    expect(tokens.token_type).toBe('dpop');
    const res = await postForm(`${gh.url}/introspect`, { token: tokens.access_token }, { authorization: basicAuth(clientId, clientSecret!) });
    const body = await res.json();
    expect(body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: await DPoP.calculateThumbprint() } });
    // Its refresh token is bound by the client's secret, not by the key (RFC 9449 §5): refreshing as bearer works, and gives a bearer token.
    const refreshed = await oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic(clientSecret!), tokens.refresh_token!, insecure));
    expect(refreshed.token_type).toBe('bearer');
  });

  test('/info and the protected resource request of oauth4webapi accept the bound token with a proof', async () => {
    const { client, DPoP, tokens } = await boundTokens();
    const res = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${gh.url}/info`), new Headers(), null, { ...insecure, DPoP });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ login: 'dasha', client_id: client.client_id });
  });

  test.each(['EdDSA', 'RS256', 'PS256'] as const)('proofs signed with %s are accepted', async (alg) => {
    // oauth4webapi signs Ed25519 keys as `Ed25519` (RFC 9864); the hand-made proofs below use `EdDSA`.
    const { client, DPoP, tokens } = await boundTokens(alg);
    const claims = await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, await oauth.userInfoRequest(as, client, tokens.access_token, { ...insecure, DPoP }));
    expect(claims).toMatchObject({ preferred_username: 'dasha' });
  });

  test('an app that requires DPoP gets no bearer tokens', async () => {
    const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], requireDpop: true });
    const client: oauth.Client = { client_id: clientId };
    expect(await bodyError(codeFlow(client, oauth.ClientSecretBasic(clientSecret!)))).toBe('invalid_dpop_proof');
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    expect((await codeFlow(client, oauth.ClientSecretBasic(clientSecret!), DPoP)).token_type).toBe('dpop');
    // Nor tokens on a redirect, which cannot be bound.
    const { location } = await user.authorize({ response_type: 'token', client_id: clientId, redirect_uri: REDIRECT, scope: 'login:info', state: 's' });
    expect(new URLSearchParams(location.hash.slice(1)).get('error')).toBe('unauthorized_client');
  });
});

describe('every check of a proof at a resource (RFC 9449 §7.1)', () => {
  let token: string;
  let key: Key;

  beforeAll(async () => {
    // Tokens bound to a key made here, so proofs can be forged freely.
    key = await newKey();
    const { clientId } = await gh.createApp({ platforms: ['desktop'], redirectUris: [REDIRECT] });
    const verifier = oauth.generateRandomCodeVerifier();
    const code = await user.code({
      response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'login:info',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const dpop = await proof(key, { htm: 'POST', htu: `${gh.url}/token`, nonce: gh.ctx.dpop.nonce() });
    const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: verifier }, { dpop });
    const body = await res.json() as { access_token: string; token_type: string };
    expect(body.token_type).toBe('DPoP');
    expect(res.headers.get('dpop-nonce')).toBeTruthy();
    token = body.access_token;
  });

  async function refused(res: Response, error: string): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(new RegExp(`^DPoP algs="ES256 EdDSA Ed25519 RS256 PS256", error="${error}"`));
    expect((await res.json() as { error: string }).error).toBe(error);
  }

  test('a valid proof is accepted, once (replayed jti)', async () => {
    const dpop = await userinfoProof(key, token);
    const ok = await userinfo(token, { dpop });
    expect(ok.status).toBe(200);
    await refused(await userinfo(token, { dpop }), 'invalid_dpop_proof');
  });

  test('a proof accepted by one process is refused by another on the same database', async () => {
    // A second Gatehouse on the same database, as a cluster's other process.
    const other = await createContext(gh.ctx.config);
    const server = await buildServer(other, { logger: false });
    try {
      const dpop = await userinfoProof(key, token);
      const first = await server.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `DPoP ${token}`, dpop } });
      expect(first.statusCode).toBe(200);
      await refused(await userinfo(token, { dpop }), 'invalid_dpop_proof');
    } finally {
      await server.close();
      await other.close();
    }
  });

  test('the bound token used as a bearer token (with or without a proof)', async () => {
    await refused(await userinfo(token, {}, 'Bearer'), 'invalid_token');
    await refused(await userinfo(token, { dpop: await userinfoProof(key, token) }, 'Bearer'), 'invalid_token');
    await refused(await fetch(`${gh.url}/userinfo?access_token=${token}`), 'invalid_token');
    await refused(await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${token}` } }), 'invalid_token');
  });

  test('the DPoP scheme without a proof', async () => {
    await refused(await userinfo(token), 'invalid_dpop_proof');
  });

  const cases: [string, (k: Key, t: string) => Promise<string>][] = [
    ['wrong htu', (k, t) => userinfoProof(k, t, { htu: `${gh.url}/info` })],
    ['wrong htu host', (k, t) => userinfoProof(k, t, { htu: 'https://elsewhere.example/userinfo' })],
    ['wrong htm', (k, t) => userinfoProof(k, t, { htm: 'POST' })],
    ['wrong ath', (k, t) => userinfoProof(k, t, { ath: ath(`${t}x`) })],
    ['no ath', (k) => proof(k, { htm: 'GET', htu: `${gh.url}/userinfo` })],
    ['stale iat', (k, t) => userinfoProof(k, t, { iat: Math.floor(Date.now() / 1000) - 120 })],
    ['iat in the future', (k, t) => userinfoProof(k, t, { iat: Math.floor(Date.now() / 1000) + 120 })],
    ['no jti', (k, t) => userinfoProof(k, t, { jti: undefined })],
    ['wrong typ', (k, t) => proof(k, { htm: 'GET', htu: `${gh.url}/userinfo`, ath: ath(t) }, { typ: 'JWT' })],
    ['a jwk that is not the signing key', async (k, t) => proof(k, { htm: 'GET', htu: `${gh.url}/userinfo`, ath: ath(t) }, { jwk: (await newKey()).jwk })],
    ['a private key in jwk', async (k, t) => proof(k, { htm: 'GET', htu: `${gh.url}/userinfo`, ath: ath(t) }, { jwk: k.privateKey.export({ format: 'jwk' }) })],
    ['a symmetric algorithm', (_k, t) => new SignJWT({ jti: 'x', iat: Math.floor(Date.now() / 1000), htm: 'GET', htu: `${gh.url}/userinfo`, ath: ath(t) })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } }).sign(Buffer.from('secret'))],
    ['alg none', async (_k, t) => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url')}.${Buffer.from(JSON.stringify({ jti: 'n', iat: Math.floor(Date.now() / 1000), htm: 'GET', htu: `${gh.url}/userinfo`, ath: ath(t) })).toString('base64url')}.`],
    ['not a JWT', async () => 'not-a-jwt'],
  ];
  test.each(cases)('%s', async (_name, make) => {
    await refused(await userinfo(token, { dpop: await make(key, token) }), 'invalid_dpop_proof');
  });

  test('an EdDSA proof of jose is accepted too', async () => {
    // Bound to an Ed25519 key through /token, then used at /userinfo.
    const ed = await newKey('EdDSA');
    const { clientId, clientSecret } = await gh.createApp();
    const dpop = await proof(ed, { htm: 'POST', htu: `${gh.url}/token`, nonce: gh.ctx.dpop.nonce() });
    const res = await postForm(`${gh.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, clientSecret!), dpop });
    const { access_token: edToken, token_type } = await res.json() as { access_token: string; token_type: string };
    expect(token_type).toBe('DPoP');
    const info = await fetch(`${gh.url}/introspect`, { method: 'POST', headers: { authorization: basicAuth(clientId, clientSecret!), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${edToken}` });
    expect(await info.json()).toMatchObject({ active: true, cnf: { jkt: expect.any(String) } });
  });

  test('a proof made with another key', async () => {
    const other = await newKey();
    await refused(await userinfo(token, { dpop: await userinfoProof(other, token) }), 'invalid_dpop_proof');
  });

  test('two proofs at once', async () => {
    const res = await fetch(`${gh.url}/userinfo`, { headers: [['authorization', `DPoP ${token}`], ['dpop', await userinfoProof(key, token)], ['dpop', await userinfoProof(key, token)]] });
    await refused(res, 'invalid_dpop_proof');
  });

  test('an unbound token sent with the DPoP scheme', async () => {
    const { clientId, clientSecret } = await gh.createApp();
    const res = await postForm(`${gh.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, clientSecret!) });
    const { access_token: bearer } = await res.json() as { access_token: string };
    const answer = await fetch(`${gh.url}/introspect`, { method: 'POST', headers: { authorization: basicAuth(clientId, clientSecret!), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${bearer}` });
    expect(await answer.json()).not.toHaveProperty('cnf');
    const info = await fetch(`${gh.url}/info`, { headers: { authorization: `DPoP ${bearer}`, dpop: await proof(key, { htm: 'GET', htu: `${gh.url}/info`, ath: ath(bearer) }) } });
    expect(info.status).toBe(401);
  });
});

describe('proofs at /token (RFC 9449 §5, §8)', () => {
  let clientId: string;
  let clientSecret: string;
  let key: Key;
  beforeAll(async () => {
    ({ clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT] }) as { clientId: string; clientSecret: string });
    key = await newKey();
  });
  const tokenRequest = (dpop: string) => postForm(`${gh.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, clientSecret), dpop });
  const tokenProof = (extra: Record<string, unknown> = {}) => proof(key, { htm: 'POST', htu: `${gh.url}/token`, nonce: gh.ctx.dpop.nonce(), ...extra });

  test('a proof with the nonce binds a client_credentials token', async () => {
    const res = await tokenRequest(await tokenProof());
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: 'DPoP' });
  });

  test('no nonce, or an unknown one: use_dpop_nonce with the nonce in DPoP-Nonce', async () => {
    for (const nonce of [undefined, 'made-up']) {
      const res = await tokenRequest(await tokenProof({ nonce }));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'use_dpop_nonce' });
      expect(res.headers.get('dpop-nonce')).toBe(gh.ctx.dpop.nonce());
    }
  });

  test.each([
    ['wrong htu', () => ({ htu: `${gh.url}/userinfo` })],
    ['wrong htm', () => ({ htm: 'GET' })],
    ['stale iat', () => ({ iat: Math.floor(Date.now() / 1000) - 300 })],
  ])('%s is invalid_dpop_proof', async (_name, extra) => {
    const res = await tokenRequest(await tokenProof(extra()));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  test('a replayed proof is refused', async () => {
    const dpop = await tokenProof();
    expect((await tokenRequest(dpop)).status).toBe(200);
    const res = await tokenRequest(dpop);
    expect(await res.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });
});
