/**
 * Sender-constrained tokens (DPoP, RFC 9449) and pushed authorization requests
 * (PAR, RFC 9126):
 * - `tokens.jkt`: the JWK SHA-256 thumbprint (RFC 7638) of the key a token is
 *   bound to; null for bearer tokens;
 * - `apps.require_dpop`, `apps.require_par`: the app's own policy;
 * - `dpop_proofs`: the `jti` of every DPoP proof accepted and not yet too old,
 *   so a proof is accepted once, whichever process sees it;
 * - `pushed_requests`: authorization requests pushed to /par, by the hash of
 *   their `request_uri`, until used or expired.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('jkt', 'varchar(64)').execute();
  await db.schema.alterTable('apps').addColumn('require_dpop', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('apps').addColumn('require_par', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createTable('dpop_proofs')
    .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dpop_proofs_expires_at').on('dpop_proofs').column('expires_at').execute();
  await db.schema
    .createTable('pushed_requests')
    .addColumn('hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('client_id', 'varchar(32)', (c) => c.notNull().references('apps.client_id').onDelete('cascade'))
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pushed_requests_expires_at').on('pushed_requests').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pushed_requests').execute();
  await db.schema.dropTable('dpop_proofs').execute();
  await db.schema.alterTable('apps').dropColumn('require_par').execute();
  await db.schema.alterTable('apps').dropColumn('require_dpop').execute();
  await db.schema.alterTable('tokens').dropColumn('jkt').execute();
}
