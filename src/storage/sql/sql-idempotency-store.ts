/** The idempotency store (../idempotency-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import type { Kysely } from 'kysely';
import type { ClientId, Millis } from '../../types.js';
import type { IdempotencyRecord, IdempotencyStore } from '../idempotency-store.js';
import type { ApiIdempotencyTable, Database } from './schema.js';

function toRecord(row: ApiIdempotencyTable): IdempotencyRecord {
  return {
    clientId: row.client_id as ClientId, key: row.key, requestHash: row.request_hash, createdAt: Number(row.created_at),
    response: row.status === null || row.response === null ? null : { status: row.status, body: row.response },
  };
}

export class SqlIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async claimIdempotencyKey(r: Omit<IdempotencyRecord, 'response'>, expiredBefore: Millis): Promise<IdempotencyRecord | null> {
    // An expired row gives way; a live one stays, and the insert does nothing: the primary key decides between racing claims.
    await this.db.deleteFrom('api_idempotency').where('client_id', '=', r.clientId).where('key', '=', r.key).where('created_at', '<', expiredBefore).execute();
    const inserted = await this.db.insertInto('api_idempotency')
      .values({ client_id: r.clientId, key: r.key, request_hash: r.requestHash, status: null, response: null, created_at: r.createdAt })
      .onConflict((oc) => oc.columns(['client_id', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return null;
    const row = await this.db.selectFrom('api_idempotency').selectAll().where('client_id', '=', r.clientId).where('key', '=', r.key).executeTakeFirst();
    // Gone between the two statements (released): the caller may try again; say it is being answered.
    return row ? toRecord(row) : { ...r, response: null };
  }

  async completeIdempotencyKey(clientId: ClientId, key: string, response: { status: number; body: string }): Promise<void> {
    await this.db.updateTable('api_idempotency').set({ status: response.status, response: response.body })
      .where('client_id', '=', clientId).where('key', '=', key).execute();
  }

  async releaseIdempotencyKey(clientId: ClientId, key: string): Promise<void> {
    await this.db.deleteFrom('api_idempotency').where('client_id', '=', clientId).where('key', '=', key).where('status', 'is', null).execute();
  }

  async deleteExpiredIdempotencyKeys(before: Millis): Promise<number> {
    const result = await this.db.deleteFrom('api_idempotency').where('created_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
