/**
 * The audit log (issue 10): who did what, when and from where — sign-ins,
 * consents, tokens issued and revoked, changes to apps and users. Rows are
 * never updated. No foreign keys: an entry outlives the user or app it names.
 * Nothing secret is stored (see src/audit/audit-log.ts).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    // Time-ordered: the zero-padded time, then random hex (see SqlStorage.appendAudit).
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('action', 'varchar(40)', (c) => c.notNull())
    .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
    .addColumn('actor_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(64)')
    .addColumn('user_id', 'varchar(32)')
    .addColumn('client_id', 'varchar(32)')
    .addColumn('ip', 'varchar(64)')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
  await db.schema.createIndex('audit_log_user').on('audit_log').columns(['user_id', 'at']).execute();
  await db.schema.createIndex('audit_log_client').on('audit_log').columns(['client_id', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
}
