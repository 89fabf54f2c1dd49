/**
 * Limits on guessing, counted in storage so they hold across every process on
 * one database. Only failures count; once a key reaches its limit, further
 * attempts are refused without being checked until the window passes.
 */
import type { Storage } from '../storage/storage.js';
import type { Clock } from '../types.js';
import { OAuthError } from './errors.js';

export interface Limit {
  max: number;
  windowMs: number;
}

export const LIMITS = {
  /** Wrong 7-digit confirmation codes per app (SPEC §5.2): 5 a minute, so 50 guesses in a code's 10-minute life. */
  verificationCode: { max: 5, windowMs: 60_000 },
  /** Wrong user codes typed on /device, per session and per IP (RFC 8628 §5.1). */
  userCode: { max: 10, windowMs: 10 * 60_000 },
} satisfies Record<string, Limit>;

export class TooManyAttempts extends OAuthError {
  constructor(description: string) {
    super('slow_down', description, 429);
  }
}

export async function isLimited(storage: Storage, clock: Clock, key: string, limit: Limit): Promise<boolean> {
  return (await storage.peekAttempts(key, limit.windowMs, clock())) >= limit.max;
}

export async function recordFailure(storage: Storage, clock: Clock, key: string, limit: Limit): Promise<void> {
  await storage.countAttempt(key, limit.windowMs, clock());
}
