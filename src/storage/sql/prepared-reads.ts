/**
 * Reads on the hot path, sent to the driver as fixed SQL text: no Kysely
 * query is built or compiled per request. On SQLite the statement is
 * prepared once on the reading connection (which sees only what is
 * committed, as every other read does, sqlite-group-commit.ts); on
 * PostgreSQL it is a named prepared statement, parsed once per connection.
 */
import type SQLite from 'better-sqlite3';
import { CompiledQuery, type Kysely } from 'kysely';
import type pg from 'pg';
import type { GroupCommitSqliteDialect } from '../sqlite-group-commit.js';
import { planChanged, statementName } from './statement-names.js';

/** A row as its values in the order the statement selects them: cheaper to make than an object, on both drivers. */
export type Row = readonly unknown[];

export interface PreparedReads {
  /** `$1`, `$2`… on PostgreSQL, `?` on SQLite: the text of the n-th parameter (1-based). */
  parameter(n: number): string;
  /** The first row of a read-only statement, or undefined. `name` identifies the statement: one name, one text. */
  first(name: string, text: string, parameters: readonly unknown[]): Promise<Row | undefined>;
  /**
   * `first`, answered before returning: SQLite's reading connection only,
   * whose driver is synchronous. A caller that has its answer at once need
   * not wait a turn of the event loop for it (`HotReads.tokenNow`).
   */
  firstNow?(name: string, text: string, parameters: readonly unknown[]): Row | undefined;
  /**
   * `writes`, then the read `first` would make, such that every commit the
   * read does not see comes after the writes' commit: what lets a check made
   * after a write (`SqlStorage.checkIssued`) miss nothing that happened before
   * it. A failed write is thrown. Absent where neither way below exists.
   * - PostgreSQL's pool: the writes (each committed on its own), then the
   *   read sent behind them without waiting for their answers, on one
   *   connection: one round trip for all. The server runs them in order,
   *   each ending at its own Sync, so the read starts only once the writes
   *   have committed, exactly as if it were sent after the answers came.
   * - SQLite's group commit: the writes and the read one right after the
   *   other in one group on the writing connection, which holds the write
   *   lock meanwhile, released once the group is durable
   *   (`GroupCommitDriver.writeThenRead`). The read sees the writes, and
   *   whatever it does not see can only commit after them. Its pages are the
   *   ones the writes just touched, in the writing connection's cache; the
   *   reading connection drops its whole cache whenever the log has changed
   *   since its last read (SQLite's WAL mode), so there it would read them
   *   all again (about 50 µs against 5, measured on a table of 200k tokens).
   */
  firstAfter?(writes: readonly CompiledQuery[], name: string, text: string, parameters: readonly unknown[]): Promise<Row | undefined>;
  /**
   * PostgreSQL's pool only: a write of fixed text (hot-writes.ts) as a named
   * prepared statement, parsed and planned once per connection rather than
   * at every run as Kysely's driver sends it; its rows as objects.
   */
  write?(query: CompiledQuery): Promise<Record<string, unknown>[]>;
  /**
   * PostgreSQL's pool only: `write`, then a read, sent as `firstAfter` sends
   * them (one connection, one round trip, the read starting once the write
   * has committed); every row of the read. When the server refuses the write
   * with an ERROR it rejects with a `WriteRefused`: the write's own implicit
   * transaction was rolled back, so nothing of it was kept and it can be made
   * again. Any other failure is thrown as it came.
   */
  rowsAfter?(write: CompiledQuery, name: string, text: string, parameters: readonly unknown[]): Promise<Row[]>;
  /** Closes what these reads opened for themselves (PostgreSQL's reading pool), once the storage closes. */
  close?(): Promise<void>;
}

/** A batch's write (`PreparedReads.rowsAfter`'s, `HotReads.writeOrRefuse`'s), refused by the server (`cause`, its error): nothing of it was committed. */
export class WriteRefused extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * The reading connection of a SQLite database: synchronous, a statement
 * cache, nothing in between; and `firstAfter` through the group-commit
 * driver's writing connection (`writer`), when given.
 */
export function sqliteReads(reader: SQLite.Database, writer?: Pick<GroupCommitSqliteDialect, 'writeThenRead'>): PreparedReads {
  const statements = new Map<string, SQLite.Statement<unknown[], unknown[]>>();
  const firstNow = (name: string, text: string, parameters: readonly unknown[]): Row | undefined => {
    let stmt = statements.get(name);
    if (stmt === undefined) {
      stmt = reader.prepare<unknown[], unknown[]>(text).raw(true);
      statements.set(name, stmt);
    }
    return stmt.get(parameters);
  };
  return {
    parameter: () => '?',
    ...(writer && {
      firstAfter: (writes: readonly CompiledQuery[], _name: string, text: string, parameters: readonly unknown[]) =>
        writer.writeThenRead(writes, CompiledQuery.raw(text, [...parameters])),
    }),
    firstNow,
    async first(name, text, parameters) {
      return firstNow(name, text, parameters);
    },
  };
}

