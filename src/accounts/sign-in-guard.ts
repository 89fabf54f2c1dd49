/**
 * Password sign-in with guessing limits kept in storage, so they hold across
 * every process on one database (issue 10), shaped so that nobody can lock
 * the owner out (issue 15; NIST SP 800-63B §5.2.2 and OWASP's device cookies):
 *
 * - A browser that signed in to the account before presents a device id
 *   (the HTTP layer reads it from a signed cookie naming the account). Its
 *   own failures are limited (`loginPerDevice`); past that it counts as
 *   unknown. Nobody else's failures ever refuse it.
 * - Unknown browsers share a budget per account (`loginPerAccount`, with a
 *   progressive delay before it) and per address (`loginPerIp`).
 * - Failures in a row from anywhere are counted (`loginFailuresBeforeReset`);
 *   past 100, unknown browsers are refused until an operator unlocks the
 *   account or its owner signs in from a known browser.
 *
 * Attempts are counted before the password is checked, so parallel guesses
 * cannot slip past a limit. The answer never says whether the login exists:
 * counters are keyed by the typed login, existing or not.
 */
import { loginDelayMs, recordFailure, sourceAddress, type Limits } from '../oauth/attempts.js';
import type { Storage, UserRecord } from '../storage/storage.js';
import type { Clock } from '../types.js';
import type { Users } from './users.js';

export type SignInResult<T = undefined> =
  /** `value`: what the caller's `within` returned (sign-in-guard's `signIn`). */
  | { ok: true; user: UserRecord; value: T }
  | { ok: false; reason: 'bad_credentials' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number }
  /** Too many failures in a row: only an operator (or the owner's known browser) lifts it. */
  | { ok: false; reason: 'needs_reset' };

/** Why a sign-in was refused. */
export type SignInFailure = Extract<SignInResult, { ok: false }>['reason'];

/** The form the counters know a login by. */
export const normalizeLogin = (login: string) => login.trim().toLowerCase().slice(0, 64);

const accountKey = (login: string) => `login:account:${normalizeLogin(login)}`;
const inARowKey = (login: string) => `login:in_a_row:${normalizeLogin(login)}`;
const deviceKey = (device: string) => `login:device:${device}`;
/** Failed sign-ins from one address, whatever the account and the method (passkeys count here too). */
export const ipKey = (ip: string) => `login:ip:${sourceAddress(ip)}`;

type GuardLimits = Pick<Limits, 'loginPerAccount' | 'loginPerIp' | 'loginPerDevice' | 'loginFailuresBeforeReset'>;

export class SignInGuard {
  constructor(
    private readonly storage: Storage,
    private readonly users: Users,
    private readonly clock: Clock,
    private readonly limits: GuardLimits,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /**
   * `device`: the id from this browser's device cookie for this login (already
   * verified), or null for a browser that has not signed in to it before.
   *
   * A right password resets the counters this attempt added. `within`, when
   * given, runs in one unit of work (`Storage.atomically`) with that reset:
   * the session a sign-in opens and its audit entry commit with it, in one
   * write instead of two, and neither without the other. It follows the
   * rules of a unit (short: no hashing, no network).
   */
  async signIn(login: string, password: string, ip: string, device?: string | null): Promise<SignInResult>;
  async signIn<T>(login: string, password: string, ip: string, device: string | null, within: (user: UserRecord) => Promise<T>): Promise<SignInResult<T>>;
  async signIn<T>(login: string, password: string, ip: string, device: string | null = null, within?: (user: UserRecord) => Promise<T>): Promise<SignInResult<T | undefined>> {
    const count = (key: string, limit: keyof GuardLimits) => recordFailure(this.storage, this.clock, key, this.limits[limit]);
    const deviceFailures = device === null ? null : await count(deviceKey(device), 'loginPerDevice');
    if (deviceFailures !== null && deviceFailures <= this.limits.loginPerDevice.max) {
      await count(inARowKey(login), 'loginFailuresBeforeReset');
      return this.check(login, password, deviceFailures, async () => {
        await this.storage.resetAttempts(deviceKey(device!), inARowKey(login));
      }, within);
    }

    const [inARow, accountAttempts, addressAttempts] = await this.storage.countAttempts([
      { key: inARowKey(login), windowMs: this.limits.loginFailuresBeforeReset.windowMs },
      { key: accountKey(login), windowMs: this.limits.loginPerAccount.windowMs },
      { key: ipKey(ip), windowMs: this.limits.loginPerIp.windowMs },
    ], this.clock()) as [number, number, number];
    // Refused without looking at the password.
    if (inARow > this.limits.loginFailuresBeforeReset.max) return { ok: false, reason: 'needs_reset' };
    const ipLimited = addressAttempts > this.limits.loginPerIp.max;
    if (accountAttempts > this.limits.loginPerAccount.max || ipLimited) {
      const window = ipLimited ? this.limits.loginPerIp.windowMs : this.limits.loginPerAccount.windowMs;
      return { ok: false, reason: 'locked', retryAfterSeconds: Math.ceil(window / 1000) };
    }
    return this.check(login, password, accountAttempts, async () => {
      await Promise.all([
        this.storage.resetAttempts(accountKey(login), inARowKey(login)),
        this.storage.forgiveAttempt(ipKey(ip)),
      ]);
    }, within);
  }

  /** Lifts every limit on one account (an operator's action): its failures in a row and its unknown-browser budget. */
  async unlock(login: string): Promise<void> {
    await this.storage.resetAttempts(inARowKey(login), accountKey(login));
  }

  /** Whether the account is refused to unknown browsers until an operator unlocks it. */
  async needsReset(login: string): Promise<boolean> {
    const limit = this.limits.loginFailuresBeforeReset;
    return (await this.storage.peekAttempts(inARowKey(login), limit.windowMs, this.clock())) >= limit.max;
  }

  private async check<T>(
    login: string, password: string, failuresSoFar: number, reset: () => Promise<void>, within?: (user: UserRecord) => Promise<T>,
  ): Promise<SignInResult<T | undefined>> {
    const delay = loginDelayMs(failuresSoFar - 1);
    if (delay > 0) await this.sleep(delay);
    const user = await this.users.authenticate(login, password);
    if (!user) return { ok: false, reason: 'bad_credentials' };
    if (!within) {
      await reset();
      return { ok: true, user, value: undefined };
    }
    const value = await this.storage.atomically(async () => {
      // The counters last: an address's is shared by every sign-in from it, and stays locked (PostgreSQL) from
      // this write to the end of the commit, so the unit's other writes are not made while holding it.
      const written = await within(user);
      await reset();
      return written;
    });
    return { ok: true, user, value };
  }
}
