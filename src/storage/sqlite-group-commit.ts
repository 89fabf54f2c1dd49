/**
 * Kysely over better-sqlite3 with group commit, and the sync of SQLite's
 * write-ahead log off the event loop.
 *
 * Gatehouse acknowledges a write only once it survives a power cut: a token
 * whose response was sent, a consumed code or a revocation. In WAL mode that
 * takes an fsync of the `-wal` file per commit (milliseconds on ordinary
 * disks). One commit per statement capped every write endpoint at a few dozen
 * requests a second, whatever the load (issue 11's profile of /token).
 *
 * Group commit. The first write outside a transaction opens one (`BEGIN
 * IMMEDIATE`); every statement issued until the event loop comes round
 * (`setImmediate`) joins it, and one COMMIT makes them durable together.
 * - No write's result is released before the sync that makes it durable.
 * - Each statement still runs whole and alone (SQLite is single-writer and
 *   better-sqlite3 synchronous), so conditional UPDATEs keep exactly one
 *   winner; a statement that fails (a constraint) fails alone, and if SQLite
 *   rolls the whole group back every statement in it fails.
 * - Kysely transactions run as before, on their own: the open group is
 *   committed first, and other statements wait until the transaction ends.
 * - Reads never wait: they run at once on the reading connection. The one
 *   exception is asked for by name (`writeThenRead`): a read run on the
 *   writing connection right behind writes of its own, inside their group,
 *   and released with them (the check that follows a token's insert). These
 *   run when their group commits, one request's after another's, just before
 *   the COMMIT: a turn's grants written together cost 3–11 % less CPU than
 *   each written as its request came (docs/benchmarks.md). So they follow any
 *   other statement of their group, which runs at once.
 * - Waiting for the write lock never blocks the event loop (see
 *   `beginImmediate`), so two connections in one process cannot deadlock.
 *
 * The sync, off the event loop. `synchronous = FULL` in WAL mode is `NORMAL`
 * plus an fsync of the log after every commit (SQLite's documentation of the
 * pragma and of WAL; the log is also synced before each checkpoint and the
 * database after it, in both modes). better-sqlite3 being synchronous, that
 * fsync blocked the event loop: a fifth of /token's busy time. So the writing
 * connection runs at NORMAL (open.ts) and this driver does the rest: after
 * every COMMIT it makes (a group, a Kysely transaction, a pragma outside
 * both) it has the `-wal` file fsynced by a worker thread of its own
 * (wal-sync-worker.ts), and releases the results only once a sync that
 * started after that commit has finished. One sync runs at a time; commits
 * made meanwhile (a Kysely transaction) are covered together by the next
 * one, and the group that opens meanwhile stays open, gathering statements,
 * until the sync ends (committed earlier, they would wait all the same, and
 * each commit writes every page it changed to the log again). The main
 * thread goes on serving while the disk works. On Linux SQLite does not pad the log to a
 * sector at commit (its unix files are power-safe overwrite), so the log on
 * disk after a NORMAL commit and this sync is what FULL would have written.
 * - What changes: the reading connection, and other processes, see a commit
 *   as soon as it is made, up to one sync before it is durable. A response
 *   that only reads may therefore reflect a write a power cut would undo
 *   (that write's own request is never answered before it is durable, and
 *   a response to any later write waits for a sync that covers it too: the
 *   log is synced whole). Nothing is *acknowledged* before it is durable.
 * - A failed sync (EIO…) rejects every statement waiting on it with its
 *   error, so those requests fail and nothing is acknowledged; and from then
 *   on this driver refuses every write until the process restarts (reads go
 *   on). After a failed fsync Linux may have dropped the pages it could not
 *   write, so a later sync that succeeds would not prove that the log before
 *   it is on disk, and the log's frames are chained: commits acknowledged
 *   after it could be lost with them. A restart reopens the database, and
 *   SQLite recovers from what the log really holds (PostgreSQL stops on a
 *   failed fsync for the same reason). A disk that fails an fsync is a disk
 *   to replace: the errors are in the server's log, and /healthz and
 *   /readyz answer 503 from then on (writesRefused), so that a supervisor
 *   restarts the process.
 * Checkpoints, off the event loop too. A checkpoint copies the log's pages
 * into the database file so that the log can start over; SQLite runs one
 * automatically at the commit that takes the log past 1000 pages, on the
 * connection that commits: page writes and two fsyncs on the event loop, a
 * pause every few hundred grants. While this driver syncs the log, a
 * checkpointer of its own does it instead (WorkerWalCheckpointer: a worker
 * thread with its own connection to the file, PASSIVE checkpoints, which
 * never wait for or block the writer), asked for every so many commits: the
 * number is adjusted after each checkpoint from the pages the log had grown
 * by, so that each covers about CHECKPOINT_PAGES. The writing connection
 * keeps an automatic checkpoint at BACKSTOP_FACTOR times that, which bounds
 * the log should that thread fall behind, and goes back to SQLite's default
 * if a checkpoint fails. Durability is SQLite's own: the checkpointing
 * connection runs at NORMAL, so each checkpoint syncs the log, copies, and
 * syncs the database file before it marks pages copied, and the writer starts
 * the log over only once all of it is (wal-sync-worker.ts).
 * - Without a log (an in-memory database), or when SQLite syncs at each
 *   commit itself (`synchronous` FULL or EXTRA, set by whoever opened the
 *   connection or through this driver), commits are released at once, as
 *   before; the syncer is then never started.
 */
