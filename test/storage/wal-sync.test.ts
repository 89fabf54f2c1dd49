/**
 * SQLite's per-commit sync of the write-ahead log, taken off the event loop
 * (src/storage/sqlite-group-commit.ts, src/storage/wal-sync-worker.ts): the
 * writing connection runs at `synchronous = NORMAL`, and the driver releases
 * a write (a group's statements, a transaction's commit) only once a sync of
 * the `-wal` file that started after its commit has finished. Here the sync
 * is held open by the test, then the real worker thread is checked end to end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openKysely, sqliteFile } from '../../src/storage/open.js';
import {
  BACKSTOP_FACTOR, GroupCommitSqliteDialect, WorkerWalCheckpointer, WorkerWalSyncer,
  type CheckpointReport, type WalCheckpointer, type WalSyncer,
} from '../../src/storage/sqlite-group-commit.js';
import { startGatehouse } from '../helpers/gatehouse.js';

interface Db {
  items: { id: string; taken_at: number | null };
}

/** A syncer whose syncs the test finishes (or fails) by hand. */
class HeldSyncer implements WalSyncer {
  readonly syncs: { resolve(): void; reject(err: unknown): void }[] = [];
  closed = false;

  sync(): Promise<void> {
    return new Promise((resolve, reject) => this.syncs.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

let dir: string;
let file: string;
let writer: SQLite.Database;
let held: HeldSyncer;
let dialect: GroupCommitSqliteDialect;
let db: Kysely<Db>;
/** Another connection, as another process would have: it sees what is committed, durable or not. */
let observer: SQLite.Database;

const ROOT = path.resolve(import.meta.dirname, '../..');

function openWriter(synchronous: 'NORMAL' | 'FULL'): SQLite.Database {
  const conn = new SQLite(file);
  conn.pragma('journal_mode = WAL');
  conn.pragma(`synchronous = ${synchronous}`);
  conn.pragma('busy_timeout = 5000');
  return conn;
}

function openReader(): SQLite.Database {
  const reader = new SQLite(file);
  reader.pragma('query_only = ON');
  return reader;
}

const committed = (id: string) => (observer.prepare('select count(*) as n from items where id = ?').get(id) as { n: number }).n;

/** 'pending' when the promise has not settled after a few turns of the event loop. */
async function state(p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  return Promise.race([
    p.then(() => 'resolved' as const, () => 'rejected' as const),
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 30)),
  ]);
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-wal-sync-'));
  file = path.join(dir, 'db.sqlite');
  const setup = openWriter('NORMAL');
  setup.exec('create table items (id text primary key, taken_at integer)');
  setup.close();
  observer = new SQLite(file, { readonly: true });
});

