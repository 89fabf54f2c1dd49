/**
 * Signing keys: exactly one open key per algorithm, and staged rotation.
 *
 * - `activates_at`: from when a key signs. A rotated-in key is published at
 *   /jwks first and signs only once relying parties' cached key sets can know
 *   it (src/oidc/keys.ts); keys made before this migration signed from their
 *   creation.
 * - A unique index over the open keys (`retired_at` null), one per algorithm:
 *   processes started together on a new database each made their own key
 *   before; now one insert wins and the others read the winner's key. Earlier
 *   races may have left several open keys: the newest (the one every process
 *   signed with) stays open, the others retire now and stay published for the
 *   id_token lifetime like any retired key.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('signing_keys').addColumn('activates_at', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update signing_keys set activates_at = created_at`.execute(db);
  const open = await db.selectFrom('signing_keys').select(['kid', 'alg']).where('retired_at', 'is', null)
    .orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
  const kept = new Set<string>();
  const now = Date.now();
  for (const key of open) {
    if (!kept.has(key.alg)) kept.add(key.alg);
    else await db.updateTable('signing_keys').set({ retired_at: now }).where('kid', '=', key.kid).execute();
  }
  await db.schema.createIndex('signing_keys_one_open_per_alg').on('signing_keys').column('alg').unique()
    .where(sql.ref('retired_at'), 'is', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('signing_keys_one_open_per_alg').execute();
  await db.schema.alterTable('signing_keys').dropColumn('activates_at').execute();
}
