/**
 * PostgreSQL: the token writes of grants asked for together go to the server
 * as one statement and one commit, then one check (src/storage/sql/grant-batches.ts).
 * What each grant is told must still be its own: saved with its own tokens and
 * audit entry; revoked when its user went while it was in flight, or when a
 * revocation of its family, user, app or grant committed first; failed when
 * the server refused its own row; and the grants beside it unaffected.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { randomHex, sha256Hex } from '../../src/crypto/random.js';
import { openStorage } from '../../src/storage/open.js';
import type { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import type { AppRecord, AuditEntry, TokenRecord, UserRecord } from '../../src/storage/storage.js';
import type { Millis } from '../../src/types.js';
import { freshDatabase } from '../helpers/postgres.js';
import { appRecord, userRecord } from './records.js';

const T0: Millis = 1_700_000_000_000;
const MINUTE = 60_000;

let database: { url: string; drop(): Promise<void> };
let s: SqlStorage;

beforeAll(async () => {
  database = await freshDatabase(inject('postgresUrl'));
  s = await openStorage({ dataDir: '/nonexistent', databaseUrl: database.url });
});
afterAll(async () => {
  await s?.close();
  await database?.drop();
});

let seq = 0;
async function newUser(): Promise<UserRecord> {
  const user = userRecord({ login: `batcher${++seq}` });
  await s.createUser(user);
  return user;
}

async function newApp(): Promise<AppRecord> {
  const app = appRecord({ name: `Batch ${++seq}` });
  await s.createApp(app);
  return app;
}

interface Grant {
  tokens: TokenRecord[];
  audit: Omit<AuditEntry, 'id' | 'repeated'>;
}

/** A grant as the token endpoint makes one: an access token (and a refresh token for a user), issued under generation 0, and its audit entry. */
function grant(user: UserRecord | null, app: AppRecord, over: Partial<TokenRecord> = {}): Grant {
  const familyId = randomHex(16);
  const base = {
    clientId: app.clientId, userId: user?.id ?? null, scopes: ['login:info'], familyId, deviceId: null, deviceName: null, isDebug: false,
    authTime: user === null ? null : T0, amr: user === null ? [] : ['pwd'], createdAt: T0, revokedAt: null, rotatedAt: null, jkt: null, generation: 0,
    resources: [] as string[], ...over,
  };
  const tokens: TokenRecord[] = [{ ...base, hash: sha256Hex(randomHex(32)), type: 'access', expiresAt: T0 + 60 * MINUTE }];
  if (user !== null) tokens.push({ ...base, hash: sha256Hex(randomHex(32)), type: 'refresh', expiresAt: T0 + 600 * MINUTE });
  return {
    tokens,
    audit: {
      at: T0, action: 'token_issued', outcome: 'ok', actorType: 'app', actorId: app.clientId, userId: user?.id ?? null, clientId: app.clientId,
      ip: `203.0.113.${seq++ % 250}`, details: { grant: user === null ? 'client_credentials' : 'authorization_code', scopes: ['login:info'], family: familyId, refresh: user !== null },
    },
  };
}

const save = (g: Grant) => s.saveTokens(g.tokens, { now: T0 + 1, maxDeviceFamilies: 30, audit: g.audit });

/** The statements sent to the server while `fn` runs, as their SQL text. */
async function statements<T>(fn: () => Promise<T>): Promise<{ result: T; sent: string[] }> {
  const sent: string[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    sent.push((typeof q === 'string' ? q : q.text).replace(/\s+/g, ' ').trim());
    return query.apply(this, args);
  };
  try {
    return { result: await fn(), sent };
  } finally {
    proto.query = query;
  }
}

const batchInserts = (sent: string[]) => sent.filter((t) => t.includes('json_populate_recordset(null::tokens'));
const loneInserts = (sent: string[]) => sent.filter((t) => /^(with audit_entry as \(insert into audit_log .*\) )?insert into tokens /.test(t));
const checks = (sent: string[]) => sent.filter((t) => t.startsWith('select t.generation') || t.startsWith('select h.'));

/** The `token_issued` entries of a grant's family, without their ids. */
async function issuedEntries(g: Grant): Promise<Omit<AuditEntry, 'id'>[]> {
  const entries = await s.listAudit({ action: 'token_issued', limit: 10_000 });
  return entries.filter((e) => e.details.family === g.audit.details.family).map(({ id: _id, ...rest }) => rest);
}

async function expectSaved(g: Grant): Promise<void> {
  for (const t of g.tokens) {
    const found = await s.findTokenWithOwners(t.hash);
    expect(found?.token).toEqual({ ...t, revokedAt: null });
    expect(found?.app?.clientId).toBe(t.clientId);
    expect(found?.user?.id ?? null).toBe(t.userId);
  }
  expect(await issuedEntries(g)).toEqual([g.audit]);
}

/** None of the grant's tokens is usable: revoked, or not there. */
async function expectRevoked(g: Grant): Promise<void> {
  for (const t of g.tokens) {
    const found = await s.findToken(t.hash);
    if (found !== null) expect(found.revokedAt, `${t.type} token of a revoked grant`).not.toBeNull();
  }
}