afterEach(() => {
  observer.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('with the sync held open by the test', () => {
  beforeEach(() => {
    writer = openWriter('NORMAL');
    held = new HeldSyncer();
    dialect = new GroupCommitSqliteDialect(writer, openReader(), { syncer: held });
    db = new Kysely<Db>({ dialect });
  });

  afterEach(async () => {
    for (const s of held.syncs) s.resolve();
    await db.destroy();
  });

  test('a write is committed at once but released only when the sync that covers it finishes', async () => {
    const write = db.insertInto('items').values({ id: 'a', taken_at: null }).execute();
    await until(() => held.syncs.length === 1);
    // Committed (another connection sees it), not yet acknowledged.
    expect(committed('a')).toBe(1);
    expect(await state(write)).toBe('pending');
    held.syncs[0]!.resolve();
    expect(await state(write)).toBe('resolved');
  });

  test('commits made while a sync is in flight wait for the next one, which covers them together', async () => {
    const first = db.insertInto('items').values({ id: 'a', taken_at: null }).execute();
    await until(() => held.syncs.length === 1);
    // The event loop keeps serving: a transaction commits, and writes run, while the first sync is in flight.
    const trx = db.transaction().execute((t) => t.insertInto('items').values({ id: 't', taken_at: null }).execute());
    await until(() => committed('t') === 1);
    const second = db.insertInto('items').values({ id: 'b', taken_at: null }).execute();
    const third = db.insertInto('items').values({ id: 'c', taken_at: null }).execute();
    await until(() => writer.inTransaction);
    expect(held.syncs).toHaveLength(1); // one sync at a time
    // The group gathering b and c stays open while the sync runs: committed now, it would wait all the same.
    expect(committed('b')).toBe(0);
    held.syncs[0]!.resolve();
    expect(await state(first)).toBe('resolved');
    // The first sync started before t, b and c were committed: it does not cover them.
    expect(await Promise.all([state(trx), state(second), state(third)])).toEqual(['pending', 'pending', 'pending']);
    expect([committed('b'), committed('c')]).toEqual([1, 1]);
    expect(held.syncs).toHaveLength(2);
    held.syncs[1]!.resolve();
    expect(await Promise.all([state(trx), state(second), state(third)])).toEqual(['resolved', 'resolved', 'resolved']);
    expect(held.syncs).toHaveLength(2);
  });

  test("a transaction's commit waits for its sync; reads and writes go on meanwhile", async () => {
    const trx = db.transaction().execute(async (t) => {
      await t.insertInto('items').values({ id: 't', taken_at: null }).execute();
    });
    await until(() => held.syncs.length === 1);
    expect(committed('t')).toBe(1);
    expect(await state(trx)).toBe('pending');
    // The write lock is free: another write runs while the transaction's sync is in flight.
    const other = db.insertInto('items').values({ id: 'o', taken_at: null }).execute();
    await until(() => writer.inTransaction);
    expect((await db.selectFrom('items').select('id').execute()).map((r) => r.id)).toEqual(['t']);
    held.syncs[0]!.resolve();
    expect(await state(trx)).toBe('resolved');
    expect(await state(other)).toBe('pending');
    expect(committed('o')).toBe(1);
    await until(() => held.syncs.length === 2);
    held.syncs[1]!.resolve();
    expect(await state(other)).toBe('resolved');
  });

  test('writes and a read made together run in one group, the read seeing the writes; all are released when the sync covering them finishes', async () => {
    const before = db.insertInto('items').values({ id: 'x', taken_at: null }).execute();
    await until(() => held.syncs.length === 1);
    const insert = (id: string) => CompiledQuery.raw('insert into items (id, taken_at) values (?, null)', [id]);
    const together = dialect.writeThenRead([insert('a'), insert('b')], CompiledQuery.raw("select count(*) as n, max(id) as last from items where id in ('a', 'b', 'x')"));
    // They gather in the group that stays open during the first sync; the read ran with them, on the writing connection.
    await until(() => writer.inTransaction);
    expect(committed('a')).toBe(0);
    held.syncs[0]!.resolve();
    expect(await state(before)).toBe('resolved');
    expect(await state(together)).toBe('pending');
    expect([committed('a'), committed('b')]).toEqual([1, 1]);
    await until(() => held.syncs.length === 2);
    held.syncs[1]!.resolve();
    expect(await together).toEqual([3, 'x']);
  });

  test('of writes made together with a read, a failing one is thrown and what follows it does not run', async () => {
    const first = db.insertInto('items').values({ id: 'dup', taken_at: null }).execute();
    await until(() => held.syncs.length === 1);
    held.syncs[0]!.resolve();
    await first;
    const insert = (id: string) => CompiledQuery.raw('insert into items (id, taken_at) values (?, null)', [id]);
    const together = dialect.writeThenRead([insert('dup'), insert('after')], CompiledQuery.raw('select count(*) from items'));
    await expect(together).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    // Another write of the same group is not affected.
    const other = db.insertInto('items').values({ id: 'other', taken_at: null }).execute();
    await until(() => held.syncs.length === 2);
    held.syncs[1]!.resolve();
    expect(await state(other)).toBe('resolved');
    expect([committed('after'), committed('other')]).toEqual([0, 1]);
  });

  test('writes made together with a read run when their group commits, after its other statements, one request after another; a failing one fails alone', async () => {
    const first = db.insertInto('items').values({ id: 'x', taken_at: null }).execute();
    await until(() => held.syncs.length === 1);
    const insert = (id: string) => CompiledQuery.raw('insert into items (id, taken_at) values (?, null)', [id]);
    const count = (ids: string[]) => CompiledQuery.raw(`select count(*) from items where id in (${ids.map(() => '?').join(', ')})`, ids);
    // Gathered while the first sync runs: the group stays open until it ends.
    const a = dialect.writeThenRead([insert('a')], count(['a', 'other']));
    await until(() => writer.inTransaction);
    const other = db.insertInto('items').values({ id: 'other', taken_at: null }).execute();
    // It runs at once, in the open group (the writing connection sees its own transaction).
    await until(() => writer.prepare("select count(*) from items where id = 'other'").pluck().get() === 1);
    const dup = dialect.writeThenRead([insert('x'), insert('never')], count(['never']));
    const b = dialect.writeThenRead([insert('b')], count(['a', 'b', 'other', 'never']));
    held.syncs[0]!.resolve();
    await first;
    await expect(dup).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    await until(() => held.syncs.length === 2);
    expect(await Promise.all([state(a), state(b), state(other)])).toEqual(['pending', 'pending', 'pending']);
    held.syncs[1]!.resolve();
    // a ran after `other`, which was asked for later but ran at once; b after a, and nothing of dup's was kept.
    expect(await a).toEqual([2]);
    expect(await b).toEqual([3]);
    expect([committed('a'), committed('b'), committed('other'), committed('never')]).toEqual([1, 1, 1, 0]);
  });

  test('a group whose every statement failed is not synced, and a transaction committed meanwhile still gets its sync', async () => {
    const first = db.insertInto('items').values({ id: 'x', taken_at: null }).execute();
    await until(() => held.syncs.length === 1);
    const trx = db.transaction().execute((t) => t.insertInto('items').values({ id: 't', taken_at: null }).execute());
    await until(() => committed('t') === 1);
    const dup = dialect.writeThenRead([CompiledQuery.raw("insert into items (id, taken_at) values ('x', null)")], CompiledQuery.raw('select 1'));
    await until(() => writer.inTransaction);
    held.syncs[0]!.resolve();
    await first;
    await expect(dup).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    // The transaction's commit came after the first sync began: the next sync covers it.
    await until(() => held.syncs.length === 2);
    expect(await state(trx)).toBe('pending');
    held.syncs[1]!.resolve();
    expect(await state(trx)).toBe('resolved');
    expect(held.syncs).toHaveLength(2);
  });

  test('reads do not wait for a sync', async () => {
    const write = db.insertInto('items').values({ id: 'r', taken_at: null }).execute();
    await until(() => held.syncs.length === 1);
    expect((await db.selectFrom('items').select('id').execute()).map((r) => r.id)).toEqual(['r']);
    expect(await state(write)).toBe('pending');
  });

  test('a pragma that writes outside any transaction waits for a sync too', async () => {
    const pragma = sql`pragma user_version = 7`.execute(db);
    await until(() => held.syncs.length === 1);
    expect(await state(pragma)).toBe('pending');
    held.syncs[0]!.resolve();
    expect(await state(pragma)).toBe('resolved');
    expect(observer.pragma('user_version', { simple: true })).toBe(7);
  });

  test('a failed sync rejects the writes waiting on it, and every write after it is refused until a restart; reads go on', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    const first = db.insertInto('items').values({ id: 'a', taken_at: null }).execute();
    await until(() => held.syncs.length === 1);
    expect(dialect.writesRefused()).toBeNull();
    held.syncs[0]!.reject(eio);
    await expect(first).rejects.toMatchObject({ code: 'EIO' });
    // What the probes answer with (src/http/routes/health.ts).
    expect(dialect.writesRefused()).toMatchObject({ code: 'SQLITE_IOERR', message: expect.stringMatching(/refused until Gatehouse is restarted/) });
    // A later sync that succeeded would not prove the log before it reached the disk: nothing more is written.
    await expect(db.insertInto('items').values({ id: 'b', taken_at: null }).execute()).rejects.toMatchObject({ code: 'SQLITE_IOERR' });
    await expect(db.updateTable('items').set({ taken_at: 1 }).execute()).rejects.toMatchObject({ code: 'SQLITE_IOERR' });
    await expect(db.transaction().execute(async (trx) => trx.insertInto('items').values({ id: 'c', taken_at: null }).execute()))
      .rejects.toMatchObject({ code: 'SQLITE_IOERR' });
    expect(held.syncs.length).toBe(1);
    expect(committed('b')).toBe(0);
    expect((await db.selectFrom('items').select('id').execute()).map((r) => r.id)).toEqual(['a']);
  });

  test('a write gathered while the failing sync ran is undone and refused; the failed transaction\'s rollback touches nothing', async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('items').values({ id: 't', taken_at: null }).execute();
    const commit = trx.commit().execute();
    await until(() => held.syncs.length === 1);
    // The next group opens and gathers while the sync runs.
    const next = db.insertInto('items').values({ id: 'n', taken_at: null }).execute();
    for (let i = 0; i < 1000 && !writer.inTransaction; i++) await Promise.resolve();
    expect(writer.inTransaction).toBe(true);
    held.syncs[0]!.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await expect(commit).rejects.toMatchObject({ code: 'EIO' });
    await expect(next).rejects.toMatchObject({ code: 'SQLITE_IOERR' });
    expect(writer.inTransaction).toBe(false);
    // As Kysely's transaction().execute() answers a failed commit.
    await trx.rollback().execute();
    expect([committed('t'), committed('n')]).toEqual([1, 0]);
    expect(held.syncs.length).toBe(1);
  });

  test('writes and a read gathered while the failing sync ran are refused, and none of them is kept', async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('items').values({ id: 't', taken_at: null }).execute();
    const commit = trx.commit().execute();
    await until(() => held.syncs.length === 1);
    const insert = (id: string) => CompiledQuery.raw('insert into items (id, taken_at) values (?, null)', [id]);
    const next = dialect.writeThenRead([insert('n')], CompiledQuery.raw('select count(*) from items'));
    for (let i = 0; i < 1000 && !writer.inTransaction; i++) await Promise.resolve();
    expect(writer.inTransaction).toBe(true);
    held.syncs[0]!.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await expect(commit).rejects.toMatchObject({ code: 'EIO' });
    await expect(next).rejects.toMatchObject({ code: 'SQLITE_IOERR' });
    await trx.rollback().execute();
    expect([committed('t'), committed('n')]).toEqual([1, 0]);
  });

  test('closing waits for the syncs in flight, then closes the syncer', async () => {
    const write = db.insertInto('items').values({ id: 'a', taken_at: null }).execute();
    await until(() => held.syncs.length === 1);
    const closing = db.destroy();
    expect(await state(closing)).toBe('pending');
    held.syncs[0]!.resolve();
    await closing;
    expect(await state(write)).toBe('resolved');
    expect(held.closed).toBe(true);
  });
});

