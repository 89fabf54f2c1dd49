/** The proof store (../proof-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import type { Kysely } from 'kysely';
import type { SecretHash } from '../../crypto/random.js';
import type { ClientId, Millis } from '../../types.js';
import type { ProofStore, PushedRequestRecord } from '../proof-store.js';
import type { Database } from './schema.js';

export class SqlProofStore implements ProofStore {
  constructor(private readonly db: Kysely<Database>) {}

  async useDpopProof(key: SecretHash, expiresAt: Millis, now: Millis): Promise<boolean> {
    // An entry past its expiry is taken over; a live one is a replay: one statement, one winner.
    const row = await this.db.insertInto('dpop_proofs').values({ key, expires_at: expiresAt })
      .onConflict((oc) => oc.column('key').doUpdateSet({ expires_at: expiresAt }).where('dpop_proofs.expires_at', '<=', now))
      .returning('key')
      .executeTakeFirst();
    return row !== undefined;
  }

  async savePushedRequest(r: PushedRequestRecord): Promise<void> {
    await this.db.insertInto('pushed_requests').values({
      hash: r.hash, client_id: r.clientId, params: JSON.stringify(r.params), created_at: r.createdAt, expires_at: r.expiresAt,
    }).execute();
  }

  async takePushedRequest(hash: SecretHash, now: Millis): Promise<PushedRequestRecord | null> {
    const row = await this.db.deleteFrom('pushed_requests').where('hash', '=', hash).returningAll().executeTakeFirst();
    if (!row || Number(row.expires_at) <= now) return null;
    return {
      hash: row.hash as SecretHash,
      clientId: row.client_id as ClientId,
      params: JSON.parse(row.params) as Record<string, string>,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
    };
  }
}
