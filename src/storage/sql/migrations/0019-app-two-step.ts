/**
 * An app can require two-step sign-in: its users must have signed in with a
 * second factor (or a passkey that verified them) before it gets a code or a
 * token. Apps from before do not require it.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').addColumn('require_two_step', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').dropColumn('require_two_step').execute();
}