describe('a server whose log sync failed', () => {
  /** Syncs succeed until the test sets `failure` (no disk work: what matters here is the answer). */
  class FailingSyncer implements WalSyncer {
    failure: Error | null = null;

    async sync(): Promise<void> {
      if (this.failure !== null) throw this.failure;
    }

    async close(): Promise<void> {}
  }

  test('answers 503 on /healthz and /readyz, saying writes are refused until a restart; reads go on', async () => {
    const syncer = new FailingSyncer();
    // SQLite whatever engine the suite runs on: the refusal is its driver's.
    const gh = await startGatehouse({ config: { databaseUrl: '' }, walSyncer: syncer });
    try {
      for (const probe of ['/healthz', '/readyz']) {
        const res = await fetch(`${gh.url}${probe}`);
        expect([probe, res.status, await res.json()]).toEqual([probe, 200, { status: 'ok' }]);
      }
      syncer.failure = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      // The write fails (its row is committed but not durable: users.ts then reports the login as taken).
      await expect(gh.createUser()).rejects.toThrow();
      for (const probe of ['/healthz', '/readyz']) {
        const res = await fetch(`${gh.url}${probe}`);
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await res.json()).toEqual({
          status: 'writes_refused',
          error_description: 'the database log could not be synced to disk: changes are refused until Gatehouse is restarted (check the disk)',
        });
      }
      // Reads still answer, and every write is refused.
      expect((await fetch(`${gh.url}/.well-known/openid-configuration`)).status).toBe(200);
      await expect(gh.createUser()).rejects.toMatchObject({ code: 'SQLITE_IOERR' });
    } finally {
      await gh.close();
    }
  });
});

