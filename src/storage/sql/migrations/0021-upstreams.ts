/**
 * Sign-in through other identity providers (upstreams):
 *
 * - `upstreams`: the providers an operator configured: a short name (in the
 *   redirect URI), how to talk to it (`kind`: any OpenID Connect provider, or
 *   the `yandex` and `github` presets), its client id and secret (the secret
 *   sealed with the server key like client secrets), the endpoints that
 *   override the preset's or the discovered ones, and whether an identity may
 *   be linked to an account by an address the upstream says it verified.
 * - `upstream_identities`: which upstream account (its `sub`) belongs to
 *   which Gatehouse account; at most one account per upstream account.
 * - `upstream_states`: a sign-in under way at an upstream: the SHA-256 of its
 *   `state`, bound to the browser it was issued to (the hash of a cookie) and
 *   to one upstream, used at most once, with the PKCE verifier and nonce
 *   sealed. A profile waiting for its new account's login to be picked is
 *   kept here too. In the database, not in a process's memory, because
 *   several processes may serve one Gatehouse.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('upstreams')
    .addColumn('name', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('display_name', 'varchar(100)', (c) => c.notNull())
    .addColumn('kind', 'varchar(10)', (c) => c.notNull())
    .addColumn('issuer', 'varchar(500)', (c) => c.notNull())
    .addColumn('client_id', 'varchar(500)', (c) => c.notNull())
    .addColumn('client_secret_sealed', 'text', (c) => c.notNull())
    .addColumn('scope', 'varchar(500)', (c) => c.notNull())
    .addColumn('authorization_endpoint', 'varchar(1000)')
    .addColumn('token_endpoint', 'varchar(1000)')
    .addColumn('userinfo_endpoint', 'varchar(1000)')
    .addColumn('link_verified_email', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('upstream_identities')
    .addColumn('upstream', 'varchar(40)', (c) => c.notNull().references('upstreams.name').onDelete('cascade'))
    .addColumn('subject', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('email', 'varchar(254)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addPrimaryKeyConstraint('upstream_identities_pk', ['upstream', 'subject'])
    .execute();
  await db.schema.createIndex('upstream_identities_user').on('upstream_identities').columns(['user_id', 'created_at']).execute();

  await db.schema
    .createTable('upstream_states')
    .addColumn('hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('browser', 'varchar(64)', (c) => c.notNull())
    .addColumn('upstream', 'varchar(40)', (c) => c.notNull().references('upstreams.name').onDelete('cascade'))
    .addColumn('purpose', 'varchar(20)', (c) => c.notNull())
    .addColumn('payload_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('upstream_states_expires').on('upstream_states').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('upstream_states').execute();
  await db.schema.dropTable('upstream_identities').execute();
  await db.schema.dropTable('upstreams').execute();
}
