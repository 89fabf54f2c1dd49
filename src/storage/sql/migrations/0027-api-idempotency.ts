/**
 * The management API's `Idempotency-Key` (src/api/idempotency.ts): per calling
 * app and key, the hash of the request and the answer it got, so a retried
 * write is answered the same without being done twice. Rows live a day.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('api_idempotency')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('response', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('api_idempotency_pk', ['client_id', 'key'])
    .execute();
  await db.schema.createIndex('api_idempotency_created').on('api_idempotency').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_idempotency').execute();
}
