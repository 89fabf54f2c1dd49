/**
 * Webhooks:
 *
 * - `webhook_endpoints`: the URLs an operator registered, the event types each
 *   receives (a JSON array of names), its signing secret sealed with the
 *   server key, whether it is enabled (and why not), and when a delivery to
 *   it last succeeded (an endpoint that has failed a whole retry schedule
 *   since then is disabled).
 * - `webhook_events`: the outbox. One row per event, written in the same
 *   statement or commit as the audit entry of the change that caused it, with
 *   the exact JSON body every attempt sends.
 * - `webhook_deliveries`: one row per event and subscribed endpoint, written
 *   with the event: its status, attempts, the last response, and when it may
 *   next be tried — also the end of a claim's lease, so a process that dies
 *   mid-attempt leaves it to another once the lease ends.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('url', 'varchar(2000)', (c) => c.notNull())
    .addColumn('description', 'varchar(200)', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('disabled_reason', 'varchar(300)')
    .addColumn('disabled_at', 'bigint')
    .addColumn('last_success_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(40)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_events_at').on('webhook_events').column('at').execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'varchar(90)', (c) => c.primaryKey())
    .addColumn('event_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('endpoint_id', 'varchar(40)', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('response_status', 'integer')
    .addColumn('last_error', 'varchar(300)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  // The workers' claim: pending deliveries by due time.
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  // The delivery log of one endpoint, newest first.
  await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_events').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
}
