/**
 * A row version on `users` and `apps`, kept by the database itself: a trigger
 * gives the row a new random version on every insert and every update, by
 * whatever statement, process or tool (the server, the CLI, an operator's
 * psql). The token check reads the versions of the token's user and app in
 * its one statement and takes their records from a cache in the process only
 * while the versions match (record-cache.ts), so a cached record is exact: a
 * change committed anywhere is seen by the next check, in every process,
 * without messages between them.
 *
 * Random rather than counting up, so that a row deleted and made again with
 * the same key never meets a version a process remembers; 53 bits, so that
 * every driver reads it as the same exact number or string.
 */
import { PostgresAdapter, sql, type Kysely } from 'kysely';

const TABLES = [['users', 'id'], ['apps', 'client_id']] as const;

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const [table] of TABLES) {
    await db.schema.alterTable(table).addColumn('row_version', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  }
  if (postgres) {
    await sql`create function gatehouse_row_version() returns trigger language plpgsql as $$
      begin
        new.row_version := floor(random() * 9007199254740991)::bigint;
        return new;
      end $$`.execute(db);
    for (const [table] of TABLES) {
      await sql.raw(`create trigger ${table}_row_version before insert or update on ${table}
        for each row execute function gatehouse_row_version()`).execute(db);
    }
    return;
  }
  // SQLite: a trigger cannot change the row being written, so it updates it once written. Recursive
  // triggers are off (SQLite's default), so that update does not fire the trigger again.
  for (const [table, key] of TABLES) {
    for (const event of ['insert', 'update']) {
      await sql.raw(`create trigger ${table}_row_version_${event} after ${event} on ${table} for each row begin
        update ${table} set row_version = abs(random()) % 9007199254740991 where ${key} = new.${key};
      end`).execute(db);
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const [table] of TABLES) {
    if (postgres) await sql.raw(`drop trigger ${table}_row_version on ${table}`).execute(db);
    else for (const event of ['insert', 'update']) await sql.raw(`drop trigger ${table}_row_version_${event}`).execute(db);
    await db.schema.alterTable(table).dropColumn('row_version').execute();
  }
  if (postgres) await sql`drop function gatehouse_row_version()`.execute(db);
}
