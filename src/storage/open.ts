/**
 * Opens the database named by the configuration and brings its schema up to
 * date. SQLite is the zero-configuration default: one file in the data
 * directory, in WAL mode so readers never wait for the writer.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, sql, type MigrationResultSet } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config.js';
import { privateDatabaseFiles, privateDirectory, PRIVATE_DIR_MODE } from './private-files.js';
import { MIGRATIONS } from './sql/migrations/index.js';
import { postgresReads, sqliteReads, type PreparedReads } from './sql/prepared-reads.js';
import { preparingPool } from './sql/statement-names.js';
import type { Database } from './sql/schema.js';
import { SqlStorage } from './sql/sql-storage.js';
import { GroupCommitSqliteDialect, type WalSyncer } from './sqlite-group-commit.js';

export class StorageError extends Error {}

/**
 * Whether an error means the database cannot be reached right now (refused or
 * dropped connection, server shutting down or starting), as opposed to a bug:
 * such requests get 503 `temporarily_unavailable` and succeed again once the
 * database is back.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'SQLITE_BUSY'].includes(e.code)) return true;
  // The SQLite driver refuses changes once a sync of its log failed (sqlite-group-commit.ts), until a restart.
  if (e.code === 'SQLITE_IOERR') return true;
  // PostgreSQL classes 08 (connection exception) and 57P0x (operator intervention: shutdown, cannot connect now).
  if (e.code && (/^08/.test(e.code) || /^57P0[1-4]$/.test(e.code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message ?? '');
}

export type StorageConfig = Pick<Config, 'dataDir' | 'databaseUrl'> & Partial<Pick<Config, 'databasePoolSize' | 'databaseReadPoolSize'>>;

export interface OpenOptions {
  /** What syncs SQLite's log after each commit (sqlite-group-commit.ts); its own worker thread when absent. */
  walSyncer?: WalSyncer;
}

export function sqliteFile(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'gatehouse.db');
}

const PRAGMA = /^\s*pragma\b/i;

/**
 * Prepared statements cached by SQL text: Kysely asks for one on every query,
 * and the set of distinct queries is small and fixed. Pragmas are prepared
 * afresh each time: SQLite applies a setting (`busy_timeout = 0`) when it
 * prepares the statement, so running a cached one again would only report it.
 */
function cachePrepared(db: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    if (PRAGMA.test(source)) return prepare(source);
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = prepare(source);
      if (cache.size < 500) cache.set(source, stmt);
    }
    return stmt;
  }) as typeof db.prepare;
  return db;
}

/**
 * better-sqlite3 with the settings Gatehouse relies on: the connection that
 * writes, and a second one that only reads (in WAL mode it sees what is
 * committed, so reads never wait for a group commit, sqlite-group-commit.ts).
 */
function openSqlite(file: string, dataDir: string | null): { writer: SQLite.Database; reader: SQLite.Database } {
  // The data directory 0700 and the database 0600, -wal and -shm with it (private-files.ts).
  if (dataDir !== null) privateDirectory(dataDir);
  else mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  privateDatabaseFiles(file);
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  // NORMAL, and the driver syncs the log after each commit in a worker thread before it releases the
  // commit's results (sqlite-group-commit.ts): a token whose response was sent survives power loss, as at
  // FULL, without the event loop waiting for the disk. Commits are grouped, so one sync covers a batch.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const reader = new SQLite(file);
  reader.pragma('query_only = ON');
  reader.pragma('busy_timeout = 5000');
  return { writer: cachePrepared(db), reader: cachePrepared(reader) };
}

/**
 * A pg pool that survives the database going away: a client that loses its
 * connection emits 'error', which must not crash the process; queries fail
 * (readiness turns 503) and new connections are made when it returns.
 * The pool listens on its idle clients only: while a client is checked out
 * (a Kysely query, a batch of reads, a grant batch) it takes its listener
 * off, so a connection ended under a running statement (a server restart,
 * `pg_terminate_backend`, a failover) raised an uncaught error. Every client
 * keeps a listener of its own from the start: the statements it was running
 * are rejected with the same error, their callers answer it, and the pool
 * drops the client when it comes back unusable.
 */