describe('grants written together on PostgreSQL', () => {
  test('concurrent grants for several apps and users: two statements per batch, and each grant its own tokens and audit entry', async () => {
    const apps = [await newApp(), await newApp(), await newApp()];
    const users = [await newUser(), await newUser(), await newUser(), await newUser()];
    // More than one batch holds (64): the rest go in a second.
    const grants = Array.from({ length: 80 }, (_, i) => grant(i % 5 === 0 ? null : users[i % users.length]!, apps[i % apps.length]!));
    const { result, sent } = await statements(() => Promise.all(grants.map(save)));
    expect(result).toEqual(grants.map(() => 'saved'));
    expect(batchInserts(sent)).toHaveLength(2);
    expect(loneInserts(sent)).toHaveLength(0);
    expect(checks(sent)).toHaveLength(2);
    expect(sent).toHaveLength(4);
    for (const g of grants) await expectSaved(g);
  });

  test('the check looks each token up by its key, whatever the size of the tables when its plan was made', async () => {
    // A prepared statement's generic plan is made once per connection, often while the tables are small (a new
    // database): one that scans the tokens would be kept, and cost a scan of every token at each check.
    const app = await newApp();
    const { sent } = await statements(() => Promise.all([grant(null, app), grant(null, app)].map(save)));
    const [check] = sent.filter((t) => t.startsWith('select h.'));
    const client = new pg.Client(database.url);
    await client.connect();
    try {
      await client.query('set plan_cache_mode = force_generic_plan');
      await client.query(`prepare check_all(varchar[]) as ${check!}`);
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`explain execute check_all('{a,b}')`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan using tokens_pkey on tokens/);
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      await client.end();
    }
  });

  test('a grant alone in its turn takes the lone path: one insert and one check', async () => {
    const g = grant(await newUser(), await newApp());
    const { result, sent } = await statements(() => save(g));
    expect(result).toBe('saved');
    expect(loneInserts(sent)).toHaveLength(1);
    expect(batchInserts(sent)).toHaveLength(0);
    await expectSaved(g);
  });

  test('a grant whose user was deleted while it was in flight is revoked; the grants beside it in its batch are saved', async () => {
    const app = await newApp();
    const [kept, gone, other] = [await newUser(), await newUser(), await newUser()];
    const grants = [grant(kept, app), grant(gone, app), grant(other, app), grant(null, app)];
    await s.eraseUser(gone.id, (d) => d);
    const { result, sent } = await statements(() => Promise.all(grants.map(save)));
    expect(result).toEqual(['saved', 'revoked', 'saved', 'saved']);
    // The batch was refused (the foreign key), then each grant was written on its own.
    expect(batchInserts(sent)).toHaveLength(1);
    expect(loneInserts(sent)).toHaveLength(4);
    for (const t of grants[1]!.tokens) expect(await s.findToken(t.hash)).toBeNull();
    expect(await issuedEntries(grants[1]!)).toEqual([]);
    for (const g of [grants[0]!, grants[2]!, grants[3]!]) await expectSaved(g);
  });

  test('a grant whose app was deleted while it was in flight is revoked; the other apps\' grants in its batch are saved', async () => {
    const [app, gone] = [await newApp(), await newApp()];
    const user = await newUser();
    const grants = [grant(user, app), grant(null, gone), grant(user, gone), grant(null, app)];
    await s.deleteApp(gone.clientId);
    const { result } = await statements(() => Promise.all(grants.map(save)));
    expect(result).toEqual(['saved', 'revoked', 'revoked', 'saved']);
    await expectSaved(grants[0]!);
    await expectSaved(grants[3]!);
    expect(await issuedEntries(grants[1]!)).toEqual([]);
    expect(await issuedEntries(grants[2]!)).toEqual([]);
  });

  test('revocations committed before the batch refuse only the grants they revoke', async () => {
    const [web, other, blocked] = [await newApp(), await newApp(), await newApp()];
    const [alice, bob] = [await newUser(), await newUser()];
    const familyRevoked = grant(bob, other);
    const grants = [
      grant(alice, web), // its grant (alice in web) is revoked
      grant(alice, web), // the same grant, another family
      grant(bob, web),
      grant(alice, other),
      grant(null, web),
      familyRevoked, // its family is revoked
      grant(bob, blocked), // its app's tokens are revoked
      grant(null, blocked),
      grant(bob, other),
    ];
    await s.revokeAccess({ userId: alice.id, clientId: web.clientId }, T0);
    await s.revokeFamily(familyRevoked.tokens[0]!.familyId, T0);
    await s.revokeAccess({ clientId: blocked.clientId }, T0);
    // A revoked family's grant is told what a lone one is told (the check revokes its tokens either way).
    const lone = grant(bob, other, { familyId: familyRevoked.tokens[0]!.familyId });
    const loneOutcome = await save(lone);
    await expectRevoked(lone);
    const { result, sent } = await statements(() => Promise.all(grants.map(save)));
    expect(result).toEqual(['revoked', 'revoked', 'saved', 'saved', 'saved', loneOutcome, 'revoked', 'revoked', 'saved']);
    expect(batchInserts(sent)).toHaveLength(1);
    expect(loneInserts(sent)).toHaveLength(0);
    for (const [i, g] of grants.entries()) {
      if (g === familyRevoked || result[i] === 'revoked') await expectRevoked(g);
      else await expectSaved(g);
    }
  });

  test('a grant the server refuses for its own row fails alone, with its error; the others are saved once', async () => {
    const app = await newApp();
    const user = await newUser();
    const first = grant(user, app);
    expect(await save(first)).toBe('saved');
    // A second grant whose access token collides with the first's: the primary key refuses it.
    const clash = grant(user, app);
    clash.tokens[0] = { ...clash.tokens[0]!, hash: first.tokens[0]!.hash };
    const grants = [grant(user, app), clash, grant(null, app)];
    const settled = await Promise.allSettled(grants.map(save));
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((settled[1] as PromiseRejectedResult).reason as { code?: string }).code).toBe('23505');
    expect((settled[0] as PromiseFulfilledResult<string>).value).toBe('saved');
    expect((settled[2] as PromiseFulfilledResult<string>).value).toBe('saved');
    // Written once each, though the batch was tried first.
    await expectSaved(grants[0]!);
    await expectSaved(grants[2]!);
    expect(await issuedEntries(clash)).toEqual([]);
    await expectSaved(first);
  });

  test('grants in a unit are not batched: they are its transaction\'s, and go with its rollback', async () => {
    const app = await newApp();
    const user = await newUser();
    const grants = [grant(user, app), grant(null, app)];
    const { result, sent } = await statements(() => s.atomically(async () => {
      for (const g of grants) expect(await save(g)).toBe('saved');
      throw new Error('rolled back');
    }).catch((err: unknown) => err));
    expect((result as Error).message).toBe('rolled back');
    expect(batchInserts(sent)).toHaveLength(0);
    for (const g of grants) {
      for (const t of g.tokens) expect(await s.findToken(t.hash)).toBeNull();
      expect(await issuedEntries(g)).toEqual([]);
    }
  });

  test('a batch whose connection is lost fails every grant of it, once, with nothing kept; the next grants are saved', async () => {
    const app = await newApp();
    const user = await newUser();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      // Hold the batch's INSERT at the table's lock, then end the backend that runs it, as a server restart would.
      await admin.query('begin');
      await admin.query('lock table tokens in access exclusive mode');
      const grants = [grant(user, app), grant(null, app), grant(user, app)];
      const { result: settledLater, sent } = await statements(async () => {
        const pending = Promise.allSettled(grants.map(save));
        let blocked: number[] = [];
        for (let i = 0; i < 200 && blocked.length === 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          // Inside this transaction pg_stat_activity answers from its first read's snapshot unless told to take another.
          await admin.query('select pg_stat_clear_snapshot()');
          blocked = (await admin.query<{ pid: number }>(
            // The needle is split so that this query, which `statements` sees too, does not count as a batch.
            "select pid from pg_stat_activity where wait_event_type = 'Lock' and strpos(query, 'json_populate_' || 'recordset(null::tokens') > 0",
          )).rows.map((r) => r.pid);
        }
        expect(blocked, 'the batch waiting at the lock').toHaveLength(1);
        await admin.query('select pg_terminate_backend($1)', [blocked[0]]);
        return pending;
      });
      const settled = await settledLater;
      await admin.query('rollback');
      expect(batchInserts(sent)).toHaveLength(1);
      expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      for (const r of settled) expect(((r as PromiseRejectedResult).reason as Error).message).toMatch(/terminat|connection/i);
      for (const g of grants) {
        for (const t of g.tokens) expect(await s.findToken(t.hash)).toBeNull();
        expect(await issuedEntries(g)).toEqual([]);
      }
      // The pool has let the dead connection go: grants made now are batched and saved.
      const next = [grant(user, app), grant(null, app)];
      const after = await statements(() => Promise.all(next.map(save)));
      expect(after.result).toEqual(['saved', 'saved']);
      expect(batchInserts(after.sent)).toHaveLength(1);
      for (const g of next) await expectSaved(g);
    } finally {
      await admin.query('rollback').catch(() => {});
      await admin.end();
    }
  });

  test('device-bound grants keep their own transaction (the cap on families), beside a batch', async () => {
    const app = await newApp();
    const user = await newUser();
    const device = grant(user, app, { deviceId: 'device-1', deviceName: 'Phone' });
    const grants = [grant(user, app), device, grant(null, app)];
    const { result, sent } = await statements(() => Promise.all(grants.map(save)));
    expect(result).toEqual(['saved', 'saved', 'saved']);
    expect(batchInserts(sent)).toHaveLength(1);
    for (const g of grants) await expectSaved(g);
  });
});
