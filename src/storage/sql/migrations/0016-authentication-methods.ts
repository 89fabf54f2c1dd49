/**
 * How a user signed in (RFC 8176 `amr` values, space-separated) travels from
 * the session to the codes, device codes and tokens issued under it, so that
 * an id_token, also one from a refresh, says how the user was authenticated.
 * Rows from before say nothing (null); sessions from before were password
 * sign-ins, the only kind there was.
 */
import type { Kysely } from 'kysely';

const TABLES = ['sessions', 'auth_codes', 'device_codes', 'tokens'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) await db.schema.alterTable(table).addColumn('amr', 'varchar(100)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) await db.schema.alterTable(table).dropColumn('amr').execute();
}
