/**
 * Attempt counters on PostgreSQL commit without waiting for the log to reach
 * the disk (`SqlStorage.countedAhead`). A counter that many requests share
 * (an address's: behind a proxy, every request's) is locked from its
 * statement to the end of its commit; when that commit waited for the disk,
 * every request counted under it waited in line for one sync each, holding a
 * pooled connection that token checks then queued behind.
 *
 * To see which commits wait for the disk, the cluster is told to wait, at
 * each such commit, for a synchronous standby that never connects: those
 * commits are held until the test takes the standby's name back, and the
 * others are not. Its own cluster: the setting holds every database on it.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openStorage } from '../../src/storage/open.js';
import type { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { T0 } from './records.js';

let postgres: RunningPostgres;
let admin: pg.Client;
/** Two stores on one database, as two processes. */
let storage: SqlStorage;
let other: SqlStorage;

const MINUTE = 60_000;

/** Settles with `promise`, or fails after `ms` saying what did not come. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not return in ${ms} ms`)), ms))]);
}

/** Whether `promise` settles (either way) within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  const done = promise.then(() => (settled = true), () => (settled = true));
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, ms))]);
  return settled;
}

let probes = 0;

/** Every new commit that waits for the log waits for the standby `name` (or for none, when null). */
async function standby(name: string | null): Promise<void> {
  await admin.query(name === null ? 'alter system reset synchronous_standby_names' : `alter system set synchronous_standby_names = '${name}'`);
  await admin.query('select pg_reload_conf()');
  // The server reloads its settings in the background: wait until a new session sees the change.
  await expect.poll(async () => {
    const probe = new pg.Client({ connectionString: postgres.url });
    await probe.connect();
    try {
      return (await probe.query<{ synchronous_standby_names: string }>('show synchronous_standby_names')).rows[0]!.synchronous_standby_names;
    } finally {
      await probe.end();
    }
  }, { timeout: 10_000 }).toBe(name ?? '');
  if (name === null) return;
  // Sessions see the setting at once, but commits wait for a standby only once the checkpointer has taken
  // the reload too (it publishes whether any synchronous standby is named), which on a busy machine comes
  // later: commit probes until one is held. The held ones are let go with the setting.
  for (let tries = 0; ; tries++) {
    const probe = new pg.Client({ connectionString: postgres.url });
    await probe.connect();
    const commit = probe.query(`insert into attempt_counters (key, window_start, count) values ('standby-probe-${probes++}', ${T0}, 1)`).finally(() => probe.end());
    if (!(await settlesWithin(commit, 300))) return;
    if (tries === 100) throw new Error('commits never waited for the standby');
  }
}

beforeAll(async () => {
  postgres = await startPostgres({ own: true });
  admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  // The test clusters commit without waiting for the disk (test/helpers/postgres.ts); this database waits, as
  // an operator's does. Set before the stores connect, so that their sessions take it.
  await admin.query('alter database postgres set synchronous_commit = on');
  storage = await openStorage({ dataDir: '/nonexistent', databaseUrl: postgres.url });
  other = await openStorage({ dataDir: '/nonexistent', databaseUrl: postgres.url });
}, 120_000);

afterAll(async () => {
  await storage?.close();
  await other?.close();
  await admin?.end();
  await postgres?.stop();
});

test('an attempt is counted, and seen by another process, while commits that wait for the disk are held', async () => {
  await standby('never_connects');
  try {
    // Any write that waits for the disk is held: the setting took. (A new session: the admin's was opened
    // before the database's setting.)
    const writer = new pg.Client({ connectionString: postgres.url });
    await writer.connect();
    const held = writer.query(`insert into attempt_counters (key, window_start, count) values ('probe', ${T0}, 1)`).finally(() => writer.end());
    expect(await settlesWithin(held, 300), 'a commit that waits for the disk is held').toBe(false);

    const keys = [{ key: 'login:ip:203.0.113.9', windowMs: MINUTE }, { key: 'login:account:alice', windowMs: MINUTE }];
    expect(await within(storage.countAttempts(keys, T0), 5_000, 'a count')).toEqual([1, 1]);
    // The next request from the same address is not queued behind the first one's sync.
    expect(await within(other.countAttempts(keys.slice(0, 1), T0 + 1), 5_000, 'a second count on the same key')).toEqual([2]);
    expect(await other.peekAttempts('login:ip:203.0.113.9', MINUTE, T0 + 2)).toBe(2);
    expect(await storage.peekAttempts('login:account:alice', MINUTE, T0 + 2)).toBe(1);
    await standby(null);
    await held;
  } finally {
    await standby(null);
  }
});

test('inside a unit, a count commits with the unit, which waits for the disk', async () => {
  await standby('never_connects');
  try {
    let done = false;
    const unit = storage.atomically(async () => {
      const counts = await storage.countAttempts([{ key: 'unit:key', windowMs: MINUTE }], T0);
      await storage.resetAttempts('unit:other');
      return counts;
    }).then((counts) => {
      done = true;
      return counts;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(done, 'the unit waits for the disk').toBe(false);
    await standby(null);
    expect(await within(unit, 10_000, 'the unit, once released')).toEqual([1]);
  } finally {
    await standby(null);
  }
});
