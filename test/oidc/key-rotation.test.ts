/**
 * Signing key rotation (SPEC §2, `gatehouse keys rotate`): new id_tokens are
 * signed with the new key at once, and the old public key stays published at
 * /jwks until the id_tokens it signed have expired, so they still validate.
 *
 * Each server process caches the key table for a few seconds; instead of
 * waiting that out, the rotation is made the way the CLI makes it (on the
 * shared database) and Gatehouse is restarted on the same database and port,
 * as an operator's restart or another process would see it.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createContext, type Context } from '../../src/context.js';
import { buildServer } from '../../src/http/server.js';
import { rotateSigningKeys } from '../../src/oidc/keys.js';
import type { SigningKeyRecord } from '../../src/storage/storage.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { decodeJwt, discover, login, OIDC_SCOPES, PASSWORD, POST_LOGOUT, REDIRECT } from './support.js';

/** Server time may be moved ahead of real time, to see retired keys age out. */
let offset = 0;
const clock = () => Date.now() + offset;

let gh: TestGatehouse;
/** The Gatehouse started after the rotation, on the same database and port. */
let restarted: { ctx: Context; close(): Promise<void> } | null = null;
let user: HttpUser;
let apps: { es: { clientId: string; clientSecret: string }; rs: { clientId: string; clientSecret: string } };
/** id_tokens signed before the rotation. */
let before: { es: string; rs: string };
let fresh: SigningKeyRecord[];

async function restart(): Promise<void> {
  await gh.server.close();
  const ctx = await createContext(gh.ctx.config, { clock });
  const server = await buildServer(ctx, { logger: false });
  await server.listen({ port: gh.ctx.config.port, host: gh.ctx.config.host });
  restarted = { ctx, close: async () => { await server.close(); await ctx.close(); } };
  // fetch may still hold keep-alive sockets of the stopped server: let each fail once, as any client would.
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${gh.url}/healthz`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch (err) {
      if (attempt >= 10) throw err;
    }
  }
}

async function jwks(): Promise<Array<Record<string, string>>> {
  return ((await (await fetch(`${gh.url}/jwks`)).json()) as { keys: Array<Record<string, string>> }).keys;
}

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  await gh.createUser('hatter', PASSWORD, { firstName: 'Mad', lastName: 'Hatter' });
  user = new HttpUser(gh, 'hatter', PASSWORD);
  const a = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES, postLogoutRedirectUris: [POST_LOGOUT] });
  const b = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES, idTokenAlg: 'RS256' });
  apps = { es: { clientId: a.clientId, clientSecret: a.clientSecret! }, rs: { clientId: b.clientId, clientSecret: b.clientSecret! } };
  const es = await discover(gh, a.clientId, a.clientSecret);
  const rs = await discover(gh, b.clientId, b.clientSecret, { id_token_signed_response_alg: 'RS256' });
  before = { es: (await login(es, user)).tokens.id_token!, rs: (await login(rs, user)).tokens.id_token! };

  fresh = await rotateSigningKeys(gh.ctx.storage, gh.ctx.secrets, gh.ctx.clock);
  await restart();
});
afterAll(async () => {
  await restarted?.close();
  await gh?.close();
});

const verify = (jwt: string, audience: string) =>
  jwtVerify(jwt, createRemoteJWKSet(new URL(`${gh.url}/jwks`)), { issuer: gh.url, audience });

describe('after gatehouse keys rotate', () => {
  test('the rotation adds one new key per algorithm', () => {
    expect(fresh.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    const oldKids = [decodeJwt(before.es).header.kid, decodeJwt(before.rs).header.kid];
    for (const key of fresh) expect(oldKids).not.toContain(key.kid);
  });

  test('/jwks publishes the new keys and keeps the retired ones', async () => {
    const kids = (await jwks()).map((k) => k.kid).sort();
    expect(kids).toEqual([decodeJwt(before.es).header.kid, decodeJwt(before.rs).header.kid, ...fresh.map((k) => k.kid)].sort());
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

  test('new id_tokens carry the new kid, and a relying party that discovers Gatehouse afresh validates them', async () => {
    for (const [app, alg] of [[apps.es, 'ES256'], [apps.rs, 'RS256']] as const) {
      const config = await discover(gh, app.clientId, app.clientSecret, { id_token_signed_response_alg: alg });
      client.enableNonRepudiationChecks(config);
      const { tokens } = await login(config, user);
      const { header } = decodeJwt(tokens.id_token!);
      expect(header).toMatchObject({ alg, kid: fresh.find((k) => k.alg === alg)!.kid });
      await expect(verify(tokens.id_token!, app.clientId)).resolves.toBeDefined();
    }
  });

  test('a retired key leaves /jwks once every id_token it signed has expired', async () => {
    offset += (gh.ctx.config.idTokenTtlSeconds + 60) * 1000;
    const kids = (await jwks()).map((k) => k.kid).sort();
    expect(kids).toEqual(fresh.map((k) => k.kid).sort());
    // An id_token_hint signed by a key no longer published is not ours any more.
    const res = await fetch(`${gh.url}/logout?${new URLSearchParams({ id_token_hint: before.es, post_logout_redirect_uri: POST_LOGOUT }).toString()}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});
