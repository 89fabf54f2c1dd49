/**
 * Two-step sign-in (issue 16): a user's authenticator-app secret, sealed with
 * the server key, and their one-time recovery codes, as keyed hashes only.
 *
 * - `two_step`: one row per user who started or finished enrolment. `status`
 *   is `pending` until a code from the app confirms it, then `enabled`.
 *   `last_step` is the last accepted TOTP time step (RFC 6238 §4): a code is
 *   accepted only for a later step, so none is ever accepted twice.
 * - `recovery_codes`: ten per user, each used once (`used_at`).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('two_step')
    .addColumn('user_id', 'varchar(32)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('totp_secret_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('last_step', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('enabled_at', 'bigint')
    .execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('recovery_codes_pk', ['user_id', 'hash'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('recovery_codes').execute();
  await db.schema.dropTable('two_step').execute();
}
