/**
 * PostgreSQL: the codes of exchanges asked for together are consumed by one
 * statement and one commit (src/storage/sql/code-batches.ts). What each
 * exchange is told must still be what the lone statement would tell it: of
 * every exchange of one code, in one batch, across batches in flight, exactly
 * one wins and every other is told the code was used; an unknown code is not
 * found, a used one used; a batch the server refuses is tried again code by
 * code, and one that fails otherwise fails each of its exchanges once.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { randomHex, sha256Hex } from '../../src/crypto/random.js';
import { openStorage } from '../../src/storage/open.js';
import type { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import type { AppRecord, AuthCodeRecord, CodeConsumeResult, UserRecord } from '../../src/storage/storage.js';
import type { Millis, SecretHash } from '../../src/types.js';
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
  const user = userRecord({ login: `consumer${++seq}` });
  await s.createUser(user);
  return user;
}

let app: AppRecord;
beforeAll(async () => {
  app = appRecord({ name: 'Codes' });
  await s.createApp(app);
});

/** A code stored for `user` (a new one when not given). */
async function newCode(user?: UserRecord): Promise<AuthCodeRecord> {
  const owner = user ?? await newUser();
  const code: AuthCodeRecord = {
    hash: sha256Hex(randomHex(32)) as SecretHash, kind: 'redirect', clientId: app.clientId, userId: owner.id, redirectUri: app.redirectUris[0]!,
    scopes: ['login:info'], codeChallenge: null, codeChallengeMethod: null, nonce: `n-${++seq}`, deviceId: null, deviceName: null, authTime: T0,
    amr: ['pwd'], familyId: randomHex(16), createdAt: T0, expiresAt: T0 + 10 * MINUTE, consumedAt: null, generation: 0, resources: [],
  };
  await s.createCode(code);
  return code;
}

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

const batchUpdates = (sent: string[]) => sent.filter((t) => t.includes('update auth_codes set consumed_at = h.now'));
const loneUpdates = (sent: string[]) => sent.filter((t) => t.startsWith('with won as (update auth_codes set consumed_at = $1 where hash = $2'));

const consume = (hash: string, now: Millis) => s.consumeCode(hash as SecretHash, now);
const outcomes = (results: CodeConsumeResult[]) => results.map((r) => r.outcome);

async function readConsumedAt(hash: string): Promise<number | null> {
  const client = new pg.Client(database.url);
  await client.connect();
  try {
    const { rows } = await client.query<{ consumed_at: string | null }>('select consumed_at from auth_codes where hash = $1', [hash]);
    if (rows.length === 0) throw new Error('no such code');
    return rows[0]!.consumed_at === null ? null : Number(rows[0]!.consumed_at);
  } finally {
    await client.end();
  }
}

/** Another session, whose transaction holds a lock on a code's row until `release`. */
async function lockCode(hash: string, how: 'select' | 'update'): Promise<{ client: pg.Client; release(): Promise<void> }> {
  const client = new pg.Client(database.url);
  await client.connect();
  await client.query('begin');
  if (how === 'select') await client.query('select 1 from auth_codes where hash = $1 for update', [hash]);
  else await client.query('update auth_codes set scopes = scopes where hash = $1', [hash]);
  return {
    client,
    async release() {
      await client.query('commit');
      await client.end();
    },
  };
}

/** The backend running a batch's statement, once it waits for a lock. */
async function waitingBatch(observer: pg.Client): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await observer.query<{ pid: number }>(
      "select pid from pg_stat_activity where wait_event_type = 'Lock' and query like '%set consumed_at = h.now%'",
    );
    if (rows.length > 0) return rows[0]!.pid;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the batch never waited for the lock');
}

