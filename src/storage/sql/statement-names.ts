/**
 * Statements PostgreSQL keeps prepared by name, once per connection.
 *
 * pg sends a statement without a name as Parse, Bind and Execute: the
 * server parses, analyses and plans its text at every run. With a name, it
 * does so once per connection and afterwards only binds the new values. For
 * the short writes of a sign-in or a grant that was about 65 µs of the
 * server's CPU a statement (measured: docs/benchmarks.md).
 *
 * Two kinds of text are named:
 * - fixed texts declared with `keepPrepared` (`compiledOnce(…, { prepared:
 *   true })`, the grants' inserts in hot-writes.ts): every statement Kysely
 *   sends with one of these texts, in a transaction or not, goes by name
 *   (`preparingPool`);
 * - the writes the hot paths send on the pool themselves (prepared-reads.ts),
 *   named by `statementName` whatever their text.
 *
 * A kept text must list the columns it reads back: a prepared statement's
 * result has the columns it had when it was prepared, and PostgreSQL refuses
 * to run one whose `*` now means more ("cached plan must not change result
 * type", on a connection opened before a migration added a column).
 */
import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/** Texts kept prepared, with their names. */
const kept = new Map<string, string>();
/** Names of other texts seen, up to a bound: a text built per request is not worth keeping. */
const seen = new Map<string, string>();
const MAX_SEEN = 64;

const nameOf = (text: string) => `gatehouse_w_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;

/** Declares `text` fixed: on PostgreSQL, Kysely's statements with this text are prepared by name. */
export function keepPrepared(text: string): void {
  if (kept.has(text)) return;
  if (/\*/.test(text.replace(/count\(\*\)/gi, ''))) throw new Error(`a statement kept prepared must list its columns, not *: ${text}`);
  kept.set(text, nameOf(text));
}

/** The name `text` is prepared under. */
export function statementName(text: string): string {
  let name = kept.get(text) ?? seen.get(text);
  if (name === undefined) {
    name = nameOf(text);
    if (seen.size < MAX_SEEN) seen.set(text, name);
  }
  return name;
}

/**
 * Whether PostgreSQL refused a prepared statement because the result of its
 * text is no longer the one it was prepared with (a migration changed a
 * column's type under it). The statement stays refused on that connection
 * for as long as the connection lives, so the connection is dropped: the
 * next one prepares the text anew.
 */
export function planChanged(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}

/**
 * Whether the server ended the session with its error (severity FATAL or
 * PANIC: the backend was terminated by a restart, a failover, an operator).
 * The client may not have seen its socket close yet when it is given back
 * to the pool, and the next statement on it would fail.
 */
export function sessionEnded(err: unknown): boolean {
  const severity = (err as { severity?: unknown } | null)?.severity;
  return severity === 'FATAL' || severity === 'PANIC';
}

/**
 * `pool` as Kysely's PostgreSQL dialect takes it, with the clients it hands
 * out sending each kept text by name (and every other statement as before).
 * A client whose kept statement was refused by `planChanged`, or whose
 * session the server ended (`sessionEnded`), is dropped when it is given back.
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let wrapper = wrapped.get(client);
    if (wrapper === undefined) {
      let stale = false;
      wrapper = {
        // A cursor (an object) passes through; a kept text goes with its name.
        query: (text: any, parameters?: readonly unknown[]): any => {
          const name = typeof text === 'string' ? kept.get(text) : undefined;
          const sent = name === undefined ? client.query(text, parameters as unknown[]) : client.query({ name, text, values: parameters as unknown[] });
          // A cursor answers with itself, not a promise: its failures are its own to report.
          if (!(sent instanceof Promise)) return sent;
          return sent.catch((err: unknown) => {
            if (planChanged(err) || sessionEnded(err)) stale = true;
            throw err;
          });
        },
        release: (destroy?: boolean) => client.release(destroy || stale),
      };
      wrapped.set(client, wrapper);
    }
    return wrapper;
  };
  return { connect: async () => wrap(await pool.connect()), end: () => pool.end() };
}
