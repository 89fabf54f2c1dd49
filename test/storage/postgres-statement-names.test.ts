/**
 * Statements kept prepared by name on PostgreSQL (src/storage/sql/statement-names.ts):
 * Kysely's statements with a kept text go by name, in a transaction and out
 * of one, while every other statement goes as before; and a connection that
 * prepared them before a migration added a column still runs them.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openStorage } from '../../src/storage/open.js';
import { compiledOnce } from '../../src/storage/sql/compiled-once.js';
import type { Database } from '../../src/storage/sql/schema.js';
import { keepPrepared, preparingPool, statementName } from '../../src/storage/sql/statement-names.js';
import type { Storage } from '../../src/storage/storage.js';
import type { Millis, SecretHash } from '../../src/types.js';
import { sha256Hex } from '../../src/crypto/random.js';
import { freshDatabase } from '../helpers/postgres.js';
import { T0, userRecord } from './records.js';

let database: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  database = await freshDatabase(inject('postgresUrl'));
  // The schema, by the storage's own migrations.
  await (await openStorage({ dataDir: '/nonexistent', databaseUrl: database.url })).close();
});
afterAll(async () => {
  await database?.drop();
});

/** The names prepared on the one connection of a pool of one, read on that connection. */
const preparedOn = async (pool: pg.Pool) => (await pool.query<{ name: string }>('select name from pg_prepared_statements')).rows.map((r) => r.name);

describe('Kysely on a preparing pool', () => {
  test('a kept text goes by name, in a transaction and out of one; any other text goes unnamed', async () => {
    // One connection, so that what it has prepared can be read on it.
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
    try {
      const forgive = compiledOnce((key: string) => db.updateTable('attempt_counters').set({ count: sql`count - 1` }).where('key', '=', key), { prepared: true });
      const unkept = compiledOnce((key: string) => db.deleteFrom('attempt_counters').where('key', '=', key));
      expect(await preparedOn(pool)).toEqual([]);
      await db.executeQuery(forgive('ip:1'));
      await db.executeQuery(unkept('ip:1'));
      const name = statementName(forgive('x').sql);
      expect(await preparedOn(pool)).toEqual([name]);
      // Again, and inside a transaction: the same statement, not prepared twice (pg would refuse a second
      // Parse under the same name with another text; with the same text it sends none).
      await db.transaction().execute(async (trx) => {
        await trx.executeQuery(forgive('ip:2'));
      });
      await db.executeQuery(forgive('ip:3'));
      expect(await preparedOn(pool)).toEqual([name]);
      // The statement runs with its new values each time.
      await pool.query(`insert into attempt_counters (key, window_start, count) values ('ip:4', 0, 5)`);
      await db.executeQuery(forgive('ip:4'));
      expect((await pool.query('select count from attempt_counters where key = $1', ['ip:4'])).rows).toEqual([{ count: 4 }]);
    } finally {
      await db.destroy();
    }
  });

  test('a kept statement whose column changed type is refused once; its connection is dropped, and the next one prepares it anew', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
    try {
      await sql`create table retyped (id text primary key, n int not null)`.execute(db);
      await sql`insert into retyped values ('a', 7)`.execute(db);
      const read = compiledOnce((id: string) => (db as unknown as Kysely<{ retyped: { id: string; n: number } }>).selectFrom('retyped').select(['id', 'n']).where('id', '=', id), { prepared: true });
      const run = () => db.executeQuery<{ id: string; n: unknown }>(read('a')).then((r) => r.rows[0]);
      expect(await run()).toEqual({ id: 'a', n: 7 });
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      await other.query('alter table retyped alter column n type text');
      await other.end();
      await expect(run()).rejects.toThrow(/cached plan must not change result type/);
      // Without the connection dropped, every later run on it would be refused the same way.
      expect(await run()).toEqual({ id: 'a', n: '7' });
      expect(await run()).toEqual({ id: 'a', n: '7' });
    } finally {
      await db.destroy();
    }
  });

  test('a connection whose backend is terminated under a statement is dropped, and the next statement answers', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    // As the server's pool (storage/open.ts): a connection that ends is reported to its statements, not thrown.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const pid = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;
      const before = await pid();
      const slow = sql`select pg_sleep(5)`.execute(db).then(() => 'answered', (err: Error) => err);
      // Terminated as a server restart or a failover would end it, while the statement runs.
      await expect.poll(async () => (await admin.query(`select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(5)'`)).rows[0].n).toBe(1);
      await admin.query('select pg_terminate_backend($1)', [before]);
      expect(await slow).toMatchObject({ code: '57P01' });
      expect(await pid()).not.toBe(before);
    } finally {
      await admin.end();
      await db.destroy();
    }
  });

  test('a text that reads `*` back cannot be kept, as a migration could change what `*` means', () => {
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }) });
    const byLogin = compiledOnce((login: string) => db.selectFrom('users').selectAll().where('login', '=', login), { prepared: true });
    expect(() => byLogin('ada')).toThrow(/must list its columns/);
    expect(() => keepPrepared('update tokens set revoked_at = $1 returning *')).toThrow(/must list its columns/);
    // Counting rows is not reading columns.
    expect(() => keepPrepared('select (select count(*) from passkeys where user_id = $1) as keys')).not.toThrow();
    void db.destroy();
  });
});

describe('a password sign-in\'s statements', () => {
  let storage: Storage;
  let other: pg.Client;

  beforeAll(async () => {
    storage = await openStorage({ dataDir: '/nonexistent', databaseUrl: database.url, databasePoolSize: 1 });
    other = new pg.Client({ connectionString: database.url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await storage?.close();
  });

  test('run again on their connection after a migration added columns to the tables they read', async () => {
    const user = userRecord();
    await storage.createUser(user);
    const signIn = async (at: Millis) => {
      const counts = await storage.countAttempts([{ key: `account:${user.login}`, windowMs: 60_000 }, { key: 'ip:198.51.100.7', windowMs: 60_000 }], at);
      expect(counts).toHaveLength(2);
      expect((await storage.findUserByLogin(user.login))?.id).toBe(user.id);
      await storage.atomically(async () => {
        await storage.resetAttempts(`account:${user.login}`);
        await storage.forgiveAttempt('ip:198.51.100.7');
        await storage.twoStep.secondFactorCounts(user.id);
        await storage.createSession({
          hash: sha256Hex(`session ${at}`) as SecretHash, userId: user.id, authTime: at, amr: ['pwd'], createdAt: at, lastSeenAt: at, expiresAt: (at + 3_600_000) as Millis,
          userAgent: 'Firefox', ip: '198.51.100.7',
        });
        const entry = await storage.appendAudit(
          { at, action: 'sign_in', outcome: 'ok', actorType: 'user', actorId: user.id, userId: user.id, clientId: null, ip: '198.51.100.7', details: { method: 'password' } },
          undefined,
          [{ id: `msg_${at}`, type: 'user.signed_in', at, body: '{}' }],
        );
        expect(entry.id).toMatch(/^\d{15}-/);
      });
    };
    await signIn(T0);
    for (const table of ['users', 'attempt_counters', 'audit_log', 'webhook_events', 'two_step', 'sessions']) {
      await other.query(`alter table ${table} add column later_column text`);
    }
    // "cached plan must not change result type" here, had any of them been prepared with `*`.
    await signIn((T0 + 1000) as Millis);
    const audited = await other.query(`select count(*)::int as n from audit_log where user_id = $1 and action = 'sign_in'`, [user.id]);
    expect(audited.rows[0].n).toBe(2);
  });
});
