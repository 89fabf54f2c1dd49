/**
 * How many round trips to the server the token endpoint's grants, and
 * introspection, cost on PostgreSQL, counted at the driver. The grants are the benchmark's
 * (bench/targets/gatehouse.ts): a confidential web app, its client_credentials,
 * its refresh (which keeps the refresh token) and its code exchange; and a
 * public app's refresh, which rotates. The counts are the ones
 * docs/benchmarks.md lists: a change that adds a statement to a grant fails
 * here, and says which. Grants made together share their writes on top of
 * that (src/storage/sql/grant-batches.ts), and so do their codes' consumes
 * (src/storage/sql/code-batches.ts).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { AppRecord, UserRecord } from '../../src/storage/storage.js';
import { hotIntrospect } from '../../src/http/routes/oidc.js';
import { basic, CHALLENGE, type Core, openCore, VERIFIER } from '../helpers/core.js';
import { freshDatabase } from '../helpers/postgres.js';

/**
 * Every round trip to the server while `fn` runs, as the statements it
 * carried (their first words, or their prepared names). Statements sent to
 * one connection in pipeline mode in one go (before any promise settles),
 * without waiting for an answer, share a round trip; out of pipeline mode
 * node-postgres sends one statement at a time, each a round trip.
 */
async function roundTrips(fn: () => Promise<unknown>): Promise<string[][]> {
  const trips: string[][] = [];
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  let open: { client: unknown; trip: string[]; pipelined: boolean } | null = null;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0] as string | { text: string; name?: string };
    const text = typeof q === 'string' ? q : q.text;
    const statement = (typeof q === 'object' && q.name) || text.replace(/\s+/g, ' ').trim().slice(0, 60);
    const pipelined = (this as { pipeline?: boolean }).pipeline === true;
    if (open !== null && open.client === this && open.pipelined && pipelined) {
      open.trip.push(statement);
    } else {
      const trip = [statement];
      trips.push(trip);
      const opened = { client: this, trip, pipelined };
      open = opened;
      queueMicrotask(() => { if (open === opened) open = null; });
    }
    return query.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = query;
  }
  return trips;
}

let core: Core;
let database: { url: string; drop(): Promise<void> };
let alice: UserRecord;
let web: { app: AppRecord; secret: string | null };
let desktop: { app: AppRecord; secret: string | null };

beforeAll(async () => {
  database = await freshDatabase(inject('postgresUrl'));
  core = await openCore({ databaseUrl: database.url });
  alice = await core.user('alice');
  web = await core.app({ platforms: ['web'] });
  desktop = await core.app({ platforms: ['desktop'], redirectUris: ['http://127.0.0.1/callback'] });
  // Warm: every statement prepared on a connection once, the signing keys loaded.
  const code = await core.code(alice, web.app);
  const issued = await core.token({ grant_type: 'authorization_code', code }, basic(web.app.clientId, web.secret!));
  await core.token({ grant_type: 'refresh_token', refresh_token: issued.refresh_token! }, basic(web.app.clientId, web.secret!));
  await core.token({ grant_type: 'client_credentials' }, basic(web.app.clientId, web.secret!));
});
afterAll(async () => {
  await core?.close();
  await database?.drop();
});

