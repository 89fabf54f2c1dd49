/**
 * Two Gatehouse processes on one PostgreSQL database (issue 9): nothing that
 * matters lives in one process's memory, atomic steps have one winner across
 * processes, and rate limits count across both.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { basicAuth, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { freshDatabase } from '../helpers/postgres.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const secretKey = randomBytes(32).toString('base64');
let database: { url: string; drop(): Promise<void> };
let dataDir: string;
let ctx: Context;
let a: GatehouseProcess;
let b: GatehouseProcess;
let clientId: string;
let clientSecret: string;
const password = 'correct horse battery';

const asUser = (p: GatehouseProcess, login: string) => new HttpUser({ url: p.url } as TestGatehouse, login, password);
const token = (p: GatehouseProcess, form: Record<string, string>) =>
  postForm(`${p.url}/token`, form, { authorization: basicAuth(clientId, clientSecret) });
const infoStatus = async (p: GatehouseProcess, accessToken: string) =>
  (await fetch(`${p.url}/info`, { headers: { authorization: `OAuth ${accessToken}` } })).status;

beforeAll(async () => {
  database = await freshDatabase(inject('postgresUrl'));
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-multi-'));
  ctx = await createContext(loadConfig({ dataDir, databaseUrl: database.url, secretKey, logLevel: 'silent' }, {}));
  const created = await ctx.apps.create({ name: 'Shared app', redirectUris: [REDIRECT], scopes: ['login:info'] });
  clientId = created.app.clientId;
  clientSecret = created.clientSecret!;
  const env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_SECRET_KEY: secretKey, GATEHOUSE_DATA_DIR: dataDir };
  [a, b] = await Promise.all([spawnGatehouse(env), spawnGatehouse(env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await ctx?.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('two processes on one PostgreSQL database', () => {
  test('a code issued by one process is exchanged on the other, and the token works on both', async () => {
    await ctx.users.create({ login: 'crossing', password });
    const code = await asUser(a, 'crossing').code({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state: 's' });
    const res = await token(b, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect(await infoStatus(a, access_token)).toBe(200);
    expect(await infoStatus(b, access_token)).toBe(200);
  });

  test('a token revoked on one process is refused by the other at once', async () => {
    await ctx.users.create({ login: 'revoker', password });
    const code = await asUser(a, 'revoker').code({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT });
    const { access_token } = (await (await token(a, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).json()) as { access_token: string };
    expect(await infoStatus(b, access_token)).toBe(200);
    const revoked = await postForm(`${a.url}/revoke_token`, { access_token }, { authorization: basicAuth(clientId, clientSecret) });
    expect(await revoked.json()).toEqual({ status: 'ok' });
    expect(await infoStatus(b, access_token)).toBe(401);
  });

  describe('a user or an app blocked through one connection is refused by both processes at once (their records are cached only while their row versions match)', () => {
    /** Every read-path answer for `access_token` on process `p`: /info, /userinfo, and /introspect by the token's own app. */
    const answers = async (p: GatehouseProcess, access_token: string, client: { id: string; secret: string }) => {
      const bearer = { headers: { authorization: `Bearer ${access_token}` } };
      const introspected = await postForm(`${p.url}/introspect`, { token: access_token }, { authorization: basicAuth(client.id, client.secret) });
      return {
        info: (await fetch(`${p.url}/info`, bearer)).status,
        userinfo: (await fetch(`${p.url}/userinfo`, bearer)).status,
        introspectActive: introspected.ok && ((await introspected.json()) as { active: boolean }).active,
      };
    };
    const ALLOWED = { info: 200, userinfo: 200, introspectActive: true };
    const REFUSED = { info: 401, userinfo: 401, introspectActive: false };

    async function signedInToken(login: string, client: { id: string; secret: string }): Promise<string> {
      await ctx.users.create({ login, password });
      const code = await asUser(a, login).code({ response_type: 'code', client_id: client.id, redirect_uri: REDIRECT });
      const res = await postForm(`${a.url}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { authorization: basicAuth(client.id, client.secret) });
      return ((await res.json()) as { access_token: string }).access_token;
    }

    test('a blocked user: refused on both, and served again once unblocked (the block alone, no token revoked)', async () => {
      const client = { id: clientId, secret: clientSecret };
      const access = await signedInToken('blocked-later', client);
      // Both processes have answered for this token, user and app: anything they kept would now be stale.
      for (const p of [a, b]) expect(await answers(p, access, client)).toEqual(ALLOWED);
      const user = (await ctx.storage.findUserByLogin('blocked-later'))!;
      await ctx.storage.updateUser(user.id, { status: 'blocked' });
      for (const p of [b, a]) expect(await answers(p, access, client)).toEqual(REFUSED);
      await ctx.storage.updateUser(user.id, { status: 'active' });
      for (const p of [b, a]) expect(await answers(p, access, client)).toEqual(ALLOWED);
    });

    test('a blocked app: refused on both, and served again once unblocked (the block alone, no token revoked)', async () => {
      const created = await ctx.apps.create({ name: 'Blocked later', redirectUris: [REDIRECT], scopes: ['login:info'] });
      const client = { id: created.app.clientId, secret: created.clientSecret! };
      const access = await signedInToken('user-of-blocked-app', client);
      for (const p of [a, b]) expect(await answers(p, access, client)).toEqual(ALLOWED);
      await ctx.storage.blockApp(created.app.clientId, 'operator', Date.now());
      for (const p of [b, a]) expect(await answers(p, access, client)).toEqual(REFUSED);
      await ctx.storage.unblockApp(created.app.clientId, 'operator', Date.now());
      for (const p of [b, a]) expect(await answers(p, access, client)).toEqual(ALLOWED);
    });
  });

  test('a session made on one process signs the user in on the other', async () => {
    await ctx.users.create({ login: 'roaming', password });
    const onA = asUser(a, 'roaming');
    await onA.signIn();
    const onB = asUser(b, 'roaming');
    onB.jar.store(new Response(null, { headers: [['set-cookie', onA.jar.header().split('; ').find((c) => c.startsWith('gatehouse_session='))!]] }));
    const { location, consentShown } = await onB.authorize({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT });
    expect(consentShown).toBe(true);
    expect(location.searchParams.get('code')).toBeTruthy();
  });

  test('a device code approved through one process is polled on the other', async () => {
    await ctx.users.create({ login: 'tvwatcher', password });
    const started = (await (await postForm(`${a.url}/device/code`, { client_id: clientId, device_name: 'Hall TV' })).json()) as { device_code: string; user_code: string };
    const person = asUser(b, 'tvwatcher');
    await person.signIn('/device');
    const page = await person.get('/device');
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    expect((await person.post('/device', { csrf, user_code: started.user_code })).status).toBe(200);
    expect((await person.post('/device', { csrf, user_code: started.user_code, decision: 'allow' })).status).toBe(200);
    const polled = await token(a, { grant_type: 'device_code', code: started.device_code });
    expect(polled.status).toBe(200);
    expect(await infoStatus(b, ((await polled.json()) as { access_token: string }).access_token)).toBe(200);
  });

  test('of 50 concurrent exchanges of one code split across both processes, exactly one wins', async () => {
    await ctx.users.create({ login: 'racer', password });
    const { verifier, challenge } = pkcePair();
    const code = await asUser(a, 'racer').code({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => token(i % 2 ? a : b, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(49);
  });

  test('wrong confirmation codes are counted across both processes', async () => {
    const guesses = [];
    for (let i = 0; i < 5; i++) {
      const res = await token(i % 2 ? a : b, { grant_type: 'authorization_code', code: String(1_000_000 + i) });
      guesses.push(res.status);
    }
    expect(guesses).toEqual([400, 400, 400, 400, 400]);
    const sixth = await token(a, { grant_type: 'authorization_code', code: '1234567' });
    expect(sixth.status).toBe(429);
    expect(((await sixth.json()) as { error: string }).error).toBe('slow_down');
  });

  test('a signing key rotated by one process is published by the other', async () => {
    const before = (await (await fetch(`${b.url}/jwks`)).json()) as { keys: { kid: string }[] };
    const { rotateSigningKeys } = await import('../../src/oidc/keys.js');
    const fresh = await rotateSigningKeys(ctx.storage, ctx.secrets, ctx.clock);
    // The key cache allows 5 s of staleness (src/oidc/keys.ts).
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const after = (await (await fetch(`${b.url}/jwks`)).json()) as { keys: { kid: string }[] };
    for (const key of fresh) expect(after.keys.map((k) => k.kid)).toContain(key.kid);
    for (const key of before.keys) expect(after.keys.map((k) => k.kid)).toContain(key.kid);
  });
});
