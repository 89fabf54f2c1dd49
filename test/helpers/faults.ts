/**
 * A real fault of the database, for tests that a change and its webhook event
 * commit together (issue 21): while `fn` runs, a trigger makes the engine
 * refuse every insert into `webhook_events`, as a full disk or a crash at that
 * point would. On SQLite a `RAISE(ABORT)`, on PostgreSQL a plpgsql function.
 */
import { sql } from 'kysely';
import type { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import { testEngine, type TestGatehouse } from './gatehouse.js';

export async function withEventFault<T>(gh: TestGatehouse, fn: () => Promise<T>): Promise<T> {
  const db = (gh.ctx.storage as SqlStorage).db;
  // In a unit: SQLite's group commit sends statements it takes for read-only to the reading connection, and
  // to it a DROP or CREATE of a trigger can look read-only.
  const ddl = (statements: ReturnType<typeof sql>[]) => gh.ctx.storage.atomically(async () => {
    for (const s of statements) await s.execute(db);
  });
  const postgres = testEngine() === 'postgres';
  await ddl(postgres
    ? [
      sql`create function inject_webhook_fault() returns trigger language plpgsql as $$ begin raise exception 'injected'; end $$`,
      sql`create trigger inject_webhook_fault before insert on webhook_events for each row execute function inject_webhook_fault()`,
    ]
    : [sql`create trigger inject_webhook_fault before insert on webhook_events begin select raise(abort, 'injected'); end`]);
  try {
    return await fn();
  } finally {
    await ddl(postgres
      ? [sql`drop trigger inject_webhook_fault on webhook_events`, sql`drop function inject_webhook_fault()`]
      : [sql`drop trigger inject_webhook_fault`]);
  }
}
