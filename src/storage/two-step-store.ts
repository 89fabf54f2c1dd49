/**
 * What two-step sign-in needs kept (src/accounts/two-step.ts): each user's
 * authenticator-app secret and their recovery codes.
 *
 * The same rules as the rest of storage (storage.ts): the secret arrives
 * sealed with the server key and recovery codes as keyed hashes, never in the
 * clear; times are milliseconds passed in by the caller; the verbs marked
 * *atomic* have exactly one winner among concurrent callers, also across
 * processes sharing one database.
 */
import type { SecretHash } from '../crypto/random.js';
import type { Millis, UserId } from '../types.js';

export interface TotpRecord {
  userId: UserId;
  /** The RFC 6238 secret (base32), sealed with the server key. */
  secretSealed: string;
  /** `pending` from the moment the QR code is shown until a code from the app confirms it. */
  status: 'pending' | 'enabled';
  /** The last TOTP time step a code was accepted for; only later steps are accepted. */
  lastStep: number | null;
  createdAt: Millis;
  enabledAt: Millis | null;
}

export interface TwoStepStore {
  /**
   * *Atomic*: keeps a new secret for enrolment, replacing a pending one. False,
   * changing nothing, when the user's two-step sign-in is already on.
   */
  savePendingTotp(userId: UserId, secretSealed: string, now: Millis): Promise<boolean>;
  findTotp(userId: UserId): Promise<TotpRecord | null>;
  /**
   * *Atomic*: turns on the pending secret `secretSealed` (the one whose code
   * was checked, not one another tab put in its place meanwhile), records
   * `step` as used, and replaces the user's recovery codes with `codeHashes`,
   * all in one transaction. False, changing nothing, when that secret is no
   * longer the pending one or `step` is not after the last accepted step.
   */
  enableTotp(userId: UserId, secretSealed: string, step: number, codeHashes: SecretHash[], now: Millis): Promise<boolean>;
  /**
   * *Atomic*: records that a code of time step `step` was accepted, if `step`
   * is after the last accepted one and two-step sign-in is on. Of callers
   * racing with the same code exactly one gets true.
   */
  acceptTotpStep(userId: UserId, step: number): Promise<boolean>;
  /** Turns two-step sign-in off: the secret and every recovery code are deleted. */
  deleteTwoStep(userId: UserId): Promise<void>;

  /** *Atomic*: the user's recovery codes become exactly these, unused (the old ones are dead). */
  replaceRecoveryCodes(userId: UserId, codeHashes: SecretHash[], now: Millis): Promise<void>;
  /** *Atomic*: uses an unused recovery code of this user; of callers racing with the same code exactly one gets true. */
  consumeRecoveryCode(userId: UserId, hash: SecretHash, now: Millis): Promise<boolean>;
  /** How many of the user's recovery codes are still unused. */
  countRecoveryCodes(userId: UserId): Promise<number>;
  /**
   * The second factors a user has, in one read (every password sign-in asks):
   * whether an authenticator app is on, how many recovery codes are unused,
   * and how many of the user's passkeys are security keys (keys that do not
   * verify their user, passkey-store.ts).
   */
  secondFactorCounts(userId: UserId): Promise<SecondFactorCounts>;
}

export interface SecondFactorCounts {
  /** An authenticator app (TOTP) is set up and confirmed. */
  totp: boolean;
  /** Unused recovery codes. */
  recoveryCodesLeft: number;
  /** Security keys that count as a second factor after the password (WebAuthn without user verification). */
  securityKeys: number;
}
