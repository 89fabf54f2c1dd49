/**
 * Client authentication with keys and dynamic client registration:
 *
 * - on `apps`: how the app authenticates at the token endpoint
 *   (`token_endpoint_auth_method`, null for apps from before: derived from
 *   whether they have a secret), its public keys inline (`jwks`, JSON) or by
 *   address (`jwks_uri`), and, for an app that registered itself (RFC 7591),
 *   the SHA-256 of its registration access token (RFC 7592).
 * - `client_assertion_ids`: the `jti` of every client assertion accepted,
 *   per client, until the assertion expires, so none is accepted twice
 *   (RFC 7523 §3, OIDC Core §9), also when another process sees the replay.
 * - `initial_access_tokens`: the tokens an operator issues to let someone
 *   register an app when registration takes a token (RFC 7591 §3), stored as
 *   SHA-256 hashes, with an expiry and a number of uses.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').addColumn('token_endpoint_auth_method', 'varchar(40)').execute();
  await db.schema.alterTable('apps').addColumn('jwks', 'text').execute();
  await db.schema.alterTable('apps').addColumn('jwks_uri', 'varchar(2048)').execute();
  await db.schema.alterTable('apps').addColumn('registration_token_hash', 'varchar(64)').execute();

  await db.schema
    .createTable('client_assertion_ids')
    .addColumn('client_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('jti_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('client_assertion_ids_pk', ['client_id', 'jti_hash'])
    .execute();
  await db.schema.createIndex('client_assertion_ids_expiry').on('client_assertion_ids').column('expires_at').execute();

  await db.schema
    .createTable('initial_access_tokens')
    .addColumn('hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('label', 'varchar(200)', (c) => c.notNull())
    .addColumn('max_uses', 'integer', (c) => c.notNull())
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('initial_access_tokens').execute();
  await db.schema.dropTable('client_assertion_ids').execute();
  for (const column of ['registration_token_hash', 'jwks_uri', 'jwks', 'token_endpoint_auth_method']) {
    await db.schema.alterTable('apps').dropColumn(column).execute();
  }
}
