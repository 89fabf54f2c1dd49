/** The client store (../client-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import type { Kysely } from 'kysely';
import type { SecretHash } from '../../crypto/random.js';
import type { ClientId, Millis } from '../../types.js';
import type { ClientStore, InitialAccessTokenRecord } from '../client-store.js';
import type { Database } from './schema.js';

export class SqlClientStore implements ClientStore {
  constructor(private readonly db: Kysely<Database>) {}

  async useAssertionId(clientId: ClientId, jtiHash: SecretHash, expiresAt: Millis, now: Millis): Promise<boolean> {
    // An expired record of the same id may be taken over; a live one makes this insert a no-op, in one statement.
    const result = await this.db
      .insertInto('client_assertion_ids')
      .values({ client_id: clientId, jti_hash: jtiHash, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['client_id', 'jti_hash']).doUpdateSet({ expires_at: expiresAt }).where('client_assertion_ids.expires_at', '<=', now))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async createInitialAccessToken(t: InitialAccessTokenRecord): Promise<void> {
    await this.db.insertInto('initial_access_tokens')
      .values({ hash: t.hash, label: t.label, max_uses: t.maxUses, uses: t.uses, created_at: t.createdAt, expires_at: t.expiresAt })
      .execute();
  }

  async useInitialAccessToken(hash: SecretHash, now: Millis): Promise<boolean> {
    const result = await this.db.updateTable('initial_access_tokens')
      .set((eb) => ({ uses: eb('uses', '+', 1) }))
      .where('hash', '=', hash).where('expires_at', '>', now).whereRef('uses', '<', 'max_uses')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async listInitialAccessTokens(now: Millis): Promise<InitialAccessTokenRecord[]> {
    const rows = await this.db.selectFrom('initial_access_tokens').selectAll().where('expires_at', '>', now)
      .orderBy('created_at', 'desc').orderBy('hash').execute();
    return rows.map((r) => ({
      hash: r.hash as SecretHash, label: r.label, maxUses: Number(r.max_uses), uses: Number(r.uses),
      createdAt: Number(r.created_at), expiresAt: Number(r.expires_at),
    }));
  }

  async deleteInitialAccessTokens(prefix: string): Promise<number> {
    if (!/^[0-9a-f]{8,64}$/.test(prefix)) return 0;
    const result = await this.db.deleteFrom('initial_access_tokens').where('hash', 'like', `${prefix}%`).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
