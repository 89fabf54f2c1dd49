/**
 * Reads on the hot path, sent to the driver as fixed SQL text: no Kysely
 * query is built or compiled per request. On SQLite the statement is
 * prepared once on the reading connection (which sees only what is
 * committed, as every other read does, sqlite-group-commit.ts); on
 * PostgreSQL it is a named prepared statement, parsed once per connection.
 */
import type SQLite from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { CompiledQuery, type Kysely } from 'kysely';
import type pg from 'pg';

/** A row as its values in the order the statement selects them: cheaper to make than an object, on both drivers. */
export type Row = readonly unknown[];

export interface PreparedReads {
  /** `$1`, `$2`… on PostgreSQL, `?` on SQLite: the text of the n-th parameter (1-based). */
  parameter(n: number): string;
  /** The first row of a read-only statement, or undefined. `name` identifies the statement: one name, one text. */
  first(name: string, text: string, parameters: readonly unknown[]): Promise<Row | undefined>;
  /**
   * PostgreSQL's pool only: `write` (one statement, committed on its own),
   * then the read `first` would make, sent behind it without waiting for its
   * answer, on one connection: one round trip for both. The server runs them
   * in order, each ending at its own Sync, so the read starts only once the
   * write has committed, exactly as if it were sent after the answer came. A
   * failed write is thrown (the read still runs, and its answer is dropped).
   */
  firstAfter?(write: CompiledQuery, name: string, text: string, parameters: readonly unknown[]): Promise<Row | undefined>;
}

/** The reading connection of a SQLite database: synchronous, a statement cache, nothing in between. */
export function sqliteReads(reader: SQLite.Database): PreparedReads {
  const statements = new Map<string, SQLite.Statement<unknown[], unknown[]>>();
  return {
    parameter: () => '?',
    async first(name, text, parameters) {
      let stmt = statements.get(name);
      if (stmt === undefined) {
        stmt = reader.prepare<unknown[], unknown[]>(text).raw(true);
        statements.set(name, stmt);
      }
      return stmt.get(parameters);
    },
  };
}

/**
 * The name a write built by Kysely is prepared under: one per text (a grant's
 * insert has a handful of shapes), so that a connection parses each once.
 */
function writeName(text: string): string {
  return `gatehouse_w_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
}

/** A pg pool: one round trip per read, prepared by name on each connection the first time it runs there. */
export function postgresReads(pool: pg.Pool): PreparedReads {
  return {
    parameter: (n) => `$${n}`,
    async first(name, text, parameters) {
      const result = await pool.query<unknown[]>({ name: `gatehouse_${name}`, text, values: parameters as unknown[], rowMode: 'array' });
      return result.rows[0];
    },
    async firstAfter(write, name, text, parameters) {
      const client = await pool.connect();
      let failure: unknown;
      // Pipeline mode (node-postgres' own, per client) only while both are in flight: every
      // other use of the connection, Kysely's included, sends one statement at a time as before.
      (client as { pipeline: boolean }).pipeline = true;
      try {
        const [written, read] = await Promise.allSettled([
          client.query({ name: writeName(write.sql), text: write.sql, values: [...write.parameters] }),
          client.query<unknown[]>({ name: `gatehouse_${name}`, text, values: parameters as unknown[], rowMode: 'array' }),
        ]);
        if (written.status === 'rejected') throw (failure = written.reason);
        if (read.status === 'rejected') throw (failure = read.reason);
        return read.value.rows[0];
      } finally {
        (client as { pipeline: boolean }).pipeline = false;
        // An error the server sent leaves the connection usable; any other (a dropped connection) does not.
        client.release(failure !== undefined && !(failure instanceof Error && 'severity' in failure));
      }
    },
  };
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
