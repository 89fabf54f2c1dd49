/**
 * Which apps' tokens an app may introspect (RFC 7662 §4): a resource server an
 * operator designated for them. A JSON list of client ids; empty for every
 * app, so an app introspects only its own tokens until an operator says more.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').addColumn('introspects', 'text', (c) => c.notNull().defaultTo('[]')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').dropColumn('introspects').execute();
}
