/**
 * What the OpenID Connect tests share: an openid-client configuration made
 * by discovery against the running Gatehouse (plain http on loopback, so
 * `allowInsecureRequests`), the user's part of a login over cookie-aware
 * fetch, and approving a device code on /device.
 *
 * Nothing here stands in for Gatehouse: every request is real HTTP to a real
 * server on a real SQLite file.
 */
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { expect } from 'vitest';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';

export const PASSWORD = 'correct horse battery';

/** Registered for every test app; nothing listens there, the tests read the redirect's Location. */
export const REDIRECT = 'http://127.0.0.1:9999/callback';
export const POST_LOGOUT = 'http://127.0.0.1:9999/signed-out';

/** The scopes of an OpenID Connect app. */
export const OIDC_SCOPES = ['openid', 'profile', 'email'];

/**
 * openid-client's view of Gatehouse for one app, from
 * /.well-known/openid-configuration (or RFC 8414's document with
 * `algorithm: 'oauth2'`). A confidential app authenticates with
 * client_secret_basic; a public one with none.
 */
export function discover(
  gh: TestGatehouse,
  clientId: string,
  clientSecret: string | null,
  metadata: Partial<client.ClientMetadata> = {},
  algorithm: 'oidc' | 'oauth2' = 'oidc',
): Promise<client.Configuration> {
  const auth = clientSecret === null ? client.None() : client.ClientSecretBasic(clientSecret);
  return client.discovery(new URL(gh.url), clientId, metadata, auth, { execute: [client.allowInsecureRequests], algorithm });
}

/** What an app keeps between sending the user to /authorize and the redirect back. */
export interface PendingLogin {
  url: URL;
  verifier: string;
  nonce: string;
  state: string;
}

/** An authorization request as openid-client builds it: code flow, PKCE S256, nonce and state. */
export async function startLogin(config: client.Configuration, params: Record<string, string> = {}): Promise<PendingLogin> {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: OIDC_SCOPES.join(' '),
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...params,
  });
  return { url, verifier, nonce, state };
}

/** The authorization request's parameters, for `HttpUser.authorize`. */
export function paramsOf(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams);
}

/**
 * Where Gatehouse sends the browser straight away, without any page
 * (prompt=none, consent remembered, or its own login page, resolved against the request).
 */
export async function redirectOf(user: HttpUser, url: URL): Promise<URL> {
  const res = await user.get(url.toString());
  await res.arrayBuffer();
  expect(res.status, `expected a redirect from ${url.pathname}`).toBe(302);
  return new URL(res.headers.get('location')!, url);
}

/** A whole login: the user signs in and consents, openid-client exchanges the code and checks the id_token. */
export async function login(config: client.Configuration, user: HttpUser, params: Record<string, string> = {}) {
  const pending = await startLogin(config, params);
  const { location } = await user.authorize(paramsOf(pending.url));
  const tokens = await client.authorizationCodeGrant(config, location, {
    pkceCodeVerifier: pending.verifier,
    expectedNonce: pending.nonce,
    expectedState: pending.state,
    idTokenExpected: true,
  });
  return { pending, tokens, claims: tokens.claims()! };
}

/** What an openid-client or oauth4webapi rejection carries: its code, the OAuth `error`, and the check that failed (`cause`). */
export interface Rejection {
  name: string;
  code?: string;
  error?: string;
  message: string;
  cause?: { message?: string } & Record<string, unknown>;
}

export function rejection(promise: Promise<unknown>): Promise<Rejection> {
  return promise.then(
    (value) => { throw new Error(`expected a rejection, got ${JSON.stringify(value)}`); },
    (e: unknown) => e as Rejection,
  );
}

/** Signs in on the login page Gatehouse sent the browser to (with its `return_to` and `switch`), as a person would. */
export async function signInAt(user: HttpUser, loginUrl: URL): Promise<string> {
  const page = await user.get(loginUrl.pathname + loginUrl.search);
  expect(page.status).toBe(200);
  const res = await user.post('/login', { ...hiddenFields(await page.text()), login: user.login, password: user.password });
  expect(res.status).toBe(303);
  return res.headers.get('location')!;
}

/**
 * The person on the other side of a device code: signed in on /device, types
 * the user code and allows (RFC 8628 §3.3).
 */
export async function approveDeviceCode(user: HttpUser, userCode: string): Promise<void> {
  const form = await user.get(`/device?user_code=${encodeURIComponent(userCode)}`);
  expect(form.status).toBe(200);
  const confirm = await user.post('/device', { ...hiddenFields(await form.text()), user_code: userCode });
  const page = await confirm.text();
  expect(confirm.status, page.slice(0, 300)).toBe(200);
  expect(page).toContain('name="decision"');
  const done = await user.post('/device', { ...hiddenFields(page), decision: 'allow' });
  expect(done.status, (await done.text()).slice(0, 300)).toBe(200);
}

/** Decodes a JWT's header and payload without checking anything (the libraries check). */
export function decodeJwt(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = jwt.split('.');
  const part = (s: string | undefined) => JSON.parse(Buffer.from(s ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: part(h), payload: part(p) };
}

/** `at_hash` (OIDC Core §3.1.3.6): the left half of the SHA-256 of the access token (ES256 and RS256 alike), base64url. */
export function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

/** Yandex's login info API (docs/protocol.md §6) for an access token, which must answer 200. */
export async function loginInfo(gh: TestGatehouse, accessToken: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${accessToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}