import { closeSync, existsSync, fsyncSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import {
  CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type DatabaseConnection, type DatabaseIntrospector, type Dialect, type DialectAdapter, type Driver, type Kysely,
  type QueryCompiler, type QueryResult,
} from 'kysely';
import { WAL_CHECKPOINT_WORKER, WAL_SYNC_WORKER, type WalCheckpointResult, type WalSyncResult } from './wal-sync-worker.js';

interface Pending {
  result: QueryResult<unknown>;
  resolve(result: QueryResult<unknown>): void;
  reject(err: unknown): void;
}

/** Writes and the read behind them (`writeThenRead`), waiting for their group's commit to run. */
interface Deferred {
  writes: readonly CompiledQuery[];
  read: CompiledQuery;
  resolve(row: Record<string, unknown> | undefined): void;
  reject(err: unknown): void;
}

/** Makes SQLite's write-ahead log durable: everything written to the `-wal` file before `sync` was called. */
export interface WalSyncer {
  /** Resolves once the log is on disk; rejects with the error (EIO…) when the sync failed. One call at a time. */
  sync(): Promise<void>;
  /** Stops the syncer; called with no sync in flight. */
  close(): Promise<void>;
}

/** SQLite's report of a checkpoint (`pragma wal_checkpoint`). */
export interface CheckpointReport {
  /** 1 when something kept it from finishing (it never waits). */
  busy: number;
  /** Frames in the log. */
  log: number;
  /** Frames of the log now in the database file. */
  checkpointed: number;
}

/** Checkpoints SQLite's write-ahead log on a connection of its own, off the event loop. */
export interface WalCheckpointer {
  /** A PASSIVE checkpoint; rejects with the error (EIO…) when it failed. One call at a time. */
  checkpoint(): Promise<CheckpointReport>;
  /** Stops the checkpointer; called with no checkpoint in flight. */
  close(): Promise<void>;
}

export interface GroupCommitOptions {
  /** What syncs the log when SQLite does not at each commit (`synchronous = NORMAL`); a WorkerWalSyncer by default. */
  syncer?: WalSyncer;
  /**
   * What checkpoints the log while this driver syncs it (see the header); a
   * WorkerWalCheckpointer by default. null: the writing connection keeps
   * SQLite's automatic checkpoints.
   */
  checkpointer?: WalCheckpointer | null;
  /** Pages of log a checkpoint is asked for after, about; CHECKPOINT_PAGES by default. */
  checkpointPages?: number;
}

/**
 * Pages of log a checkpoint is asked for after, about (some 16 MB at 4 kB
 * pages). Four times SQLite's default for its automatic checkpoints: each
 * page written many times over (an index's, the table's last) is copied once
 * for all of them, and writes wait for the second step of a round
 * (`checkpointRound`) a quarter as often; readers look pages up in a longer
 * log, which costs them next to nothing at this size.
 */
export const CHECKPOINT_PAGES = 4000;
/**
 * The writing connection's automatic checkpoint, as a multiple of the pages
 * above: a bound on the log for when the checkpoint thread falls behind (a
 * slow disk); it then checkpoints at commit, on the event loop, as SQLite
 * does by default.
 */
export const BACKSTOP_FACTOR = 3;
/** SQLite's default automatic checkpoint, for the writing connection once the checkpoint thread has failed. */
const SQLITE_AUTOCHECKPOINT = 1000;
/** The longest pause between two tries for the write lock (`beginImmediate`). */
const MAX_RETRY_MS = 2;

/** A commit made at NORMAL, waiting for a sync of the log that started after it. */
interface Commit {
  /** Its number: commits are counted in the order they were made. */
  n: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** fsync of a file or directory, on the thread that calls it. */
function fsyncPath(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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
  /** `writeThenRead`s of the open group, run in order when it commits (`runDeferred`). */
  private deferred: Deferred[] = [];
  /** The connection running a Kysely transaction, if any; everyone else waits for it. */
  private owner: DatabaseConnection | null = null;
  private waiting: (() => void)[] = [];
  /** Transactions (groups and Kysely's) are begun one at a time. */
  private beginning: Promise<unknown> = Promise.resolve();
  private begins = 0;
  private readonly busyTimeoutMs: number;
  private readonly restoreBusyTimeout: string;
  /**
   * What every group runs, prepared once: `exec` parses its text on every call. (The busy-timeout pragmas
   * around BEGIN cannot be kept: `tryBeginImmediate`.)
   */
  private readonly control: { begin: SQLite.Statement; commit: SQLite.Statement };
  /** The `-wal` file when this driver syncs it after each commit (WAL, NORMAL, a file); null when commits are released at once. */
  private walFile: string | null = null;
  private syncer: WalSyncer | null;
  /** Commits made while `walFile` is set, counted; those waiting for a sync, oldest first. */
  private commits = 0;
  private unsynced: Commit[] = [];
  /** The sync in flight, if any (it never rejects: its failure rejects the commits it covers). */
  private syncing: Promise<void> | null = null;
  /** The first sync that failed: every write is refused from then on (see the header). */
  private syncFailed: unknown = null;
  private initialised = false;
  /** The database file, when `walFile` is set. */
  private dbFile: string | null = null;
  /** Whether a checkpointer checkpoints the log (see the header): false without one, or once one failed. */
  private checkpointing: boolean;
  private checkpointer: WalCheckpointer | null;
  /** Commits since the last checkpoint was asked for (or the log last started over), and how many ask for the next. */
  private sinceCheckpoint = 0;
  private checkpointEvery = 16;
  private readonly checkpointPages: number;
  /** The checkpoint in flight, if any (it never rejects). */
  private checkpointInFlight: Promise<void> | null = null;
  /** While true, no transaction begins: the log is being wholly copied, so that the next write starts it over. */
  private restarting = false;
  /** The first checkpoint that failed, if any: the writing connection checkpoints by itself from then on. */
  checkpointFailed: unknown = null;

  /**
   * `reader`: a second connection to the same file for statements that only
   * read. In WAL mode it sees exactly what is committed, so reads run at once,
   * never wait for a group's COMMIT, and never see what a power cut could undo
   * — the read-committed behaviour the storage code has on PostgreSQL. Without
   * it (an in-memory database), reads issued while a group is open are
   * released when it commits.
   */
  constructor(
    private readonly db: SQLite.Database,
    private readonly reader: SQLite.Database | null = null,
    options: GroupCommitOptions = {},
  ) {
    this.busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true })) || 5000;
    this.restoreBusyTimeout = `PRAGMA busy_timeout = ${this.busyTimeoutMs}`;
    this.control = {
      begin: db.prepare('begin immediate'),
      commit: db.prepare('commit'),
    };
    this.syncer = options.syncer ?? null;
    this.checkpointer = options.checkpointer ?? null;
    this.checkpointing = options.checkpointer !== null;
    this.checkpointPages = options.checkpointPages ?? CHECKPOINT_PAGES;
  }

  async init(): Promise<void> {
    this.checkSyncMode();
    this.initialised = true;
  }

  /**
   * Whether commits need a sync from this driver: only in WAL mode, on a
   * file, at `synchronous = NORMAL`. Checked when the driver starts and after
   * every pragma it runs (one may change either setting).
   */
  private checkSyncMode(): void {
    const wal = String(this.db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    const normal = Number(this.db.pragma('synchronous', { simple: true })) === 1;
    const main = (this.db.pragma('database_list') as { name: string; file: string }[]).find((d) => d.name === 'main');
    const walFile = wal && normal && main !== undefined && main.file !== '' ? `${main.file}-wal` : null;
    if (walFile !== null && walFile !== this.walFile) {
      // The log exists from the connection's first read in WAL mode; SQLite syncs the directory of a new
      // journal at its first sync, which at NORMAL comes only at a checkpoint: a commit synced before
      // then would be in a file that a power cut could take away with its directory entry.
      if (!existsSync(walFile)) this.db.prepare('select count(*) from sqlite_master').get();
      try {
        fsyncPath(path.dirname(walFile));
      } catch (err) {
        // As SQLite does, a file system that cannot sync a directory is not an error.
        if (!['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
    }
    if (walFile !== null && walFile !== this.walFile && this.checkpointing) {
      this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_FACTOR * this.checkpointPages}`);
    }
    this.walFile = walFile;
    this.dbFile = main?.file ?? null;
  }

  /**
   * Called right after each COMMIT (and pragma) on the writing connection:
   * null when the commit is durable already (SQLite synced it, or there is no
   * log), else a promise settled by the first sync of the log that starts
   * from now on.
   */
  private committed(): Promise<void> | null {
    if (this.walFile === null) return null;
    if (this.syncFailed !== null) return Promise.reject(this.refusal());
    const n = ++this.commits;
    const durable = new Promise<void>((resolve, reject) => this.unsynced.push({ n, resolve, reject }));
    this.startSync();
    if (this.checkpointing && ++this.sinceCheckpoint >= this.checkpointEvery && this.checkpointInFlight === null) this.startCheckpoint();
    return durable;
  }

  /** Asks the checkpointer for a checkpoint (`checkpointRound`), unless one is in flight. */
  private startCheckpoint(): void {
    const covers = this.sinceCheckpoint;
    this.sinceCheckpoint = 0;
    this.checkpointInFlight = this.checkpointRound(covers).finally(() => {
      this.checkpointInFlight = null;
    });
  }

  /**
   * A checkpoint while writes go on, then, when it copied the whole log as it
   * was, a second one with no transaction open, to copy what was committed
   * meanwhile. SQLite starts the log over only at a write transaction whose
   * snapshot began with the log wholly copied (the rest is read from the
   * database file); commits keep coming while the thread checkpoints, so
   * without the second step that never happens and the log grows to the
   * backstop. During it (a few pages and two fsyncs, off the event loop),
   * writes wait as behind a transaction; reads go on.
   */
  private async checkpointRound(covers: number): Promise<void> {
    const checkpointer = (this.checkpointer ??= new WorkerWalCheckpointer(this.dbFile!));
    try {
      const report = await checkpointer.checkpoint();
      // The log has grown by `report.log` pages over about these commits (counted from when it last started over).
      const perCommit = Math.max(report.log, 1) / Math.max(covers, 1);
      this.checkpointEvery = Math.min(10_000, Math.max(1, Math.round(this.checkpointPages / perCommit)));
      if (report.busy !== 0 || report.checkpointed < report.log || this.owner !== null || this.syncFailed !== null) return;
      this.restarting = true;
      try {
        // The open group's snapshot predates the copy: committed now, its pages are in the log the second step copies.
        this.commitGroup();
        await checkpointer.checkpoint();
        // The next write starts the log over: count the commits from there.
        this.sinceCheckpoint = 0;
      } finally {
        this.restarting = false;
        this.wake();
      }
    } catch (err) {
      // The log stays whole (nothing is marked copied that was not synced), so nothing is lost; the writing
      // connection checkpoints by itself again, as SQLite does by default, which keeps the log bounded.
      this.checkpointFailed ??= err;
      this.checkpointing = false;
      this.db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT}`);
    }
  }

  /** Starts a sync covering every commit made so far, unless one is in flight (its end starts the next). */
  private startSync(): void {
    if (this.syncing !== null || this.unsynced.length === 0) return;
    const covers = this.commits;
    const syncer = (this.syncer ??= new WorkerWalSyncer(this.walFile!));
    const done = (err: unknown) => {
      this.syncing = null;
      if (err !== null) this.syncFailed ??= err;
      let i = 0;
      while (i < this.unsynced.length && this.unsynced[i]!.n <= covers) i++;
      for (const c of this.unsynced.splice(0, i)) {
        if (err === null) c.resolve();
        else c.reject(err);
      }
      if (this.syncFailed !== null) {
        // What gathered meanwhile can no longer be made durable: undone, and refused with the rest.
        for (const c of this.unsynced.splice(0)) c.reject(this.refusal());
        if (this.group !== null) {
          if (this.db.inTransaction && this.owner === null) this.db.exec('rollback');
          this.settleGroup(this.refusal());
        }
        return;
      }
      // The group that gathered statements during this sync (openGroup); committing it starts the next sync.
      if (this.group !== null) this.commitGroup();
      else this.startSync();
    };
    this.syncing = Promise.resolve().then(() => syncer.sync()).then(() => done(null), done);
  }

  /** Once a sync has failed, what every write gets from then on; null while writes are accepted. */
  writesRefused(): Error | null {
    return this.syncFailed === null ? null : this.refusal();
  }

  /** What a write gets once a sync has failed. */
  private refusal(): Error {
    return Object.assign(
      new Error('the database log could not be synced to disk: changes are refused until Gatehouse is restarted (check the disk)'),
      { code: 'SQLITE_IOERR', cause: this.syncFailed },
    );
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new GroupConnection(this);
  }

  async releaseConnection(): Promise<void> {}

  /** Waits while another connection's transaction runs, or while the log is brought to its start (`checkpointRound`). */
  private async waitForTransaction(connection: DatabaseConnection): Promise<void> {
    while ((this.owner !== null || this.restarting) && this.owner !== connection) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private endTransaction(connection: DatabaseConnection): void {
    if (this.owner !== connection) return;
    this.owner = null;
    this.wake();
  }

  private wake(): void {
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
    // Not a statement prepared once: SQLite applies the setting when it prepares the pragma, so one kept and run
    // again changed nothing, and this BEGIN waited inside SQLite, blocking the event loop, while another process
    // held the lock (open.ts prepares pragmas afresh). `exec`, not `pragma()`: no statement object and no rows
    // to make, 0.6 µs against 2.4 µs a call (docs/benchmarks.md).
    this.db.exec('PRAGMA busy_timeout = 0');
    try {
      this.control.begin.run();
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
      throw err;
    } finally {
      this.db.exec(this.restoreBusyTimeout);
    }
  }

  /**
   * BEGIN IMMEDIATE (the write lock) without letting SQLite's busy handler
   * block the event loop: while another connection holds the lock — another
   * process, or one in this process whose group commits on the next turn of
   * this very loop — try again asynchronously, up to the busy timeout.
   * Every 2 ms at most: another process holds the lock for a group's few
   * statements, a fraction of a millisecond, and a try costs microseconds;
   * waits that doubled up to 25 ms put 145 ms in the p99 of two workers'
   * grants (docs/benchmarks.md).
   */
  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let delay = 1; !this.tryBeginImmediate(); delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      if (Date.now() >= deadline) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async execute(connection: DatabaseConnection, query: CompiledQuery): Promise<QueryResult<unknown>> {
    if (this.reader !== null && this.owner !== connection && !/^\s*pragma\b/i.test(query.sql) && this.db.prepare(query.sql).readonly) {
      return run(this.reader.prepare(query.sql), query.parameters);
    }
    if (this.syncFailed !== null && !(this.owner === connection || (this.group === null && this.db.prepare(query.sql).readonly))) {
      throw this.refusal();
    }
    for (;;) {
      await this.waitForTransaction(connection);
      if (this.owner === null && /^\s*pragma\b/i.test(query.sql)) {
        // Settings such as `synchronous` cannot change inside a transaction (SQLite refuses them when
        // preparing): commit what is open, then run alone. Some pragmas write (`user_version = …`) in a
        // commit of their own: they are released, like any write, once the log is synced.
        this.commitGroup();
        const result = run(this.db.prepare(query.sql), query.parameters);
        this.checkSyncMode();
        await this.committed();
        return result;
      }
      const stmt = this.db.prepare(query.sql);
      if (this.owner === connection || (this.group === null && stmt.readonly)) return run(stmt, query.parameters);
      if (this.owner !== null) continue;
      // Uncontended, the group opens at once, so statements keep the order they were issued in.
      if (this.group === null && this.begins === 0 && this.tryBeginImmediate()) this.openGroup();
      if (this.group !== null) return this.join(stmt, query.parameters);
      await this.exclusively(async () => {
        if (this.group !== null || this.owner !== null || this.restarting) return;
        await this.beginImmediate();
        this.openGroup();
      });
    }
  }

  /**
   * `writes`, then the read `read`, run one right after the other on the
   * writing connection inside one group (nothing else runs between them), and
   * released together once that group is durable: the read's first row, as
   * its values. The read sees the writes, and holds the write lock while it
   * runs, so nothing another connection commits can fall between the writes
   * and the read (see `PreparedReads.firstAfter`). A write that fails is
   * thrown, and what follows it does not run.
   */
  async writeThenRead(writes: readonly CompiledQuery[], read: CompiledQuery): Promise<readonly unknown[] | undefined> {
    // Kysely initialises its driver at its first query; this may come before any.
    if (!this.initialised) await this.init();
    if (this.syncFailed !== null) throw this.refusal();
    const connection = new GroupConnection(this);
    for (;;) {
      await this.waitForTransaction(connection);
      if (this.owner !== null) continue;
      if (this.group === null && this.begins === 0 && this.tryBeginImmediate()) this.openGroup();
      if (this.group !== null) {
        const row = await new Promise<Record<string, unknown> | undefined>((resolve, reject) => this.deferred.push({ writes, read, resolve, reject }));
        return row && Object.values(row);
      }
      await this.exclusively(async () => {
        if (this.group !== null || this.owner !== null || this.restarting) return;
        await this.beginImmediate();
        this.openGroup();
      });
    }
  }

  private openGroup(): void {
    this.group = [];
    setImmediate(() => {
      // While the log is being synced, the group stays open and gathers what comes meanwhile: committed
      // now, it would wait for the next sync all the same, and every commit writes each page it changed
      // to the log again. It commits when that sync ends (`startSync`).
      if (this.syncing === null) this.commitGroup();
    });
  }

  /** Runs a statement inside the open group; its result is released when the group commits. */
  private join(stmt: SQLite.Statement, parameters: readonly unknown[]): Promise<QueryResult<unknown>> {
    let result: QueryResult<unknown>;
    try {
      result = this.runInGroup(stmt, parameters);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => this.group!.push({ result, resolve, reject }));
  }

  /** Runs a statement inside the open group, at once; what it returns is not to be released before the group is durable. */
  private runInGroup(stmt: SQLite.Statement, parameters: readonly unknown[]): QueryResult<unknown> {
    try {
      return run(stmt, parameters);
    } catch (err) {
      // Some errors (I/O, disk full) make SQLite roll the whole transaction back: nothing of the group survives.
      if (!this.db.inTransaction) this.settleGroup(err);
      throw err;
    }
  }

  /** Commits the open group and releases its statements' results once that commit is durable. */
  private commitGroup(): void {
    this.runDeferred();
    if (this.group === null) return;
    try {
      this.control.commit.run();
    } catch (err) {
      try {
        if (this.db.inTransaction) this.db.exec('rollback');
      } finally {
        this.settleGroup(err);
      }
      return;
    }
    if (this.group.length === 0) {
      // Every statement of it failed alone (a constraint), each undone by SQLite: nothing to make durable. A
      // transaction committed during the last sync still needs the next one, which this commit would have started.
      this.group = null;
      this.startSync();
      return;
    }
    const durable = this.committed();
    if (durable === null) {
      this.settleGroup(null);
      return;
    }
    // The group is closed now: the next one may begin while this one's sync runs (it commits when the sync ends).
    const group = this.group;
    this.group = null;
    durable.then(() => settle(group, null), (err: unknown) => settle(group, err));
  }

  /**
   * The open group's `writeThenRead`s, in the order they were asked for: each
   * one's writes, then its read, nothing else between them. A write that
   * fails is its request's error alone, and what follows it in that request
   * does not run; one that makes SQLite roll the whole transaction back fails
   * every statement of the group, these included (`runInGroup`).
   */
  private runDeferred(): void {
    while (this.group !== null && this.deferred.length > 0) {
      const d = this.deferred.shift()!;
      try {
        for (const write of d.writes) this.runInGroup(this.db.prepare(write.sql), write.parameters);
        const row = this.runInGroup(this.db.prepare(d.read.sql), d.read.parameters).rows[0] as Record<string, unknown> | undefined;
        this.group.push({ result: { rows: [] }, resolve: () => d.resolve(row), reject: d.reject });
      } catch (err) {
        d.reject(err);
      }
    }
  }

  private settleGroup(err: unknown): void {
    const group = this.group ?? [];
    this.group = null;
    settle(group, err);
    // What was to run in it cannot run now: it fails with the group.
    for (const d of this.deferred.splice(0)) d.reject(err ?? new Error('the group committed before its statements ran'));
  }

  /** A Kysely transaction runs on its own, after everything before it is committed, holding the write lock from the start. */
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.syncFailed !== null) throw this.refusal();
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

  /** Commits, lets other statements run, and returns once the commit is durable. */
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.syncFailed !== null) {
      await this.rollbackTransaction(connection);
      throw this.refusal();
    }
    this.db.exec('commit');
    this.endTransaction(connection);
    await this.committed();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      // Kysely also calls this when the commit succeeded but its sync failed: by then the write lock may be
      // another group's, which is not this transaction's to roll back.
      if (this.owner === connection && this.db.inTransaction) this.db.exec('rollback');
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

  /** Commits what is open, waits until every commit is synced (or its sync failed), then closes. */
  async destroy(): Promise<void> {
    this.commitGroup();
    while (this.syncing !== null) await this.syncing;
    while (this.checkpointInFlight !== null) await this.checkpointInFlight;
    // Its connection closed first, the writing one is the last: SQLite checkpoints then, and removes the log.
    await this.checkpointer?.close();
    this.db.close();
    this.reader?.close();
    await this.syncer?.close();
  }
}

