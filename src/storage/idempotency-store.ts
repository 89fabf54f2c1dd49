/**
 * Remembered answers of the management API (src/api/idempotency.ts): a write
 * sent again with the same `Idempotency-Key` by the same app gets the first
 * answer instead of being done twice.
 */
import type { ClientId, Millis } from '../types.js';

export interface IdempotencyRecord {
  clientId: ClientId;
  key: string;
  /** SHA-256 of the method, path and body: the same key with another request is refused. */
  requestHash: string;
  /** Null while the first request is still being answered. */
  response: { status: number; body: string } | null;
  createdAt: Millis;
}

export interface IdempotencyStore {
  /**
   * *Atomic*: records the key for the app unless a row younger than
   * `expiredBefore` holds it (an older one is replaced). Returns null when this
   * caller claimed it, else the row that holds it.
   */
  claimIdempotencyKey(record: Omit<IdempotencyRecord, 'response'>, expiredBefore: Millis): Promise<IdempotencyRecord | null>;
  /** Stores the answer of a claimed key. */
  completeIdempotencyKey(clientId: ClientId, key: string, response: { status: number; body: string }): Promise<void>;
  /** Lets go of a claimed key without an answer (the request failed on the server's side), so it may be tried again. */
  releaseIdempotencyKey(clientId: ClientId, key: string): Promise<void>;
  /** Deletes rows created before `before`; returns how many. */
  deleteExpiredIdempotencyKeys(before: Millis): Promise<number>;
}
