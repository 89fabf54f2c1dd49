/**
 * Password sign-in with guessing limits kept in storage, so they hold across
 * every process on one database (issue 10): per account (progressive delay,
 * then refusal without checking the password until the window ends) and per
 * address. Attempts are counted before the password is checked. The answer never says whether the login exists.
 */
import { loginDelayMs, recordFailure, type Limits } from '../oauth/attempts.js';
import type { Storage, UserRecord } from '../storage/storage.js';
import type { Clock } from '../types.js';
import type { Users } from './users.js';

export type SignInResult =
  | { ok: true; user: UserRecord }
  | { ok: false; reason: 'bad_credentials' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

const accountKey = (login: string) => `login:account:${login.trim().toLowerCase().slice(0, 64)}`;
const ipKey = (ip: string) => `login:ip:${ip}`;

export class SignInGuard {
  constructor(
    private readonly storage: Storage,
    private readonly users: Users,
    private readonly clock: Clock,
    private readonly limits: Pick<Limits, 'loginPerAccount' | 'loginPerIp'>,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async signIn(login: string, password: string, ip: string): Promise<SignInResult> {
    const account = accountKey(login);
    const address = ipKey(ip);
    // Every attempt counts before the password is checked, so parallel guesses
    // cannot slip past the limit; a right password is forgiven afterwards.
    const [accountAttempts, addressAttempts] = await Promise.all([
      recordFailure(this.storage, this.clock, account, this.limits.loginPerAccount),
      recordFailure(this.storage, this.clock, address, this.limits.loginPerIp),
    ]);
    const ipLimited = addressAttempts > this.limits.loginPerIp.max;
    if (accountAttempts > this.limits.loginPerAccount.max || ipLimited) {
      // Refused without looking at the password (issue 10: the 41st wrong password in a row is not checked).
      const window = ipLimited ? this.limits.loginPerIp.windowMs : this.limits.loginPerAccount.windowMs;
      return { ok: false, reason: 'locked', retryAfterSeconds: Math.ceil(window / 1000) };
    }
    const delay = loginDelayMs(accountAttempts - 1);
    if (delay > 0) await this.sleep(delay);
    const user = await this.users.authenticate(login, password);
    if (user) {
      await Promise.all([this.storage.resetAttempts(account), this.storage.forgiveAttempt(address)]);
      return { ok: true, user };
    }
    return { ok: false, reason: 'bad_credentials' };
  }
}
