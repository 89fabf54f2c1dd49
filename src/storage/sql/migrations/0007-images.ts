/**
 * Pictures Gatehouse serves itself: avatars in docs/protocol.md §6's sizes and app icons,
 * one row per picture and size. They live in the database, not in the data
 * directory, so every process sharing a PostgreSQL serves the same ones
 * (docs/protocol.md §2). `bytea` is PostgreSQL's binary type; SQLite keeps the bytes as a
 * BLOB under any declared type.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('images')
    .addColumn('id', 'varchar(64)', (c) => c.notNull())
    .addColumn('variant', 'varchar(32)', (c) => c.notNull())
    .addColumn('content_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('images_pk', ['id', 'variant'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('images').execute();
}