describe('statements per grant on PostgreSQL', () => {
  test('client_credentials', async () => {
    const sent = await roundTrips(() => core.token({ grant_type: 'client_credentials' }, basic(web.app.clientId, web.secret!)));
    expect(sent, JSON.stringify(sent)).toHaveLength(2);
  });

  test('refresh_token (confidential: the refresh token is kept)', async () => {
    const code = await core.code(alice, web.app);
    const issued = await core.token({ grant_type: 'authorization_code', code }, basic(web.app.clientId, web.secret!));
    const sent = await roundTrips(() => core.token({ grant_type: 'refresh_token', refresh_token: issued.refresh_token! }, basic(web.app.clientId, web.secret!)));
    // The client's app and the token with its owners are read by one statement (Storage.findTokenForClient).
    expect(sent, JSON.stringify(sent)).toHaveLength(2);
    expect(sent[0]).toEqual(['gatehouse_token_for_client']);
  });

  test('refresh_token (public: the refresh token rotates)', async () => {
    const code = await core.code(alice, desktop.app, { code_challenge: CHALLENGE });
    const issued = await core.token({ grant_type: 'authorization_code', client_id: desktop.app.clientId, code, code_verifier: VERIFIER });
    const sent = await roundTrips(() => core.token({ grant_type: 'refresh_token', client_id: desktop.app.clientId, refresh_token: issued.refresh_token! }));
    expect(sent, JSON.stringify(sent)).toHaveLength(3);
  });

  test('authorization_code', async () => {
    const code = await core.code(alice, web.app);
    const sent = await roundTrips(() => core.token({ grant_type: 'authorization_code', code }, basic(web.app.clientId, web.secret!)));
    expect(sent, JSON.stringify(sent)).toHaveLength(3);
  });

  test('concurrent client_credentials grants: their writes share one statement, and their checks another', async () => {
    const N = 8;
    const sent = await roundTrips(() => Promise.all(Array.from({ length: N }, () => core.token({ grant_type: 'client_credentials' }, basic(web.app.clientId, web.secret!)))));
    const statements = sent.flat();
    // One at a time each costs three (app, tokens + audit, check): 3N. Together, the app reads go in one round
    // trip (prepared-reads.ts) and the grants' writes and checks in batches (grant-batches.ts).
    const checks = statements.filter((s) => s === 'gatehouse_issued' || s === 'gatehouse_issued_all');
    expect(statements.filter((s) => s === 'gatehouse_app_version'), JSON.stringify(sent)).toHaveLength(N);
    expect(checks.length, JSON.stringify(sent)).toBeLessThan(N);
    expect(statements.length, JSON.stringify(sent)).toBe(N + 2 * checks.length);
    expect(statements.length, JSON.stringify(sent)).toBeLessThan(2 * N);
  });

  test('concurrent code exchanges: their codes are consumed together, by fewer statements than exchanges', async () => {
    const N = 8;
    const codes: string[] = [];
    for (let i = 0; i < N; i++) codes.push(await core.code(alice, web.app));
    const texts: string[] = [];
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const query = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]) {
      const q = args[0] as string | { text: string };
      texts.push((typeof q === 'string' ? q : q.text).replace(/\s+/g, ' ').trim());
      return query.apply(this, args);
    };
    try {
      const issued = await Promise.all(codes.map((code) => core.token({ grant_type: 'authorization_code', code }, basic(web.app.clientId, web.secret!))));
      expect(issued.every((t) => typeof t.access_token === 'string')).toBe(true);
    } finally {
      proto.query = query;
    }
    // One at a time each is consumed by its own statement (one commit each): N. Together, by one for the
    // exchanges asked for in one turn (code-batches.ts).
    const together = texts.filter((t) => t.includes('update auth_codes set consumed_at = h.now'));
    const alone = texts.filter((t) => t.startsWith('with won as (update auth_codes set consumed_at = $1'));
    expect(together.length, JSON.stringify(texts)).toBeGreaterThanOrEqual(1);
    expect(together.length + alone.length, JSON.stringify(texts)).toBeLessThan(N);
  });

  test('introspection', async () => {
    const issued = await core.token({ grant_type: 'client_credentials' }, basic(web.app.clientId, web.secret!));
    let answer: Record<string, unknown> = {};
    const sent = await roundTrips(async () => { answer = await hotIntrospect(core.ctx).answer(basic(web.app.clientId, web.secret!), { token: issued.access_token }, { ip: '127.0.0.1', onClient: () => {} }) as Record<string, unknown>; });
    expect(answer.active).toBe(true);
    // The caller's app and the token are read by one statement.
    expect(sent, JSON.stringify(sent)).toEqual([['gatehouse_token_for_client']]);
  });
});
