/**
 * Signing key rotation (docs/protocol.md §2, `gatehouse keys rotate`), staged so that no
 * relying party ever meets an id_token whose `kid` is missing from the copy of
 * /jwks it cached (`Cache-Control: max-age=60`): the next key is published at
 * /jwks at once but signs only once every cached copy from before the
 * rotation has expired (NEXT_KEY_LEAD_MS); then the old key retires, and it
 * stays published until the id_tokens it signed have expired, so they still
 * validate.
 *
 * The rotation is made the way the CLI makes it (on the shared database); the
 * server's clock is a controllable one, moved on past its few seconds of key
 * cache as another process would see the rotation.
 */
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JWKS_MAX_AGE_SECONDS, NEXT_KEY_LEAD_MS, rotateSigningKeys } from '../../src/oidc/keys.js';
import type { SigningKeyRecord } from '../../src/storage/storage.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { decodeJwt, discover, login, OIDC_SCOPES, PASSWORD, POST_LOGOUT, REDIRECT } from './support.js';

/**
 * Server time starts a few minutes behind real time, so that moving it on by
 * the rotation's lead never makes the relying party library see an id_token
 * issued in its future.
 */
const clock = testClock(Date.now() - 10 * 60_000);

let gh: TestGatehouse;
let user: HttpUser;
let apps: { es: { clientId: string; clientSecret: string }; rs: { clientId: string; clientSecret: string } };
/** id_tokens signed before the rotation. */
let before: { es: string; rs: string };
/** /jwks as a relying party cached it just before the rotation. */
let cachedBefore: JSONWebKeySet;
let fresh: SigningKeyRecord[];
let rotatedAt: number;

async function jwks(): Promise<JSONWebKeySet> {
  return (await (await fetch(`${gh.url}/jwks`)).json()) as JSONWebKeySet;
}
const kids = async () => (await jwks()).keys.map((k) => k.kid!).sort();

/** A fresh sign-in through openid-client for one app: the new id_token's header. */
async function newIdToken(app: { clientId: string; clientSecret: string }, alg: 'ES256' | 'RS256'): Promise<string> {
  const config = await discover(gh, app.clientId, app.clientSecret, { id_token_signed_response_alg: alg });
  client.enableNonRepudiationChecks(config);
  return (await login(config, user)).tokens.id_token!;
}

const oldKid = (alg: 'ES256' | 'RS256') => decodeJwt(alg === 'ES256' ? before.es : before.rs).header.kid;
const newKid = (alg: 'ES256' | 'RS256') => fresh.find((k) => k.alg === alg)!.kid;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  await gh.createUser('hatter', PASSWORD, { firstName: 'Mad', lastName: 'Hatter' });
  user = new HttpUser(gh, 'hatter', PASSWORD);
  const a = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES, postLogoutRedirectUris: [POST_LOGOUT] });
  const b = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES, idTokenAlg: 'RS256' });
  apps = { es: { clientId: a.clientId, clientSecret: a.clientSecret! }, rs: { clientId: b.clientId, clientSecret: b.clientSecret! } };
  before = { es: await newIdToken(apps.es, 'ES256'), rs: await newIdToken(apps.rs, 'RS256') };
  cachedBefore = await jwks();

  rotatedAt = clock();
  fresh = await rotateSigningKeys(gh.ctx.storage, gh.ctx.secrets, gh.ctx.clock);
  // Past this process's few seconds of key cache, as every process sees the rotation.
  clock.advance(6_000);
});
afterAll(async () => {
  await gh?.close();
});

const verify = (jwt: string, audience: string) =>
  jwtVerify(jwt, createRemoteJWKSet(new URL(`${gh.url}/jwks`)), { issuer: gh.url, audience, currentDate: new Date(clock()) });

describe('after gatehouse keys rotate', () => {
  test('the rotation adds one new key per algorithm, published now and signing only after /jwks caches expire', () => {
    expect(fresh.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of fresh) {
      expect([oldKid('ES256'), oldKid('RS256')]).not.toContain(key.kid);
      expect(key.activatesAt - rotatedAt).toBe(NEXT_KEY_LEAD_MS);
    }
    expect(NEXT_KEY_LEAD_MS).toBeGreaterThan(JWKS_MAX_AGE_SECONDS * 1000);
  });

  test('/jwks publishes the next keys at once and keeps the current ones', async () => {
    expect(await kids()).toEqual([oldKid('ES256'), oldKid('RS256'), newKid('ES256'), newKid('RS256')].sort());
    const res = await fetch(`${gh.url}/jwks`);
    expect(res.headers.get('cache-control')).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`);
  });

  test('right after the rotation, and still when /jwks caches from before it may live (60 s), id_tokens carry the old kid: a relying party with a cached key set never sees an unknown kid', async () => {
    for (const at of [rotatedAt + 6_000, rotatedAt + JWKS_MAX_AGE_SECONDS * 1000 + 1_000]) {
      clock.set(at);
      for (const [app, alg] of [[apps.es, 'ES256'], [apps.rs, 'RS256']] as const) {
        const idToken = await newIdToken(app, alg);
        expect(decodeJwt(idToken).header).toMatchObject({ alg, kid: oldKid(alg) });
        // The relying party's copy of /jwks from before the rotation still validates it.
        await expect(jwtVerify(idToken, createLocalJWKSet(cachedBefore), { issuer: gh.url, audience: app.clientId, currentDate: new Date(clock()) }))
          .resolves.toBeDefined();
      }
    }
  });

  test('once the next key has been published longer than /jwks may be cached, it signs; the old key stays in /jwks', async () => {
    clock.set(rotatedAt + NEXT_KEY_LEAD_MS + 6_000);
    for (const [app, alg] of [[apps.es, 'ES256'], [apps.rs, 'RS256']] as const) {
      const idToken = await newIdToken(app, alg);
      expect(decodeJwt(idToken).header).toMatchObject({ alg, kid: newKid(alg) });
      await expect(verify(idToken, app.clientId)).resolves.toBeDefined();
    }
    expect(await kids()).toEqual([oldKid('ES256'), oldKid('RS256'), newKid('ES256'), newKid('RS256')].sort());
  });

  test('id_tokens signed before the rotation still validate through /jwks', async () => {
    await expect(verify(before.es, apps.es.clientId)).resolves.toMatchObject({ protectedHeader: { alg: 'ES256' } });
    await expect(verify(before.rs, apps.rs.clientId)).resolves.toMatchObject({ protectedHeader: { alg: 'RS256' } });
  });

  test('an id_token signed before the rotation is still accepted as id_token_hint', async () => {
    const res = await fetch(`${gh.url}/logout?${new URLSearchParams({ id_token_hint: before.es, post_logout_redirect_uri: POST_LOGOUT, state: 'x' }).toString()}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${POST_LOGOUT}?state=x`);
  });

  test('a retired key leaves /jwks once every id_token it signed has expired', async () => {
    clock.set(rotatedAt + NEXT_KEY_LEAD_MS + (gh.ctx.config.idTokenTtlSeconds + 60) * 1000);
    expect(await kids()).toEqual(fresh.map((k) => k.kid).sort());
    // An id_token_hint signed by a key no longer published is not ours any more.
    const res = await fetch(`${gh.url}/logout?${new URLSearchParams({ id_token_hint: before.es, post_logout_redirect_uri: POST_LOGOUT }).toString()}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});
