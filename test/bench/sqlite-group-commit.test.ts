/**
 * SQLite group commit (src/storage/sqlite-group-commit.ts), the fix that came
 * out of issue 11's profile of /token: statements share one COMMIT per turn of
 * the event loop, yet no result is released before the COMMIT that makes it
 * durable, conditional updates keep one winner, and Kysely transactions still
 * run alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GroupCommitSqliteDialect } from '../../src/storage/sqlite-group-commit.js';

interface Db {
  items: { id: string; taken_at: number | null };
}

let dir: string;
let file: string;
let raw: SQLite.Database;
let db: Kysely<Db>;
/** A second connection, as another process would have: it sees only what is committed. */
let observer: SQLite.Database;
let commits: number;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-group-commit-'));
  file = path.join(dir, 'db.sqlite');
  raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 5000');
  commits = 0;
  // Commits are counted however the driver makes them: `exec('commit')` or a prepared `commit` statement.
  const exec = raw.exec.bind(raw);
  raw.exec = ((source: string) => {
    if (/^commit$/i.test(source)) commits++;
    return exec(source);
  }) as typeof raw.exec;
  const prepare = raw.prepare.bind(raw);
  raw.prepare = ((source: string) => {
    const statement = prepare(source);
    if (!/^commit$/i.test(source)) return statement;
    const run = statement.run.bind(statement);
    statement.run = ((...parameters: unknown[]) => {
      commits++;
      return run(...parameters);
    }) as typeof statement.run;
    return statement;
  }) as typeof raw.prepare;
  db = new Kysely<Db>({ dialect: new GroupCommitSqliteDialect(raw) });
  await sql`create table items (id text primary key, taken_at integer)`.execute(db);
  observer = new SQLite(file, { readonly: true });
  commits = 0;
});

afterEach(async () => {
  observer.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const committed = (id: string) => observer.prepare('select count(*) as n from items where id = ?').get(id) as { n: number };

test('concurrent writes share commits, and each is committed before its promise resolves', async () => {
  const seenAtResolve: number[] = [];
  await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      db.insertInto('items').values({ id: `i${i}`, taken_at: null }).execute().then(() => {
        seenAtResolve.push(committed(`i${i}`).n);
      }),
    ),
  );
  expect(seenAtResolve).toEqual(Array(200).fill(1));
  expect(commits).toBeGreaterThan(0);
  expect(commits).toBeLessThan(20);
});

test('a read issued while a group is open is released only after that group is durable', async () => {
  // Uncontended, the group opens at once: the read, issued after the write, sees it.
  const write = db.insertInto('items').values({ id: 'a', taken_at: null }).execute();
  const rows = await db.selectFrom('items').selectAll().execute();
  expect(rows.map((r) => r.id)).toEqual(['a']);
  expect(committed('a').n).toBe(1);
  await write;
});

test('a failing statement fails alone; the rest of its group commits', async () => {
  await db.insertInto('items').values({ id: 'dup', taken_at: null }).execute();
  const results = await Promise.allSettled([
    db.insertInto('items').values({ id: 'x1', taken_at: null }).execute(),
    db.insertInto('items').values({ id: 'dup', taken_at: null }).execute(),
    db.insertInto('items').values({ id: 'x2', taken_at: null }).execute(),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect([committed('x1').n, committed('x2').n]).toEqual([1, 1]);
});

test('a conditional update has exactly one winner among concurrent callers (single-use codes)', async () => {
  await db.insertInto('items').values({ id: 'code', taken_at: null }).execute();
  const winners = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      db.updateTable('items').set({ taken_at: i }).where('id', '=', 'code').where('taken_at', 'is', null).returningAll().executeTakeFirst(),
    ),
  );
  expect(winners.filter((w) => w !== undefined)).toHaveLength(1);
});

test('a second connection in the same process waits for the lock without blocking the event loop', async () => {
  const other = new Kysely<Db>({ dialect: new GroupCommitSqliteDialect(new SQLite(file, { timeout: 2000 })) });
  try {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? db : other).insertInto('items').values({ id: `c${i}`, taken_at: null }).execute()),
    );
    expect((observer.prepare('select count(*) as n from items').get() as { n: number }).n).toBe(40);
  } finally {
    await other.destroy();
  }
});

test('a transaction runs alone after the open group commits; a rollback undoes only the transaction', async () => {
  const before = db.insertInto('items').values({ id: 'before', taken_at: null }).execute();
  let outsideDone = false;
  const failed = db.transaction().execute(async (trx) => {
    expect(committed('before').n).toBe(1);
    await trx.insertInto('items').values({ id: 'inside', taken_at: null }).execute();
    // A statement from outside the transaction waits until it ends.
    void db.insertInto('items').values({ id: 'outside', taken_at: null }).execute().then(() => (outsideDone = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(outsideDone).toBe(false);
    throw new Error('roll back');
  });
  await expect(failed).rejects.toThrow('roll back');
  await before;
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(outsideDone).toBe(true);
  expect([committed('before').n, committed('inside').n, committed('outside').n]).toEqual([1, 0, 1]);
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('items').values({ id: 'kept', taken_at: null }).execute();
  });
  expect(committed('kept').n).toBe(1);
});

test('a pragma runs outside any group (settings cannot change inside a transaction)', async () => {
  const write = db.insertInto('items').values({ id: 'p', taken_at: null }).execute();
  await sql`pragma synchronous = NORMAL`.execute(db);
  await write;
  expect(committed('p').n).toBe(1);
  expect(raw.pragma('synchronous', { simple: true })).toBe(1);
});

describe('with a second connection for reads (as Gatehouse opens SQLite)', () => {
  let withReader: Kysely<Db>;

  beforeEach(() => {
    const writer = new SQLite(file);
    writer.pragma('busy_timeout = 5000');
    const reader = new SQLite(file);
    reader.pragma('query_only = ON');
    withReader = new Kysely<Db>({ dialect: new GroupCommitSqliteDialect(writer, reader) });
  });

  afterEach(async () => {
    await withReader.destroy();
  });

  test('a read runs at once and sees only what is committed', async () => {
    const write = withReader.insertInto('items').values({ id: 'w', taken_at: null }).execute();
    const during = await withReader.selectFrom('items').selectAll().execute();
    expect(during).toEqual([]);
    await write;
    expect(committed('w').n).toBe(1);
    expect((await withReader.selectFrom('items').selectAll().execute()).map((r) => r.id)).toEqual(['w']);
  });

  test('writes are still grouped, each committed before it resolves, and conditional updates have one winner', async () => {
    const seen: number[] = [];
    await Promise.all(Array.from({ length: 100 }, (_, i) => withReader.insertInto('items').values({ id: `r${i}`, taken_at: null }).execute().then(() => seen.push(committed(`r${i}`).n))));
    expect(seen).toEqual(Array(100).fill(1));
    const winners = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withReader.updateTable('items').set({ taken_at: i }).where('id', '=', 'r0').where('taken_at', 'is', null).returningAll().executeTakeFirst(),
      ),
    );
    expect(winners.filter((w) => w !== undefined)).toHaveLength(1);
  });

  test('a transaction sees its own writes; others see them once it commits', async () => {
    await withReader.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id: 't', taken_at: null }).execute();
      expect((await trx.selectFrom('items').selectAll().execute()).map((r) => r.id)).toEqual(['t']);
      expect(await withReader.selectFrom('items').selectAll().execute()).toEqual([]);
    });
    expect((await withReader.selectFrom('items').selectAll().execute()).map((r) => r.id)).toEqual(['t']);
  });
});
