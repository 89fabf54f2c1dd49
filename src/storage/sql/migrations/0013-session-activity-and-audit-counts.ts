/**
 * Sessions remember when they were last used, so that they end after a time
 * without activity as well as at an absolute lifetime (src/http/session.ts).
 * Sessions from before keep ending when they did: last used when created.
 *
 * Audit entries can count repeats: anonymous failures (wrong passwords for
 * unknown logins, say) from one address within one window share one row,
 * found by `repeat_key`, whose `count` grows and `last_at` moves instead of a
 * new row being added for each (src/audit/audit-log.ts).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('last_seen_at', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update sessions set last_seen_at = created_at`.execute(db);

  await db.schema.alterTable('audit_log').addColumn('count', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('audit_log').addColumn('last_at', 'bigint').execute();
  await db.schema.alterTable('audit_log').addColumn('repeat_key', 'varchar(200)').execute();
  await db.schema.createIndex('audit_log_repeat').unique().on('audit_log').column('repeat_key').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_log_repeat').execute();
  for (const column of ['repeat_key', 'last_at', 'count']) await db.schema.alterTable('audit_log').dropColumn(column).execute();
  await db.schema.alterTable('sessions').dropColumn('last_seen_at').execute();
}