function settle(group: Pending[], err: unknown): void {
  for (const p of group) {
    if (err === null) p.resolve(p.result);
    else p.reject(err);
  }
}

/** Kysely's SQLite dialect with the group-commit driver above. */
export class GroupCommitSqliteDialect implements Dialect {
  /** The driver Kysely made of this dialect (one per Kysely instance). */
  private driver: GroupCommitDriver | null = null;

  /** `reader`: a second connection to the same file, used for reads (see GroupCommitDriver). */
  constructor(
    private readonly db: SQLite.Database,
    private readonly reader: SQLite.Database | null = null,
    private readonly options: GroupCommitOptions = {},
  ) {}

  createDriver(): Driver {
    this.driver = new GroupCommitDriver(this.db, this.reader, this.options);
    return this.driver;
  }

  /** `GroupCommitDriver.writeThenRead` on the driver of the Kysely instance made with this dialect. */
  writeThenRead(writes: readonly CompiledQuery[], read: CompiledQuery): Promise<readonly unknown[] | undefined> {
    if (this.driver === null) throw new Error('no Kysely instance was made with this dialect');
    return this.driver.writeThenRead(writes, read);
  }

  /**
   * The error every write gets once a sync of the log has failed, until the
   * process restarts (see the header); null while writes are accepted. The
   * liveness probe answers 503 with it, so that whatever supervises the
   * process restarts it.
   */
  writesRefused(): Error | null {
    return this.driver?.writesRefused() ?? null;
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

/**
 * A worker thread doing one job at a time for the driver, started at the
 * first job. It keeps the process alive only while a job is in flight; a
 * worker that dies fails that job, and the next job starts another.
 */
class WorkerJobs<Result, Value> {
  private worker: Worker | null = null;
  private pending: { resolve(value: Value): void; reject(err: unknown): void } | null = null;
  private closed = false;

  constructor(
    private readonly o: {
      /** What the worker is, in error messages: "the database log syncer". */
      name: string;
      /** The error when a second job is asked for while one is in flight. */
      oneAtATime: string;
      source: string;
      workerData(): object;
      /** The message that asks for a job. */
      job: unknown;
      /** The job's value, or its error, from the worker's answer. */
      settle(result: Result): Value | Error;
      /** A message that makes the worker end by itself (closing what it holds); without one it is terminated. */
      closing?: unknown;
    },
  ) {}

  run(): Promise<Value> {
    if (this.closed) return Promise.reject(new Error(`${this.o.name} is closed`));
    if (this.pending !== null) return Promise.reject(new Error(this.o.oneAtATime));
    const worker = (this.worker ??= this.spawn());
    return new Promise<Value>((resolve, reject) => {
      this.pending = { resolve, reject };
      worker.ref();
      worker.postMessage(this.o.job);
    });
  }

  private spawn(): Worker {
    // None of the process's own Node options: the worker does its one kind of job, nothing more.
    const worker = new Worker(this.o.source, { eval: true, workerData: this.o.workerData(), execArgv: [] });
    worker.unref();
    worker.on('message', (result: Result) => {
      worker.unref();
      this.finish(this.o.settle(result));
    });
    const lost = (err: Error) => {
      // 'error' is followed by 'exit': the job in flight fails once, and only this worker's.
      if (this.worker !== worker) return;
      this.worker = null;
      this.finish(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`${this.o.name} exited with code ${code}`)));
    return worker;
  }

  private finish(outcome: Value | Error): void {
    const pending = this.pending;
    this.pending = null;
    if (pending === null) return;
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker === null) return;
    if (this.o.closing === undefined) return void (await worker.terminate());
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref();
    worker.postMessage(this.o.closing);
    await exited;
  }
}

