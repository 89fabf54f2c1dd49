/** Per-app OpenID Connect settings: id_token signing algorithm and post-logout redirect URIs. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').addColumn('id_token_alg', 'varchar(8)', (c) => c.notNull().defaultTo('ES256')).execute();
  await db.schema.alterTable('apps').addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull().defaultTo('[]')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').dropColumn('post_logout_redirect_uris').execute();
  await db.schema.alterTable('apps').dropColumn('id_token_alg').execute();
}