describe('codes consumed together on PostgreSQL', () => {
  test('many exchanges of one code in one batch: one statement, exactly one winner, every other told it was used, with the record', async () => {
    const code = await newCode();
    const { result, sent } = await statements(() => Promise.all(Array.from({ length: 40 }, (_, i) => consume(code.hash, T0 + i))));
    expect(batchUpdates(sent)).toHaveLength(1);
    expect(loneUpdates(sent)).toHaveLength(0);
    // Sent once, at its first requester's time: that requester is the winner.
    expect(result[0]).toEqual({ outcome: 'consumed', record: { ...code, consumedAt: T0 }, userActive: true });
    for (const r of result.slice(1)) expect(r).toEqual({ outcome: 'already_consumed', record: { ...code, consumedAt: T0 } });
    // The losers of the batch were answered from its row: no read each.
    expect(sent).toHaveLength(1);
    expect(await readConsumedAt(code.hash)).toBe(T0);
  });

  test('duplicates, distinct, unknown and used codes in one batch: each exchange told what the lone statement would tell it', async () => {
    const user = await newUser();
    const [a, b, c, used] = [await newCode(user), await newCode(user), await newCode(), await newCode(user)];
    expect((await consume(used.hash, T0 - 5)).outcome).toBe('consumed');
    const unknown = sha256Hex('no such code');
    const asked = [a, b, a, unknown, c, used, c, a, unknown, b].map((x) => (typeof x === 'string' ? x : x.hash));
    const { result, sent } = await statements(() => Promise.all(asked.map((hash, i) => consume(hash, T0 + i))));
    expect(batchUpdates(sent)).toHaveLength(1);
    expect(loneUpdates(sent)).toHaveLength(0);
    expect(outcomes(result)).toEqual([
      'consumed', 'consumed', 'already_consumed', 'not_found', 'consumed', 'already_consumed', 'already_consumed', 'already_consumed', 'not_found', 'already_consumed',
    ]);
    // Each winner at its own time, every loser with the winner's record.
    expect(result[0]).toEqual({ outcome: 'consumed', record: { ...a, consumedAt: T0 }, userActive: true });
    expect(result[1]).toEqual({ outcome: 'consumed', record: { ...b, consumedAt: T0 + 1 }, userActive: true });
    expect(result[4]).toEqual({ outcome: 'consumed', record: { ...c, consumedAt: T0 + 4 }, userActive: true });
    for (const i of [2, 7]) expect(result[i]).toEqual({ outcome: 'already_consumed', record: { ...a, consumedAt: T0 } });
    expect(result[9]).toEqual({ outcome: 'already_consumed', record: { ...b, consumedAt: T0 + 1 } });
    expect(result[6]).toEqual({ outcome: 'already_consumed', record: { ...c, consumedAt: T0 + 4 } });
    expect(result[5]).toEqual({ outcome: 'already_consumed', record: { ...used, consumedAt: T0 - 5 } });
    for (const [hash, at] of [[a.hash, T0], [b.hash, T0 + 1], [c.hash, T0 + 4], [used.hash, T0 - 5]] as const) expect(await readConsumedAt(hash)).toBe(at);
  });

  test('one code in two batches in flight at once: exactly one winner of all', async () => {
    const code = await newCode();
    const other = await newCode();
    // Both batches wait on the server for the row, then run one after the other: the second must see the first's consumption.
    const lock = await lockCode(code.hash, 'select');
    const observer = new pg.Client(database.url);
    await observer.connect();
    try {
      const { result, sent } = await statements(async () => {
        // More than a batch holds (64): two batches, both in flight.
        const asked = Array.from({ length: 100 }, (_, i) => consume(i === 70 ? other.hash : code.hash, T0 + i));
        await waitingBatch(observer);
        for (let i = 0; i < 500; i++) {
          const { rows } = await observer.query("select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%set consumed_at = h.now%'");
          if (rows[0].n === 2) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await lock.release();
        return Promise.all(asked);
      });
      expect(batchUpdates(sent)).toHaveLength(2);
      expect(loneUpdates(sent)).toHaveLength(0);
      const mine = result.filter((_, i) => i !== 70);
      expect(outcomes(mine).filter((o) => o === 'consumed')).toHaveLength(1);
      expect(outcomes(mine).filter((o) => o === 'already_consumed')).toHaveLength(98);
      const at = await readConsumedAt(code.hash);
      for (const r of mine) expect(r.outcome === 'not_found' ? null : r.record.consumedAt).toBe(at);
      expect(result[70]).toEqual({ outcome: 'consumed', record: { ...other, consumedAt: T0 + 70 }, userActive: true });
    } finally {
      await observer.end();
    }
  });

  test('the statement looks each code up by its key, whatever the size of the table when its plan was made', async () => {
    const [a, b] = [await newCode(), await newCode()];
    const { sent } = await statements(() => Promise.all([consume(a.hash, T0), consume(b.hash, T0)]));
    const [update] = batchUpdates(sent);
    const client = new pg.Client(database.url);
    await client.connect();
    try {
      await client.query('set plan_cache_mode = force_generic_plan');
      await client.query(`prepare consume_all(varchar[], bigint[]) as ${update!}`);
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`explain execute consume_all('{a,b}', '{1,2}')`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan using auth_codes_pkey on auth_codes/);
      expect(plan).toMatch(/Tid Scan on auth_codes/);
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      await client.end();
    }
  });

  test('a code alone in its turn takes the lone statement', async () => {
    const code = await newCode();
    const { result, sent } = await statements(() => consume(code.hash, T0));
    expect(result).toEqual({ outcome: 'consumed', record: { ...code, consumedAt: T0 }, userActive: true });
    expect(loneUpdates(sent)).toHaveLength(1);
    expect(batchUpdates(sent)).toHaveLength(0);
  });

  test("the winner learns whether the code's user is still active", async () => {
    const blocked = await newUser();
    const [mine, theirs] = [await newCode(blocked), await newCode()];
    await s.updateUser(blocked.id, { status: 'blocked' });
    const { result, sent } = await statements(() => Promise.all([consume(mine.hash, T0), consume(theirs.hash, T0)]));
    expect(batchUpdates(sent)).toHaveLength(1);
    expect(result).toEqual([
      { outcome: 'consumed', record: { ...mine, consumedAt: T0 }, userActive: false },
      { outcome: 'consumed', record: { ...theirs, consumedAt: T0 }, userActive: true },
    ]);
  });

  test('codes consumed in a unit are not batched: they are its transaction\'s, and go with its rollback', async () => {
    const [a, b] = [await newCode(), await newCode()];
    const { result, sent } = await statements(() => s.atomically(async () => {
      const both = await Promise.all([consume(a.hash, T0), consume(b.hash, T0)]);
      expect(outcomes(both)).toEqual(['consumed', 'consumed']);
      throw new Error('rolled back');
    }).catch((err: unknown) => err));
    expect((result as Error).message).toBe('rolled back');
    expect(batchUpdates(sent)).toHaveLength(0);
    expect(await readConsumedAt(a.hash)).toBeNull();
    expect(await readConsumedAt(b.hash)).toBeNull();
  });

  test('a code whose row another statement changed under the batch is still consumed, once, by the lone statement', async () => {
    const [a, b] = [await newCode(), await newCode()];
    const lock = await lockCode(a.hash, 'update');
    const observer = new pg.Client(database.url);
    await observer.connect();
    try {
      const { result, sent } = await statements(async () => {
        const asked = [consume(a.hash, T0), consume(b.hash, T0 + 1), consume(a.hash, T0 + 2)];
        await waitingBatch(observer);
        await lock.release();
        return Promise.all(asked);
      });
      expect(batchUpdates(sent)).toHaveLength(1);
      expect(result[1]).toEqual({ outcome: 'consumed', record: { ...b, consumedAt: T0 + 1 }, userActive: true });
      // Both of a's exchanges missed it in the batch and read it: whichever found it unused raced for it on its own.
      expect(loneUpdates(sent).length).toBeGreaterThanOrEqual(1);
      expect(loneUpdates(sent).length).toBeLessThanOrEqual(2);
      expect(outcomes([result[0]!, result[2]!]).sort()).toEqual(['already_consumed', 'consumed']);
      const at = await readConsumedAt(a.hash);
      expect([T0, T0 + 2]).toContain(at);
      for (const r of [result[0]!, result[2]!]) expect(r.outcome === 'not_found' ? null : r.record.consumedAt).toBe(at);
    } finally {
      await observer.end();
    }
  });

  test('a batch the server refuses is tried again code by code: each exchange gets its own answer, once', async () => {
    const [a, b] = [await newCode(), await newCode()];
    const lock = await lockCode(a.hash, 'select');
    const observer = new pg.Client(database.url);
    await observer.connect();
    try {
      const { result, sent } = await statements(async () => {
        const asked = [consume(a.hash, T0), consume(b.hash, T0 + 1), consume(a.hash, T0 + 2)];
        // Cancelled while it waits: the server ends the statement with an ERROR, and rolls it back.
        await observer.query('select pg_cancel_backend($1)', [await waitingBatch(observer)]);
        await lock.release();
        return Promise.allSettled(asked);
      });
      expect(result.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const [ra, rb, ra2] = result.map((r) => (r as PromiseFulfilledResult<CodeConsumeResult>).value);
      expect(batchUpdates(sent)).toHaveLength(1);
      expect(loneUpdates(sent)).toHaveLength(3);
      expect(rb).toEqual({ outcome: 'consumed', record: { ...b, consumedAt: T0 + 1 }, userActive: true });
      expect(outcomes([ra!, ra2!]).sort()).toEqual(['already_consumed', 'consumed']);
      expect(await readConsumedAt(b.hash)).toBe(T0 + 1);
    } finally {
      await observer.end();
    }
  });

  test('a batch whose connection is lost fails every exchange of it, once; none of its codes is consumed', async () => {
    const [a, b, c] = [await newCode(), await newCode(), await newCode()];
    const lock = await lockCode(a.hash, 'select');
    const observer = new pg.Client(database.url);
    await observer.connect();
    try {
      const { result, sent } = await statements(async () => {
        // Settled as they fail: the failures can come before the termination's own answer does.
        const asked = Promise.allSettled([consume(a.hash, T0), consume(b.hash, T0), consume(a.hash, T0), consume(c.hash, T0)]);
        await observer.query('select pg_terminate_backend($1)', [await waitingBatch(observer)]);
        const settled = await asked;
        await lock.release();
        return settled;
      });
      expect(result.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
      expect(batchUpdates(sent)).toHaveLength(1);
      expect(loneUpdates(sent)).toHaveLength(0);
      for (const code of [a, b, c]) expect(await readConsumedAt(code.hash)).toBeNull();
      // The pool goes on with a new connection: the codes can still be exchanged, once.
      const again = await Promise.all([consume(a.hash, T0 + 1), consume(b.hash, T0 + 1), consume(c.hash, T0 + 1), consume(a.hash, T0 + 1)]);
      expect(outcomes(again)).toEqual(['consumed', 'consumed', 'consumed', 'already_consumed']);
    } finally {
      await observer.end();
    }
  });
});
