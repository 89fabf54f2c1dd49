/**
 * What client authentication with keys and dynamic client registration keep
 * besides the apps themselves (src/oauth/client-assertion.ts,
 * src/registration/): the ids of client assertions already accepted, and the
 * initial access tokens operators issue for registration.
 *
 * The same rules as the rest of storage (storage.ts): secrets arrive as
 * SHA-256 hashes, times are milliseconds passed in by the caller, and the
 * verbs marked *atomic* have exactly one winner among concurrent callers,
 * also across processes sharing one database.
 */
import type { SecretHash } from '../crypto/random.js';
import type { ClientId, Millis } from '../types.js';

export interface InitialAccessTokenRecord {
  /** SHA-256 of the token. */
  hash: SecretHash;
  /** What the operator called it, to tell tokens apart in the list. */
  label: string;
  /** How many apps it may register. */
  maxUses: number;
  uses: number;
  createdAt: Millis;
  expiresAt: Millis;
}

export interface ClientStore {
  /**
   * *Atomic*: records that a client assertion with this `jti` (hashed) was
   * accepted for this client, kept until `expiresAt`. False when it was
   * recorded before and has not expired: a replay (RFC 7523 §3 item 7).
   */
  useAssertionId(clientId: ClientId, jtiHash: SecretHash, expiresAt: Millis, now: Millis): Promise<boolean>;

  createInitialAccessToken(token: InitialAccessTokenRecord): Promise<void>;
  /** *Atomic*: counts one use of an unexpired token with uses left; false when there is none. */
  useInitialAccessToken(hash: SecretHash, now: Millis): Promise<boolean>;
  /** Unexpired tokens, newest first. */
  listInitialAccessTokens(now: Millis): Promise<InitialAccessTokenRecord[]>;
  /** Deletes every token whose hash starts with `prefix` (an operator names one by the start of its hash); returns how many. */
  deleteInitialAccessTokens(prefix: string): Promise<number>;
}