/** The most reads one batch sends: a batch waits for all of its answers before its connection goes back to the pool. */
const MAX_BATCH = 64;

interface PendingRead {
  name: string;
  text: string;
  parameters: readonly unknown[];
  resolve(row: Row | undefined): void;
  reject(err: unknown): void;
}

/** The socket of a pg client, which node-postgres corks for each query it sends. */
const socketOf = (client: pg.PoolClient) => (client as unknown as { connection: { stream: { cork?(): void; uncork?(): void } } }).connection.stream;

/**
 * Until `uncork`, what is sent to `client` is kept and then written to its
 * socket in one system call (node-postgres writes each query on its own):
 * on a machine where a system call is dear, a good part of a request's cost.
 */
function cork(client: pg.PoolClient): void {
  socketOf(client).cork?.();
}

function uncork(client: pg.PoolClient): void {
  socketOf(client).uncork?.();
}

type Parser = (value: string) => unknown;

/** By connection, the column parsers of each statement described there: what the connection learnt, whichever storage asked. */
const parsersOf = new WeakMap<object, Map<string, Parser[]>>();

/** What a hot read uses of node-postgres' connection: its protocol messages, and the statements it has prepared. */
interface Connection {
  stream: { cork?(): void; uncork?(): void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(config: { name: string; text: string }): void;
  bind(config: { portal: string; statement: string; values: readonly unknown[]; binary: false; valueMapper(value: unknown): string | null }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: { portal: string }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

/** node-postgres' query class (`pg.Query`), which every query a pipelined connection runs must be. */
type QueryClass = new (config: object) => object;

/** What a hot read is given to run. */
interface HotReadInput {
  /** Read by node-postgres: the statement it records as prepared on the connection once this read is answered. */
  name: string;
  text: string;
  values: readonly (string | number | null)[];
  types: Pick<pg.PoolClient, 'getTypeParser'>;
  /** Called once, by node-postgres, with the first row (undefined: none) or the failure. */
  callback(err: unknown, row?: Row): void;
}

type HotReadClass = new (input: HotReadInput) => object;
const hotReadClasses = new WeakMap<QueryClass, HotReadClass>();

/**
 * One read by name, as a node-postgres query: its first row, parsed as
 * node-postgres parses rows in `rowMode: 'array'`.
 *
 * node-postgres' own query asks the server to describe the result at every
 * run and from the answer builds each column's parser and an empty row
 * object, after copying its configuration property by property: for the
 * token check's 21 columns, about half the client's CPU per read (measured
 * in docs/benchmarks.md). A prepared statement's columns cannot change
 * while it lives on its connection (the server refuses to run it then:
 * "cached plan must not change result type"), so this read asks for the
 * description only at the statement's first run on a connection and keeps
 * the parsers for the connection: later runs are Bind, Execute, Sync.
 *
 * It is node-postgres' query class extended (of the pool's own module:
 * pg is loaded only for PostgreSQL), because a pipelined connection runs
 * nothing else; every message of the protocol it can be handed is answered
 * here, so nothing of the base class runs but its constructor.
 */
function hotReadClass(Query: QueryClass): HotReadClass {
  const known = hotReadClasses.get(Query);
  if (known !== undefined) return known;
  class HotRead extends Query {
    readonly name: string;
    readonly text: string;
    readonly callback: HotReadInput['callback'];
    private readonly values: HotReadInput['values'];
    private readonly types: HotReadInput['types'];
    private parsers: Parser[] | undefined;
    private row: unknown[] | undefined;
    private failed: unknown;
    private connection: Connection | undefined;

    constructor(input: HotReadInput) {
      // Nothing for the base class to copy: the read keeps its own.
      super(NO_CONFIG);
      this.name = input.name;
      this.text = input.text;
      this.values = input.values;
      this.types = input.types;
      this.callback = input.callback;
    }

    /** Sends the read; an error returned is reported to `callback` (as node-postgres' own query does). */
    submit(connection: Connection): Error | null {
      const prepared = connection.parsedStatements[this.name] ?? connection.submittedNamedStatements[this.name];
      if (prepared !== undefined && prepared !== this.text) return new Error(`prepared statement ${this.name} is another statement on this connection`);
      this.connection = connection;
      this.parsers = prepared === undefined ? undefined : parsersOf.get(connection)?.get(this.name);
      connection.stream.cork?.();
      try {
        if (prepared === undefined) {
          connection.parse({ name: this.name, text: this.text });
          connection.submittedNamedStatements[this.name] = this.text;
        }
        connection.bind({ portal: '', statement: this.name, values: this.values, binary: false, valueMapper: bindValue });
        if (this.parsers === undefined) connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '' });
        connection.sync();
      } finally {
        connection.stream.uncork?.();
      }
      return null;
    }

    handleRowDescription(msg: { fields: ReadonlyArray<{ dataTypeID: number; format?: string }> }): void {
      const parsers = msg.fields.map((field) => this.types.getTypeParser(field.dataTypeID, (field.format ?? 'text') as 'text') as Parser);
      this.parsers = parsers;
      let kept = parsersOf.get(this.connection!);
      if (kept === undefined) parsersOf.set(this.connection!, (kept = new Map()));
      kept.set(this.name, parsers);
    }

    handleDataRow(msg: { fields: ReadonlyArray<string | null> }): void {
      if (this.row !== undefined || this.failed !== undefined) return;
      const { fields } = msg;
      const row = new Array<unknown>(fields.length);
      try {
        for (let i = 0; i < fields.length; i++) row[i] = fields[i] === null ? null : this.parsers![i]!(fields[i]!);
      } catch (err) {
        // As node-postgres: the read fails once the server is done with it.
        this.failed = err;
        return;
      }
      this.row = row;
    }

    handleReadyForQuery(): void {
      if (this.failed !== undefined) this.callback(this.failed);
      else this.callback(null, this.row);
    }

    handleError(err: unknown): void {
      this.callback(err);
    }

    handleCommandComplete(): void {}
    handleEmptyQuery(): void {}
    handlePortalSuspended(): void {}
    handleCopyInResponse(connection: Connection): void {
      connection.sendCopyFail('a read copies nothing');
    }
    handleCopyData(): void {}
  }
  hotReadClasses.set(Query, HotRead);
  return HotRead;
}

const NO_CONFIG = Object.freeze({});

/** A value bound by its text, as node-postgres binds strings and numbers. */
const plain = (value: unknown): value is string | number | null => value === null || typeof value === 'string' || typeof value === 'number';
const bindValue = (value: unknown): string | null => (value === null ? null : String(value));

/** The name a read is prepared under on each connection, whichever way it is sent. */
const readName = (name: string): string => `gatehouse_${name}`;

/** `read` run on `client`: its first row. */
function runRead(client: pg.PoolClient, read: PendingRead): Promise<Row | undefined> {
  const name = readName(read.name);
  if (!read.parameters.every(plain)) {
    // Arrays, dates, buffers: bound by node-postgres' own query, which converts them.
    return client.query<unknown[]>({ name, text: read.text, values: read.parameters as unknown[], rowMode: 'array' }).then((result) => result.rows[0]);
  }
  const HotRead = hotReadClass((client as unknown as { constructor: { Query: QueryClass } }).constructor.Query);
  return new Promise((resolve, reject) => {
    const values = read.parameters as (string | number | null)[];
    (client as unknown as { query(read: object): void }).query(new HotRead({ name, text: read.text, values, types: client, callback: (err, row) => (err === null ? resolve(row) : reject(err)) }));
  });
}

/** Whether an error came from the server rather than from the connection itself. */
const fromServer = (err: unknown): boolean => err instanceof Error && 'severity' in err;

/**
 * Whether the server refused a statement and went on (severity ERROR: its
 * implicit transaction rolled back). Not a FATAL one, which ends the session
 * and may come after the commit it followed.
 */
export const refused = (err: unknown): boolean => fromServer(err) && (err as { severity?: unknown }).severity === 'ERROR';

/**
 * Whether the connection a statement failed on can go back to the pool: the
 * server refused the statement and went on (`refused`: not an error of the
 * connection, nor one that ended the session, `sessionEnded`), and not for
 * good (`planChanged`).
 */
const usableAfter = (err: unknown): boolean => refused(err) && !planChanged(err);

/**
 * A pg pool. Reads are prepared by name on each connection the first time
 * they run there, and batched: every read asked for while the event loop
 * handles one round of I/O (the requests that arrived together, and the
 * reads one request starts at once) is sent at the next turn on one
 * connection, one behind the other without waiting (node-postgres' pipeline
 * mode), and written to the socket at once. The server answers them in
 * order, each in its own implicit transaction ending at its own Sync, so
 * each read sees exactly what it would have seen alone, started no earlier
 * than it was asked for; what a batch saves is the round trips, and on both
 * sides the system calls and wake-ups of each. Only reads are batched:
 * writes keep a connection each, so that their commits (and their waits for
 * the log to reach the disk) are never queued behind one another's.
 *
 * `readPool`, when given, is where those reads go: connections that only
 * they use (open.ts gives them GATEHOUSE_DATABASE_READ_POOL_SIZE). A write
 * holds its connection for as long as it waits — on a row another request
 * has locked, on a lock a maintenance statement holds — and enough of them
 * could otherwise leave a token check no connection to run on, until they
 * were done (test/scale/stuck-writes.test.ts). The writes, and the reads
 * made behind them (`firstAfter`, `rowsAfter`), stay on `pool`.
 */
export function postgresReads(pool: pg.Pool, readPool: pg.Pool = pool): PreparedReads {
  let pending: PendingRead[] = [];
  const send = async (batch: PendingRead[]): Promise<void> => {
    let client: pg.PoolClient;
    try {
      client = await readPool.connect();
    } catch (err) {
      for (const read of batch) read.reject(err);
      return;
    }
    let broken: unknown;
    const pipelined = batch.length > 1;
    if (pipelined) {
      (client as { pipeline: boolean }).pipeline = true;
      cork(client);
    }
    const answers: Promise<void>[] = [];
    try {
      for (const read of batch) {
        answers.push(runRead(client, read).then(
          (row) => read.resolve(row),
          (err: unknown) => {
            if (!usableAfter(err)) broken = err;
            read.reject(err);
          },
        ));
      }
    } catch (err) {
      // Not sent (node-postgres refused the query itself): the reads not yet asked for fail with it.
      broken = err;
      for (const read of batch.slice(answers.length)) read.reject(err);
    } finally {
      if (pipelined) uncork(client);
    }
    await Promise.all(answers);
    if (pipelined) (client as { pipeline: boolean }).pipeline = false;
    client.release(broken !== undefined);
  };
  const flush = (): void => {
    const all = pending;
    pending = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) void send(all.slice(i, i + MAX_BATCH));
  };
  return {
    parameter: (n) => `$${n}`,
    first(name, text, parameters) {
      return new Promise<Row | undefined>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ name, text, parameters, resolve, reject });
      });
    },
    async write(query) {
      return (await pool.query({ name: statementName(query.sql), text: query.sql, values: [...query.parameters] })).rows;
    },
    async firstAfter(writes, name, text, parameters) {
      const answers = await afterWrites(pool, writes, name, text, parameters);
      for (const answer of answers) if (answer.status === 'rejected') throw answer.reason;
      return (answers[answers.length - 1] as PromiseFulfilledResult<pg.QueryResult<unknown[]>>).value.rows[0];
    },
    async rowsAfter(write, name, text, parameters) {
      const [written, read] = await afterWrites(pool, [write], name, text, parameters);
      if (written!.status === 'rejected') throw refused(written!.reason) ? new WriteRefused(written!.reason) : written!.reason;
      if (read!.status === 'rejected') throw read!.reason;
      return read!.value.rows;
    },
  };
}

