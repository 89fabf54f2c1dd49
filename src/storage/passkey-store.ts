/**
 * What passkeys and security keys (WebAuthn) need kept: the credentials users
 * registered, and the challenges handed to browsers for a ceremony.
 *
 * The same rules as the rest of storage (storage.ts): challenges arrive as
 * SHA-256 hashes, times are milliseconds passed in by the caller, and the
 * verbs marked *atomic* have exactly one winner among concurrent callers.
 */
import type { SecretHash } from '../crypto/random.js';
import type { Millis, UserId } from '../types.js';
import type { ConsumeResult } from './storage.js';

/** One registered credential. Nothing here is secret: the private key never leaves the authenticator. */
export interface PasskeyRecord {
  /** The credential id, base64url, as the authenticator made it. */
  id: string;
  userId: UserId;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter at its last use (0 for keys that keep none). */
  counter: number;
  /** How the browser reaches it (`internal`, `usb`, `hybrid`, …), as it said at registration. */
  transports: string[];
  /** The authenticator model's AAGUID (all zeros when it does not say). */
  aaguid: string;
  /** The credential may be synced to the owner's other devices (a software-bound key). */
  backupEligible: boolean;
  /** It is synced now (as of its last use). */
  backedUp: boolean;
  /** The authenticator verified its user (PIN, fingerprint) at registration. */
  userVerified: boolean;
  /** What the user called it. */
  name: string;
  createdAt: Millis;
  lastUsedAt: Millis | null;
}

/** What a challenge was issued for: adding a key, signing in with one, or a key as the second step after a password. */
export type WebAuthnPurpose = 'register' | 'sign_in' | 'second_factor';

export interface WebAuthnChallengeRecord {
  /** SHA-256 of the challenge. */
  hash: SecretHash;
  /** SHA-256 of the cookie of the browser it was issued to: another browser cannot use it. */
  browser: SecretHash;
  purpose: WebAuthnPurpose;
  /** The user a registration or second step is for; null for a sign-in, where the key says who. */
  userId: UserId | null;
  createdAt: Millis;
  expiresAt: Millis;
  consumedAt: Millis | null;
}

export interface PasskeyStore {
  /** False, storing nothing, when a credential with this id is already registered (to anyone). */
  addPasskey(passkey: PasskeyRecord): Promise<boolean>;
  findPasskey(id: string): Promise<PasskeyRecord | null>;
  /** A user's credentials, oldest first. */
  listPasskeys(userId: UserId): Promise<PasskeyRecord[]>;
  /** False when the user has no such credential. */
  renamePasskey(userId: UserId, id: string, name: string): Promise<boolean>;
  /** False when the user has no such credential. */
  deletePasskey(userId: UserId, id: string): Promise<boolean>;
  /**
   * *Atomic*: records a verified use: the new counter, backup state and time.
   * False, changing nothing, when the credential is gone (removed meanwhile)
   * or the counter does not move forward (WebAuthn §6.1.1: a cloned key, or
   * one assertion racing another); a counter of 0 stays 0 for keys that keep none.
   */
  recordPasskeyUse(id: string, use: { counter: number; backedUp: boolean; at: Millis }): Promise<boolean>;

  createWebAuthnChallenge(challenge: WebAuthnChallengeRecord): Promise<void>;
  /**
   * *Atomic*: uses a challenge issued to this browser for this purpose;
   * exactly one caller gets `consumed`. An expired challenge, or one issued to
   * another browser or for another purpose, is `not_found`.
   */
  consumeWebAuthnChallenge(hash: SecretHash, browser: SecretHash, purpose: WebAuthnPurpose, now: Millis): Promise<ConsumeResult<WebAuthnChallengeRecord>>;
  /** Deletes challenges past expiry. Returns rows deleted. */
  deleteExpiredWebAuthnChallenges(now: Millis): Promise<number>;
}
