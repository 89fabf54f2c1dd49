/**
 * Three indexes on columns that many rows leave empty now hold only the rows
 * that have a value: tokens by user and app (an app's own tokens, from
 * `client_credentials`, have no user), audit entries by user (those of an app's
 * own grants name none), and the repeat key of audit entries
 * (only repeated events such as refused sign-ins have one). A row with no value
 * costs each of them nothing: no entry to insert, and no page of theirs for a
 * grant's group commit to write (docs/benchmarks.md). Every query on these
 * columns asks for a value (`user_id = ?`, the repeat key's conflict target),
 * which is what lets SQLite and PostgreSQL use a partial index.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tokens_user_client').execute();
  await db.schema.createIndex('tokens_user_client').on('tokens').columns(['user_id', 'client_id']).where('user_id', 'is not', null).execute();
  await db.schema.dropIndex('audit_log_user').execute();
  await db.schema.createIndex('audit_log_user').on('audit_log').columns(['user_id', 'at']).where('user_id', 'is not', null).execute();
  await db.schema.dropIndex('audit_log_repeat').execute();
  await db.schema.createIndex('audit_log_repeat').unique().on('audit_log').column('repeat_key').where('repeat_key', 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_log_repeat').execute();
  await db.schema.createIndex('audit_log_repeat').unique().on('audit_log').column('repeat_key').execute();
  await db.schema.dropIndex('audit_log_user').execute();
  await db.schema.createIndex('audit_log_user').on('audit_log').columns(['user_id', 'at']).execute();
  await db.schema.dropIndex('tokens_user_client').execute();
  await db.schema.createIndex('tokens_user_client').on('tokens').columns(['user_id', 'client_id']).execute();
}