describe('when SQLite syncs at each commit itself, or there is no log', () => {
  test('synchronous = FULL: commits are released at once and the syncer is never used', async () => {
    const syncer = new HeldSyncer();
    const full = new Kysely<Db>({ dialect: new GroupCommitSqliteDialect(openWriter('FULL'), openReader(), { syncer }) });
    try {
      await full.insertInto('items').values({ id: 'f', taken_at: null }).execute();
      await full.transaction().execute((t) => t.insertInto('items').values({ id: 'g', taken_at: null }).execute());
      expect(syncer.syncs).toHaveLength(0);
      // Switching to NORMAL through the driver hands the sync to the syncer (the pragma itself waits for one).
      const pragma = sql`pragma synchronous = NORMAL`.execute(full);
      await until(() => syncer.syncs.length === 1);
      syncer.syncs[0]!.resolve();
      await pragma;
      const write = full.insertInto('items').values({ id: 'h', taken_at: null }).execute();
      await until(() => syncer.syncs.length === 2);
      expect(await state(write)).toBe('pending');
      syncer.syncs[1]!.resolve();
      await write;
    } finally {
      await full.destroy();
    }
  });

  test('an in-memory database: no log, no syncer', async () => {
    const syncer = new HeldSyncer();
    const memory = new SQLite(':memory:');
    memory.pragma('synchronous = NORMAL');
    const mem = new Kysely<Db>({ dialect: new GroupCommitSqliteDialect(memory, null, { syncer }) });
    try {
      await sql`create table items (id text primary key, taken_at integer)`.execute(mem);
      await mem.insertInto('items').values({ id: 'm', taken_at: null }).execute();
      expect(syncer.syncs).toHaveLength(0);
    } finally {
      await mem.destroy();
    }
  });
});

