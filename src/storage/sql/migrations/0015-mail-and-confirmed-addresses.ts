/**
 * Mail and confirmed addresses (issue 16). Three things:
 *
 * - `users.confirmed_emails` and `users.confirmed_phone`: which of a user's
 *   addresses were proved or vouched for; only those are released to apps.
 * - `mail_outbox`: every mail, recorded before it is sent; `mail_links`: the
 *   single-use links mails carry, as SHA-256 hashes.
 * - Existing addresses become confirmed only where an operator set them: the
 *   user was created by the operator's command line (the audit log's
 *   `user_created` by `operator`; the CLI's `--email` is the only way an
 *   operator set an address before this migration) and has not edited their
 *   own profile since (`user_updated` by the user with `fields: profile`).
 *   Every other address waits for its owner to confirm it, or for the
 *   operator to vouch for all at once: `gatehouse user confirm-emails --all`.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('confirmed_emails', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('users').addColumn('confirmed_phone', 'varchar(20)').execute();

  await db.schema
    .createTable('mail_outbox')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(40)', (c) => c.notNull())
    .addColumn('to_address', 'varchar(320)', (c) => c.notNull())
    .addColumn('subject', 'varchar(300)', (c) => c.notNull())
    // No foreign key, as in the audit log: the record of a mail outlives what it was about.
    .addColumn('user_id', 'varchar(32)')
    .addColumn('body_sealed', 'text')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'varchar(300)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .execute();
  await db.schema.createIndex('mail_outbox_due').on('mail_outbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('mail_outbox_user').on('mail_outbox').columns(['user_id', 'id']).execute();

  await db.schema
    .createTable('mail_links')
    .addColumn('hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(20)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('address', 'varchar(320)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('mail_links_user').on('mail_links').columns(['user_id', 'kind']).execute();
  await db.schema.createIndex('mail_links_expires').on('mail_links').column('expires_at').execute();

  // The JSON list lowercased is the list of lowercased addresses (addresses hold no escapes that case would change).
  await sql`
    update users set confirmed_emails = lower(emails)
    where id in (select user_id from audit_log where action = 'user_created' and actor_type = 'operator' and user_id is not null)
      and id not in (
        select user_id from audit_log
        where action = 'user_updated' and actor_type = 'user' and user_id is not null and actor_id = user_id
          and details like '%"fields":"profile"%'
      )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mail_links').execute();
  await db.schema.dropTable('mail_outbox').execute();
  await db.schema.alterTable('users').dropColumn('confirmed_phone').execute();
  await db.schema.alterTable('users').dropColumn('confirmed_emails').execute();
}