/**
 * `writes`, then the read, on one connection of `pool` in one socket write
 * (`PreparedReads.firstAfter`): how each of them was answered, in order.
 */
async function afterWrites(pool: pg.Pool, writes: readonly CompiledQuery[], name: string, text: string, parameters: readonly unknown[]): Promise<PromiseSettledResult<pg.QueryResult<unknown[]>>[]> {
  const client = await pool.connect();
  let broken = false;
  // Pipeline mode (node-postgres' own, per client) only while these are in flight: every
  // other use of the connection, Kysely's included, sends one statement at a time as before.
  (client as { pipeline: boolean }).pipeline = true;
  try {
    cork(client);
    let sent: Promise<pg.QueryResult<unknown[]>>[];
    try {
      sent = [
        ...writes.map((write) => client.query<unknown[]>({ name: statementName(write.sql), text: write.sql, values: [...write.parameters] })),
        client.query<unknown[]>({ name: readName(name), text, values: parameters as unknown[], rowMode: 'array' }),
      ];
    } finally {
      uncork(client);
    }
    const answers = await Promise.allSettled(sent);
    broken = answers.some((answer) => answer.status === 'rejected' && !usableAfter(answer.reason));
    return answers;
  } finally {
    (client as { pipeline: boolean }).pipeline = false;
    client.release(broken);
  }
}

/**
 * Through Kysely's own driver, for a database opened without a raw handle (an
 * in-memory SQLite in a test, another dialect): the same SQL text, the same
 * answers.
 */
export function kyselyReads<DB>(db: Kysely<DB>, placeholders: 'sqlite' | 'postgres'): PreparedReads {
  return {
    parameter: (n) => (placeholders === 'postgres' ? `$${n}` : '?'),
    async first(_name, text, parameters) {
      const row = (await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...parameters]))).rows[0];
      return row && Object.values(row);
    },
  };
}
