/**
 * Units of work: a change, its audit entry and the webhook events it causes,
 * committed together or not at all (`Storage.atomically`).
 *
 * A door (a page, the CLI, the management API) changes things through
 * services that each hold the one `SqlStorage`; threading a transaction
 * handle through every service would make each of them know about it.
 * Instead a unit is ambient: `atomically` opens one database transaction and
 * runs its function with the transaction in an `AsyncLocalStorage`, and every
 * statement the storage (and its sub-stores) issues while that function runs
 * goes into it, through the `Kysely` handed out by `ambient` below. Code that
 * does not run in a unit is untouched and pays nothing more than a counter
 * check: the `AsyncLocalStorage` is enabled only while a unit is open, since
 * an enabled one makes every promise in the process about twice as costly to
 * settle (measured on Node 20: 47 → 118 ns an await).
 *
 * Rules for code run in a unit (docs/webhooks.md):
 * - It is short: no password hashing, no network. On SQLite the unit holds
 *   the write lock, and other writers wait until it ends.
 * - A failed statement fails the unit (on PostgreSQL the transaction is
 *   aborted by it): code that catches a database error and goes on writing
 *   does not belong in one.
 * - What must happen only once the change is durable (waking the webhook or
 *   mail sender) is passed to `afterCommit`; it is dropped if the unit rolls
 *   back. Work the function started but did not wait for sees the unit closed
 *   and runs on its own, outside it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';

interface Unit<DB> {
  /** The unit's transaction while it is open; null once it committed or rolled back. */
  trx: Transaction<DB> | null;
  afterCommit: (() => void)[];
}

export class Units<DB> {
  private readonly als = new AsyncLocalStorage<Unit<DB>>();
  /** Units open in this process; the AsyncLocalStorage is enabled only while there is one. */
  private open = 0;

  constructor(private readonly base: Kysely<DB>) {}

  /** The transaction of the unit the caller runs in, if any. */
  current(): Transaction<DB> | null {
    return this.open === 0 ? null : (this.als.getStore()?.trx ?? null);
  }

  /**
   * Runs `fn` in a unit: one transaction for everything it writes. Inside a
   * unit already, `fn` joins it (the outer unit commits or rolls back both).
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.current() !== null) return fn();
    const unit: Unit<DB> = { trx: null, afterCommit: [] };
    this.open++;
    let result: T;
    try {
      result = await this.base.transaction().execute((trx) => {
        unit.trx = trx;
        return this.als.run(unit, fn);
      });
    } finally {
      unit.trx = null;
      if (--this.open === 0) this.als.disable();
    }
    for (const then of unit.afterCommit) then();
    return result;
  }

  /** Runs `then` once the caller's unit has committed (never, if it rolls back); at once outside a unit. */
  afterCommit(then: () => void): void {
    const unit = this.open === 0 ? undefined : this.als.getStore();
    if (unit?.trx) unit.afterCommit.push(then);
    else then();
  }

  /**
   * The handle the stores use: the open unit's transaction for callers in a
   * unit, the database itself for everyone else. Methods are bound to
   * whichever it is, so Kysely's own private state is reached as usual.
   */
  ambient(): Kysely<DB> {
    return new Proxy(this.base, {
      get: (base, name) => {
        const db = this.current() ?? base;
        const value: unknown = Reflect.get(db, name, db);
        return typeof value === 'function' ? value.bind(db) : value;
      },
    });
  }
}

/**
 * Runs `fn` in a transaction of its own, or in the caller's unit when there is
 * one (a Kysely transaction cannot begin another): what a store method makes
 * atomic stays atomic, and becomes part of the larger whole.
 */
export function transact<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
