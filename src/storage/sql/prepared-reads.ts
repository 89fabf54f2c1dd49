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
import { statementName } from './statement-names.js';

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

type QueryClass = new (config: pg.QueryConfig & { rowMode: 'array' }) => object;
type Parser = (value: string) => unknown;
interface Field { dataTypeID: number; format?: string }

/** By connection, the column parsers of each statement described there: what the connection learnt, whichever storage asked. */
const parsersOf = new WeakMap<object, Map<string, Parser[]>>();

/**
 * node-postgres' query, for a read by name whose result is described once
 * per connection. node-postgres asks the server to describe the result at
 * every run, and from the answer builds each column's parser and an empty
 * row object (unused by a read in `rowMode: 'array'`): for the token check's
 * 21 columns, about a third of the client's CPU per read (measured in
 * docs/benchmarks.md). A prepared statement's columns cannot change while it
 * lives on its connection (the server refuses to run it then: "cached plan
 * must not change result type"), so the parsers learnt at its first run
 * there are kept for the connection, and later runs are sent without a
 * Describe: Bind, Execute, Sync.
 */
function describedOnce(Query: QueryClass) {
  const base = Query as unknown as new (config: object) => QueryInternals;
  return class DescribedOnce extends base {
    private describedOn: object | undefined;
    constructor(config: pg.QueryConfig & { rowMode: 'array' }) {
      super(config);
    }
    override prepare(connection: ConnectionInternals): void {
      this.describedOn = connection;
      const parsers = parsersOf.get(connection)?.get(this.name!);
      if (parsers === undefined || connection.parsedStatements[this.name!] === undefined || !this.values!.every(plain)) return super.prepare(connection);
      this._result._parsers = parsers;
      this._accumulateRows = true;
      try {
        connection.bind({ portal: '', statement: this.name, values: this.values, binary: false, valueMapper: bindValue });
      } catch (err) {
        connection.sync();
        return this.handleError(err, connection);
      }
      connection.execute({ portal: '', rows: undefined });
      connection.sync();
    }
    override handleRowDescription(msg: { fields: Field[] }): void {
      super.handleRowDescription(msg);
      let kept = parsersOf.get(this.describedOn!);
      if (kept === undefined) parsersOf.set(this.describedOn!, (kept = new Map()));
      kept.set(this.name!, this._result._parsers);
    }
  };
}

/** `query` run on `client` as node-postgres runs any query object it is given (a "submittable"). */
function submit(client: pg.PoolClient, query: object): Promise<pg.QueryResult<unknown[]>> {
  return new Promise((resolve, reject) => {
    (client as unknown as { query(q: object, done: (err: Error | null, result: pg.QueryResult<unknown[]>) => void): void }).query(query, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** A value bound as node-postgres binds it, by its text: a string, a number, null. Any other goes through node-postgres. */
const plain = (value: unknown): boolean => value === null || typeof value === 'string' || typeof value === 'number';
const bindValue = (value: unknown): string | null => (value === null ? null : String(value));

interface QueryInternals {
  name?: string;
  values?: unknown[];
  _result: { _parsers: Parser[] };
  _accumulateRows: boolean;
  prepare(connection: ConnectionInternals): void;
  handleRowDescription(msg: { fields: Field[] }): void;
  handleError(err: unknown, connection: ConnectionInternals): void;
}

interface ConnectionInternals {
  parsedStatements: Record<string, string>;
  bind(config: object): void;
  execute(config: object): void;
  sync(): void;
}

/** Whether an error came from the server (the connection stays usable) rather than from the connection itself. */
const fromServer = (err: unknown): boolean => err instanceof Error && 'severity' in err;

/**
 * Whether the server refused a statement and went on (severity ERROR: its
 * implicit transaction rolled back). Not a FATAL one, which ends the session
 * and may come after the commit it followed.
 */
export const refused = (err: unknown): boolean => fromServer(err) && (err as { severity?: unknown }).severity === 'ERROR';

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
 */
export function postgresReads(pool: pg.Pool): PreparedReads {
  const Read = describedOnce((pool as unknown as { Client: { Query: QueryClass } }).Client.Query);
  let pending: PendingRead[] = [];
  const send = async (batch: PendingRead[]): Promise<void> => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
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
        answers.push(submit(client, new Read({ name: `gatehouse_${read.name}`, text: read.text, values: read.parameters as unknown[], rowMode: 'array' })).then(
          (result) => read.resolve(result.rows[0]),
          (err: unknown) => {
            if (!fromServer(err)) broken = err;
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
    // An error the server sent leaves the connection usable; any other (a dropped connection) does not.
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
        client.query<unknown[]>({ name: `gatehouse_${name}`, text, values: parameters as unknown[], rowMode: 'array' }),
      ];
    } finally {
      uncork(client);
    }
    const answers = await Promise.allSettled(sent);
    // An error the server sent leaves the connection usable; any other (a dropped connection) does not.
    broken = answers.some((answer) => answer.status === 'rejected' && !fromServer(answer.reason));
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
