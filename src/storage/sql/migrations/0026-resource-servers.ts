/**
 * Resource indicators (RFC 8707) and JWT access tokens (RFC 9068):
 *
 * - `resource_servers`: the APIs an operator registered (`gatehouse resource
 *   add`): the URI apps name in `resource`, a display name, whether tokens for
 *   it are RFC 9068 JWTs, and the app (if any) the resource server
 *   authenticates as to introspect the tokens issued for it.
 * - `resources` on `auth_codes` and `tokens`: the resource URIs (space
 *   separated) a code or refresh token may reach, and an access token's
 *   audience; empty for everything issued without `resource`, as before.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('resource_servers')
    .addColumn('uri', 'varchar(2000)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('jwt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('client_id', 'varchar(32)', (c) => c.references('apps.client_id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('resource_servers_client').on('resource_servers').column('client_id').execute();
  await db.schema.alterTable('auth_codes').addColumn('resources', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('tokens').addColumn('resources', 'text', (c) => c.notNull().defaultTo('')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').dropColumn('resources').execute();
  await db.schema.alterTable('auth_codes').dropColumn('resources').execute();
  await db.schema.dropTable('resource_servers').execute();
}
