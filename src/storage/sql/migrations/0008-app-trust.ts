/**
 * What only an operator decides about an app: whether it is the provider's
 * own (first-party: listed in the issuer host's app-link files and offered
 * saved passwords), and who blocked it (an operator's block is lifted only by
 * an operator). Apps blocked before this column existed count as blocked by
 * an operator: the audit log cannot say for sure, and the owner can ask.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').addColumn('first_party', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('apps').addColumn('blocked_by', 'varchar(16)').execute();
  await db.updateTable('apps').set({ blocked_by: 'operator' }).where('status', '=', 'blocked').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').dropColumn('blocked_by').execute();
  await db.schema.alterTable('apps').dropColumn('first_party').execute();
}