function openPostgresPool(url: string, max: number): pg.Pool {
  // Loaded only when PostgreSQL is configured: a SQLite server starts faster without it (docs/benchmarks.md).
  const { Pool } = createRequire(import.meta.url)('pg') as typeof pg;
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  pool.on('error', () => {
    // A dropped idle connection; the pool replaces it on next use.
  });
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

export function openKysely(config: StorageConfig): Kysely<Database> {
  return openDatabase(config).db;
}

/**
 * Kysely, the hot-path reads on the same connections without it (prepared-reads.ts), and on SQLite
 * whether the driver refuses writes since a sync of its log failed (sqlite-group-commit.ts).
 */
function openDatabase(config: StorageConfig, options: OpenOptions = {}): { db: Kysely<Database>; reads: PreparedReads; writesRefused?: () => Error | null } {
  if (config.databaseUrl === '' || config.databaseUrl.startsWith('sqlite:') || config.databaseUrl.startsWith('file:')) {
    const file = config.databaseUrl === '' ? sqliteFile(config) : config.databaseUrl.replace(/^(sqlite|file):(\/\/)?/, '');
    const { writer, reader } = openSqlite(path.resolve(file), config.databaseUrl === '' ? config.dataDir : null);
    const dialect = new GroupCommitSqliteDialect(writer, reader, options.walSyncer ? { syncer: options.walSyncer } : {});
    return { db: new Kysely<Database>({ dialect }), reads: sqliteReads(reader, dialect), writesRefused: () => dialect.writesRefused() };
  }
  if (/^postgres(ql)?:/.test(config.databaseUrl)) {
    const pool = openPostgresPool(config.databaseUrl, config.databasePoolSize ?? 10);
    // Token checks on connections of their own, which no write holds (postgresReads). A pool opens its
    // connections as they are asked for: one never read from (`openKysely`'s, for migrations) opens none.
    const readPool = openPostgresPool(config.databaseUrl, config.databaseReadPoolSize ?? 4);
    const reads: PreparedReads = { ...postgresReads(pool, readPool), close: () => readPool.end() };
    // Kysely's statements with a fixed text go by name (statement-names.ts).
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) }), reads };
  }
  throw new StorageError('GATEHOUSE_DATABASE_URL must be empty (SQLite in the data directory), sqlite:<file> or postgres://…');
}

const MIGRATION_TABLE = 'gatehouse_migrations';

/**
 * Whether the database has run exactly the migrations this build knows, in
 * the order Kysely's Migrator expects (its list sorted by name; what it has
 * run sorted by time, then name): then migrating has nothing to do. One read,
 * where the Migrator first lists every table and column of the schema twice
 * and opens a write transaction, which on SQLite also made every start wait
 * for a sync of the log. Anything else (a new database, a pending or unknown
 * migration) is the Migrator's to handle, with its checks and errors.
 */
async function upToDate(db: Kysely<Database>): Promise<boolean> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const exists = postgres
    ? sql<{ found: boolean }>`select to_regclass(${MIGRATION_TABLE}) is not null as found`
    : sql<{ found: number }>`select count(*) as found from sqlite_master where type = 'table' and name = ${MIGRATION_TABLE}`;
  if (!(await exists.execute(db)).rows[0]?.found) return false;
  const ran = (await sql<{ name: string; timestamp: string }>`select name, timestamp from ${sql.table(MIGRATION_TABLE)}`.execute(db)).rows
    .sort((a, b) => a.timestamp === b.timestamp ? a.name.localeCompare(b.name) : new Date(a.timestamp).getTime() - new Date(b.timestamp).getTime())
    .map((r) => r.name);
  const known = Object.keys(MIGRATIONS).sort();
  return ran.length === known.length && ran.every((name, i) => name === known[i]);
}

/** Applies every pending migration; a failed migration is rolled back and reported. */
export async function migrate(db: Kysely<Database>): Promise<MigrationResultSet> {
  if (await upToDate(db)) return { results: [] };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: 'gatehouse_migrations_lock',
  });
  // Kysely takes no migration lock on SQLite, so a server and a CLI started
  // together on a new file can race: the loser fails on a table the winner
  // has just made. It tries again once the winner has recorded its work.
  for (let attempt = 1; ; attempt++) {
    const result = await migrator.migrateToLatest();
    if (!result.error) return result;
    if (attempt < 5) {
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      continue;
    }
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new StorageError(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`);
  }
}

/** Opens storage and migrates it: what the server and the CLI do on start. */
export async function openStorage(config: StorageConfig, options: OpenOptions = {}): Promise<SqlStorage> {
  const { db, reads, writesRefused } = openDatabase(config, options);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new SqlStorage(db, reads, writesRefused);
}