describe('checkpoints, off the event loop', () => {
  /** The real checkpoint thread, its reports kept. */
  class Recording implements WalCheckpointer {
    readonly reports: CheckpointReport[] = [];
    private readonly inner = new WorkerWalCheckpointer(file);

    private inFlight: Promise<unknown> = Promise.resolve();

    async checkpoint(): Promise<CheckpointReport> {
      const asked = this.inner.checkpoint();
      this.inFlight = asked.catch(() => {});
      const report = await asked;
      this.reports.push(report);
      return report;
    }

    /** Resolves once the checkpoint asked for last, if any, is over. */
    settled(): Promise<unknown> {
      return this.inFlight;
    }

    close(): Promise<void> {
      return this.inner.close();
    }
  }

  /** Rows of about 2 kB: each group of ten writes a dozen pages to the log (the table's and its key's). */
  const big = (i: number) => `${i}:${'x'.repeat(2000)}`;

  test('the checkpoint thread keeps the log short; the writing connection only keeps a backstop, and every write survives', async () => {
    const checkpointer = new Recording();
    const writer = openWriter('NORMAL');
    // Checkpoints every ~1,000 pages, the backstop at 3,000: the test writes some 7,000.
    const checkpointPages = 1000;
    const kysely = new Kysely<Db>({ dialect: new GroupCommitSqliteDialect(writer, openReader(), { checkpointer, checkpointPages }) });
    const pageSize = Number(writer.pragma('page_size', { simple: true }));
    let largest = 0;
    try {
      await sql`select 1`.execute(kysely);
      expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_FACTOR * checkpointPages);
      for (let batch = 0; batch < 600; batch++) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => kysely.insertInto('items').values({ id: big(batch * 10 + i), taken_at: null }).execute()));
        largest = Math.max(largest, statSync(`${file}-wal`).size);
        // Writes that outrun the thread (a loaded machine) are what the backstop is for; here the thread is given
        // the time it needs, so that what is measured is where its checkpoints leave the log.
        await checkpointer.settled();
      }
      // Some 7,000 pages were written to the log; without checkpoints it would hold them all, and with the backstop alone
      // it would have reached 3,000 pages. Checkpoints come every ~1,000 pages, and run while writes go on.
      expect(checkpointer.reports.length).toBeGreaterThanOrEqual(4);
      expect(checkpointer.reports.some((r) => r.busy === 0 && r.log > 0 && r.checkpointed === r.log)).toBe(true);
      expect(largest).toBeLessThan(2 * checkpointPages * (pageSize + 24));
      expect((observer.prepare('select count(*) as n from items').get() as { n: number }).n).toBe(6000);
    } finally {
      await kysely.destroy();
    }
    const fresh = new SQLite(file, { readonly: true });
    expect((fresh.prepare('select count(*) as n from items').get() as { n: number }).n).toBe(6000);
    fresh.close();
  });

  test('a checkpoint that fails: the writing connection checkpoints by itself again, and writes go on', async () => {
    let asked = 0;
    const failing: WalCheckpointer = {
      checkpoint: async () => {
        asked++;
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      },
      close: async () => {},
    };
    const writer = openWriter('NORMAL');
    const kysely = new Kysely<Db>({ dialect: new GroupCommitSqliteDialect(writer, openReader(), { checkpointer: failing }) });
    try {
      for (let i = 0; i < 40; i++) await kysely.insertInto('items').values({ id: `c${i}`, taken_at: null }).execute();
      expect(asked).toBe(1);
      expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      await kysely.insertInto('items').values({ id: 'after', taken_at: null }).execute();
      expect(committed('after')).toBe(1);
    } finally {
      await kysely.destroy();
    }
  });

  test('without a checkpointer, or when SQLite syncs at each commit, the writing connection keeps its automatic checkpoints', async () => {
    for (const [synchronous, checkpointer] of [['NORMAL', null], ['FULL', undefined]] as const) {
      const writer = openWriter(synchronous);
      const kysely = new Kysely<Db>({ dialect: new GroupCommitSqliteDialect(writer, openReader(), checkpointer === null ? { checkpointer } : {}) });
      try {
        await kysely.insertInto('items').values({ id: synchronous, taken_at: null }).execute();
        expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      } finally {
        await kysely.destroy();
      }
    }
  });
});

