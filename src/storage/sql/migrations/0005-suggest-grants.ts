/**
 * Personalisation grants of the instant-login frames (docs/protocol.md §8): what lets
 * Gatehouse's button inside a site's page say "Log in as Alice" although the
 * browser sends it no cookie of Gatehouse's own. A grant lives no longer than
 * the session it was made from: signing out deletes the session, and the
 * foreign key deletes the grant with it.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('suggest_grants')
    .addColumn('hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('client_id', 'varchar(32)', (c) => c.notNull().references('apps.client_id').onDelete('cascade'))
    .addColumn('origin', 'varchar(300)', (c) => c.notNull())
    .addColumn('session_hash', 'varchar(64)', (c) => c.notNull().references('sessions.hash').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('suggest_grants_user_client').on('suggest_grants').columns(['user_id', 'client_id']).execute();
  await db.schema.createIndex('suggest_grants_session').on('suggest_grants').column('session_hash').execute();
  await db.schema.createIndex('suggest_grants_expires').on('suggest_grants').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('suggest_grants').execute();
}
