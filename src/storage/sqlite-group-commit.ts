/**
 * Kysely over better-sqlite3 with group commit.
 *
 * Gatehouse runs SQLite with `synchronous = FULL`: a token whose response was
 * sent, a consumed code or a revocation survives a power cut. Every commit
 * therefore waits for an fsync (milliseconds on ordinary disks), and
 * better-sqlite3, being synchronous, blocks the event loop meanwhile. One
 * commit per statement capped every write endpoint at a few dozen requests a
 * second, whatever the load (issue 11's profile of /token).
 *
 * Here the first write outside a transaction opens one (`BEGIN IMMEDIATE`);
 * every statement issued until the event loop comes round (`setImmediate`)
 * joins it, and one COMMIT — one fsync — makes them durable together.
 * - No write's result is released before that COMMIT, and reads run on a
 *   second connection that sees only what is committed, so no response ever
 *   reflects anything a power cut could undo: durability is what it was.
 * - Each statement still runs whole and alone (SQLite is single-writer and
 *   better-sqlite3 synchronous), so conditional UPDATEs keep exactly one
 *   winner; a statement that fails (a constraint) fails alone, and if SQLite
 *   rolls the whole group back every statement in it fails.
 * - Kysely transactions run as before, on their own: the open group is
 *   committed first, and other statements wait until the transaction ends.
 * - Reads never wait: they run at once on the reading connection.
 * - Waiting for the write lock never blocks the event loop (see
 *   `beginImmediate`), so two connections in one process cannot deadlock.
 */
import type SQLite from 'better-sqlite3';
import {
  CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type DatabaseConnection, type DatabaseIntrospector, type Dialect, type DialectAdapter, type Driver, type Kysely,
  type QueryCompiler, type QueryResult,
} from 'kysely';

interface Pending {
  result: QueryResult<unknown>;
  resolve(result: QueryResult<unknown>): void;
  reject(err: unknown): void;
}

class GroupConnection implements DatabaseConnection {
  constructor(private readonly driver: GroupCommitDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute(this, query) as Promise<QueryResult<R>>;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on SQLite');
  }
}

