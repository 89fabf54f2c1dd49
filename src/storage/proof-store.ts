/**
 * One-time things a client presents: the `jti` of a DPoP proof (RFC 9449
 * §11.1) and the `request_uri` of a pushed authorization request (RFC 9126
 * §4). Both are kept in the database, so a replay is caught whichever process
 * it reaches.
 */
import type { SecretHash } from '../crypto/random.js';
import type { ClientId, Millis } from '../types.js';

export interface PushedRequestRecord {
  /** SHA-256 of the `request_uri`. */
  hash: SecretHash;
  clientId: ClientId;
  /** The authorization request's parameters as pushed. */
  params: Record<string, string>;
  createdAt: Millis;
  expiresAt: Millis;
}

export interface ProofStore {
  /**
   * *Atomic*: records a proof's key (a hash of its key thumbprint and `jti`)
   * until `expiresAt`. False when it was already recorded and has not expired:
   * the proof is a replay.
   */
  useDpopProof(key: SecretHash, expiresAt: Millis, now: Millis): Promise<boolean>;
  savePushedRequest(record: PushedRequestRecord): Promise<void>;
  /** *Atomic*: removes and returns a pushed request not yet expired; null when unknown, used or expired. */
  takePushedRequest(hash: SecretHash, now: Millis): Promise<PushedRequestRecord | null>;
}
