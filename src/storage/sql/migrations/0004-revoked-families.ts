/**
 * Revoked token families, remembered on their own: a token issued into a
 * family that a concurrent request has just revoked (a replayed code racing
 * the first exchange, RFC 9700 §4.5) is revoked on arrival.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('revoked_families')
    .addColumn('family_id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('revoked_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('revoked_families').execute();
}