function run(stmt: SQLite.Statement, parameters: readonly unknown[]): QueryResult<unknown> {
  if (stmt.reader) return { rows: stmt.all(parameters) };
  const { changes, lastInsertRowid } = stmt.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

class GroupCommitDriver implements Driver {
  /** Statements of the open group transaction, waiting for its COMMIT; null when none is open. */
  private group: Pending[] | null = null;
  /** The connection running a Kysely transaction, if any; everyone else waits for it. */
  private owner: DatabaseConnection | null = null;
  private waiting: (() => void)[] = [];
  /** Transactions (groups and Kysely's) are begun one at a time. */
  private beginning: Promise<unknown> = Promise.resolve();
  private begins = 0;
  private readonly busyTimeoutMs: number;

  /**
   * `reader`: a second connection to the same file for statements that only
   * read. In WAL mode it sees exactly what is committed, so reads run at once,
   * never wait for a group's COMMIT, and never see what a power cut could undo
   * — the read-committed behaviour the storage code has on PostgreSQL. Without
   * it (an in-memory database), reads issued while a group is open are
   * released when it commits.
   */
  constructor(private readonly db: SQLite.Database, private readonly reader: SQLite.Database | null = null) {
    this.busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true })) || 5000;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new GroupConnection(this);
  }

  async releaseConnection(): Promise<void> {}

  private async waitForTransaction(connection: DatabaseConnection): Promise<void> {
    while (this.owner !== null && this.owner !== connection) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private endTransaction(connection: DatabaseConnection): void {
    if (this.owner !== connection) return;
    this.owner = null;
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  private exclusively<T>(fn: () => Promise<T>): Promise<T> {
    this.begins++;
    const result = this.beginning.then(fn).finally(() => this.begins--);
    this.beginning = result.catch(() => {});
    return result;
  }

  /** BEGIN IMMEDIATE if the write lock is free right now, without waiting; false when another connection holds it. */
  private tryBeginImmediate(): boolean {
    this.db.exec('pragma busy_timeout = 0');
    try {
      this.db.exec('begin immediate');
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
      throw err;
    } finally {
      this.db.exec(`pragma busy_timeout = ${this.busyTimeoutMs}`);
    }
  }

  /**
   * BEGIN IMMEDIATE (the write lock) without letting SQLite's busy handler
   * block the event loop: while another connection holds the lock — another
   * process, or one in this process whose group commits on the next turn of
   * this very loop — try again asynchronously, up to the busy timeout.
   */
  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let delay = 1; !this.tryBeginImmediate(); delay = Math.min(delay * 2, 25)) {
      if (Date.now() >= deadline) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async execute(connection: DatabaseConnection, query: CompiledQuery): Promise<QueryResult<unknown>> {
    if (this.reader !== null && this.owner !== connection && !/^\s*pragma\b/i.test(query.sql) && this.db.prepare(query.sql).readonly) {
      return run(this.reader.prepare(query.sql), query.parameters);
    }
    for (;;) {
      await this.waitForTransaction(connection);
      if (this.owner === null && /^\s*pragma\b/i.test(query.sql)) {
        // Settings such as `synchronous` cannot change inside a transaction (SQLite refuses them when
        // preparing): commit what is open, then run alone.
        this.commitGroup();
        return run(this.db.prepare(query.sql), query.parameters);
      }
      const stmt = this.db.prepare(query.sql);
      if (this.owner === connection || (this.group === null && stmt.readonly)) return run(stmt, query.parameters);
      if (this.owner !== null) continue;
      // Uncontended, the group opens at once, so statements keep the order they were issued in.
      if (this.group === null && this.begins === 0 && this.tryBeginImmediate()) this.openGroup();
      if (this.group !== null) return this.join(stmt, query.parameters);
      await this.exclusively(async () => {
        if (this.group !== null || this.owner !== null) return;
        await this.beginImmediate();
        this.openGroup();
      });
    }
  }

  private openGroup(): void {
    this.group = [];
    setImmediate(() => this.commitGroup());
  }

  /** Runs a statement inside the open group; its result is released when the group commits. */
  private join(stmt: SQLite.Statement, parameters: readonly unknown[]): Promise<QueryResult<unknown>> {
    let result: QueryResult<unknown>;
    try {
      result = run(stmt, parameters);
    } catch (err) {
      // Some errors (I/O, disk full) make SQLite roll the whole transaction back: nothing of the group survives.
      if (!this.db.inTransaction) this.settleGroup(err);
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => this.group!.push({ result, resolve, reject }));
  }

  /** Commits the open group (one fsync) and releases its statements' results. */
  private commitGroup(): void {
    if (this.group === null) return;
    try {
      this.db.exec('commit');
    } catch (err) {
      try {
        if (this.db.inTransaction) this.db.exec('rollback');
      } finally {
        this.settleGroup(err);
      }
      return;
    }
    this.settleGroup(null);
  }

  private settleGroup(err: unknown): void {
    const group = this.group ?? [];
    this.group = null;
    for (const p of group) {
      if (err === null) p.resolve(p.result);
      else p.reject(err);
    }
  }

  /** A Kysely transaction runs on its own, after everything before it is durable, holding the write lock from the start. */
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    for (;;) {
      await this.waitForTransaction(connection);
      const began = await this.exclusively(async () => {
        if (this.owner !== null) return false;
        this.owner = connection;
        try {
          this.commitGroup();
          await this.beginImmediate();
        } catch (err) {
          this.endTransaction(connection);
          throw err;
        }
        return true;
      });
      if (began) return;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.db.exec('commit');
    this.endTransaction(connection);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      if (this.db.inTransaction) this.db.exec('rollback');
    } finally {
      this.endTransaction(connection);
    }
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.savepointCommand(connection, 'savepoint', name);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.savepointCommand(connection, 'rollback to', name);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.savepointCommand(connection, 'release', name);
  }

  private async savepointCommand(connection: DatabaseConnection, command: string, name: string): Promise<void> {
    if (!/^\w+$/.test(name)) throw new Error('savepoint names are plain identifiers');
    await connection.executeQuery(CompiledQuery.raw(`${command} ${name}`));
  }

  async destroy(): Promise<void> {
    this.commitGroup();
    this.db.close();
    this.reader?.close();
  }
}

/** Kysely's SQLite dialect with the group-commit driver above. */
export class GroupCommitSqliteDialect implements Dialect {
  /** `reader`: a second connection to the same file, used for reads (see GroupCommitDriver). */
  constructor(private readonly db: SQLite.Database, private readonly reader: SQLite.Database | null = null) {}

  createDriver(): Driver {
    return new GroupCommitDriver(this.db, this.reader);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
