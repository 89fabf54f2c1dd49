/**
 * Revocation marks (RFC 9700 §4.14, RFC 7009 §2.1): a generation counter per
 * user, per app and per user-and-app, moved on by every revocation that ends
 * their access. Tokens, codes and device codes remember the sum of the three
 * as it was when their authorization was checked; one whose sum is behind is
 * dead, so a token issued by a request racing the revocation is dead too.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('token_generation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('apps').addColumn('token_generation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createTable('grant_generations')
    .addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('client_id', 'varchar(32)', (c) => c.notNull().references('apps.client_id').onDelete('cascade'))
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('grant_generations_pk', ['user_id', 'client_id'])
    .execute();
  for (const table of ['tokens', 'auth_codes', 'device_codes']) {
    await db.schema.alterTable(table).addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['device_codes', 'auth_codes', 'tokens']) await db.schema.alterTable(table).dropColumn('generation').execute();
  await db.schema.dropTable('grant_generations').execute();
  await db.schema.alterTable('apps').dropColumn('token_generation').execute();
  await db.schema.alterTable('users').dropColumn('token_generation').execute();
}