/** Syncs the log in a worker thread of its own (wal-sync-worker.ts), started at the first sync. */
export class WorkerWalSyncer implements WalSyncer {
  private readonly jobs: WorkerJobs<WalSyncResult, void>;

  constructor(walFile: string) {
    this.jobs = new WorkerJobs<WalSyncResult, void>({
      name: 'the database log syncer',
      oneAtATime: 'one sync of the database log at a time',
      source: WAL_SYNC_WORKER,
      workerData: () => ({ walFile }),
      job: null,
      settle: (result) => result.ok ? undefined : Object.assign(new Error(`could not sync the database log ${walFile}: ${result.message}`), { code: result.code }),
    });
  }

  sync(): Promise<void> {
    return this.jobs.run();
  }

  close(): Promise<void> {
    return this.jobs.close();
  }
}

/**
 * Checkpoints the log in a worker thread of its own (WAL_CHECKPOINT_WORKER),
 * on its own connection to the database, started at the first checkpoint.
 * Not the syncer's thread: a checkpoint takes two fsyncs and page copies, and
 * the syncs that release tokens would wait behind it.
 */
export class WorkerWalCheckpointer implements WalCheckpointer {
  private readonly jobs: WorkerJobs<WalCheckpointResult, CheckpointReport>;

  constructor(dbFile: string) {
    this.jobs = new WorkerJobs<WalCheckpointResult, CheckpointReport>({
      name: 'the database checkpointer',
      oneAtATime: 'one checkpoint of the database log at a time',
      source: WAL_CHECKPOINT_WORKER,
      // An evaluated worker cannot resolve modules itself: it is given the driver's path.
      workerData: () => ({ file: dbFile, driver: createRequire(import.meta.url).resolve('better-sqlite3') }),
      job: 'checkpoint',
      settle: (result) => result.ok
        ? { busy: result.busy, log: result.log, checkpointed: result.checkpointed }
        : Object.assign(new Error(`could not checkpoint the database log of ${dbFile}: ${result.message}`), { code: result.code }),
      // Its connection is closed by the worker itself before it ends.
      closing: 'close',
    });
  }

  checkpoint(): Promise<CheckpointReport> {
    return this.jobs.run();
  }

  close(): Promise<void> {
    return this.jobs.close();
  }
}