describe('the worker thread', () => {
  test('Gatehouse opens SQLite at NORMAL with the -wal file present, and a resolved write is in the file', async () => {
    const dataDir = path.join(dir, 'data');
    const kysely = openKysely({ dataDir, databaseUrl: '' }) as unknown as Kysely<Db>;
    try {
      await sql`create table items (id text primary key, taken_at integer)`.execute(kysely);
      expect(existsSync(`${sqliteFile({ dataDir })}-wal`)).toBe(true);
      expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(kysely)).rows[0]!.synchronous).toBe(1);
      await Promise.all(Array.from({ length: 50 }, (_, i) => kysely.insertInto('items').values({ id: `w${i}`, taken_at: null }).execute()));
      await kysely.transaction().execute((t) => t.insertInto('items').values({ id: 'tx', taken_at: null }).execute());
      // Writes committed and not yet released are settled by destroy(), durable, before it returns.
      const late = Array.from({ length: 20 }, (_, i) => kysely.insertInto('items').values({ id: `late${i}`, taken_at: null }).execute());
      const peek = new SQLite(sqliteFile({ dataDir }), { readonly: true });
      await until(() => (peek.prepare("select count(*) as n from items where id like 'late%'").get() as { n: number }).n === 20);
      peek.close();
      await kysely.destroy();
      expect((await Promise.allSettled(late)).map((r) => r.status)).toEqual(Array(20).fill('fulfilled'));
      const fresh = new SQLite(sqliteFile({ dataDir }), { readonly: true });
      expect((fresh.prepare('select count(*) as n from items').get() as { n: number }).n).toBe(71);
      fresh.close();
    } finally {
      await kysely.destroy().catch(() => {});
    }
  });

  test('a sync that fails in the worker rejects with its error', async () => {
    const syncer = new WorkerWalSyncer(path.join(dir, 'missing', 'db.sqlite-wal'));
    try {
      await expect(syncer.sync()).rejects.toMatchObject({ code: 'ENOENT' });
      // The worker is still there for the next sync.
      await expect(syncer.sync()).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await syncer.close();
    }
  });

  test('a process that writes exits on its own, with or without closing the database (the worker never holds it)', () => {
    for (const close of [true, false]) {
      const script = `
        import { sql } from 'kysely';
        import { openKysely } from './dist/storage/open.js';
        const db = openKysely({ dataDir: ${JSON.stringify(path.join(dir, `proc-${close}`))}, databaseUrl: '' });
        await sql\`create table t (x integer)\`.execute(db);
        await sql\`insert into t values (1)\`.execute(db);
        ${close ? 'await db.destroy();' : ''}
        console.log('written');
      `;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('written');
      expect(result.status).toBe(0);
    }
  });
});
