/**
 * Limits on guessing, counted in storage so they hold across every process on
 * one database. Passwords and codes are counted before they are checked, so
 * parallel guesses cannot slip past a limit, and the right ones are forgiven
 * (`Storage.forgiveAttempt`); once a key passes its limit, further attempts are
 * refused without being checked until the window passes.
 */
import type { Storage } from '../storage/storage.js';
import type { Clock } from '../types.js';
import { OAuthError } from './errors.js';

export interface Limit {
  max: number;
  windowMs: number;
}

const HOUR = 3_600_000;

/** The defaults; operators override any of them with `GATEHOUSE_LIMITS` (see src/config.ts). */
export const LIMITS = {
  /** 7-digit confirmation codes tried per app and address (SPEC §5.2): 5 a minute, so 50 guesses in a code's 10-minute life. */
  verificationCode: { max: 5, windowMs: 60_000 },
  /**
   * Wrong 7-digit codes per app from all addresses together. Higher than the
   * per-address limit so that one guesser cannot lock every user of an app out;
   * with N codes outstanding a guesser succeeds with probability ≤ 30·N/10⁷ a minute.
   */
  verificationCodePerClient: { max: 30, windowMs: 60_000 },
  /** Wrong user codes typed on /device, per session and per IP (RFC 8628 §5.1). */
  userCode: { max: 10, windowMs: 10 * 60_000 },
  /**
   * Wrong passwords for one account: after `max` the account refuses sign-in
   * without checking the password until its window (from the first failure) ends,
   * so its owner is locked out for at most an hour, never for good.
   */
  loginPerAccount: { max: 40, windowMs: HOUR },
  /** Wrong passwords from one address, whatever the account (spraying). */
  loginPerIp: { max: 200, windowMs: HOUR },
  /** New accounts from one address. */
  signupPerIp: { max: 20, windowMs: HOUR },
  /** Failed client authentications and grants at /token per client (secret guessing). */
  tokenFailuresPerClient: { max: 100, windowMs: 60_000 },
  /** Device authorizations started per client (each creates a pending row). */
  deviceCodePerClient: { max: 120, windowMs: 60_000 },
  /** "Forgot your password?" mails per account (or per text typed, when it names no account): a mailbox is not flooded. */
  passwordResetPerAccount: { max: 5, windowMs: HOUR },
  /** "Forgot your password?" requests from one address, whatever they name (probing many accounts). */
  passwordResetPerIp: { max: 30, windowMs: HOUR },
  /** Address confirmation mails per account (sign-up, added addresses, "send again"). */
  confirmationMailPerAccount: { max: 10, windowMs: HOUR },
} satisfies Record<string, Limit>;

export type Limits = Record<keyof typeof LIMITS, Limit>;

/** Progressive delay before checking a password: nothing for the first few failures, then up to 5 s. */
export function loginDelayMs(failures: number): number {
  return failures < 5 ? 0 : Math.min(5_000, (failures - 4) * 250);
}

export class TooManyAttempts extends OAuthError {
  constructor(description: string) {
    super('slow_down', description, 429);
  }
}

export async function isLimited(storage: Storage, clock: Clock, key: string, limit: Limit): Promise<boolean> {
  return (await storage.peekAttempts(key, limit.windowMs, clock())) >= limit.max;
}

/** Counts one failure; returns the count in the current window. */
export async function recordFailure(storage: Storage, clock: Clock, key: string, limit: Limit): Promise<number> {
  return storage.countAttempt(key, limit.windowMs, clock());
}
