/**
 * The first run: until an operator exists, nobody may sign up or register
 * apps, and the server prints a one-time link, `{issuer}/setup?token=…`, that
 * creates the first operator in the browser. The link lives in this process's
 * memory only: it works once, until the server restarts (a restart prints a
 * new one), and never after an operator exists — however the operator came
 * to be (`gatehouse user create --admin` in another process closes it too,
 * since every use asks the database first).
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { Users } from '../accounts/users.js';
import { constantTimeEqual, randomToken, sha256Hex } from '../crypto/random.js';
import type { Storage, UserRecord } from '../storage/storage.js';

export class FirstRun {
  /** The setup token's SHA-256, while the link is open. */
  private tokenHash: string | null = null;
  /** Once an operator is seen, for ever (operators are not deleted; a demoted last one is the operator's own doing). */
  private operatorSeen = false;

  constructor(
    private readonly storage: Storage,
    private readonly users: Users,
    private readonly audit: AuditLog,
    private readonly issuer: string,
  ) {}

  async operatorExists(): Promise<boolean> {
    if (!this.operatorSeen) this.operatorSeen = await this.storage.settings.hasOperator();
    return this.operatorSeen;
  }

  /** At start: the setup link when no operator exists yet (a new one each start), else null. */
  async open(): Promise<string | null> {
    if (await this.operatorExists()) return null;
    const token = randomToken(24);
    this.tokenHash = sha256Hex(token);
    return `${this.issuer}/setup?token=${token}`;
  }

  /** Whether `token` opens the setup page now. */
  async valid(token: unknown): Promise<boolean> {
    if (typeof token !== 'string' || this.tokenHash === null || token.length > 200) return false;
    if (await this.operatorExists()) {
      this.tokenHash = null;
      return false;
    }
    return constantTimeEqual(sha256Hex(token), this.tokenHash);
  }

  /**
   * Creates the first operator with the link's token. The token is taken
   * before anything is awaited, so of two submissions racing with the same
   * link exactly one proceeds; it is given back if the form was refused (a
   * weak password), so the person can correct it. Null: the link is not valid.
   */
  async createOperator(token: unknown, input: { login: string; password: string; email?: string; firstName?: string; lastName?: string }, ip: string | null): Promise<UserRecord | null> {
    if (!(await this.valid(token))) return null;
    const held = this.tokenHash;
    if (held === null) return null;
    this.tokenHash = null;
    try {
      if (await this.storage.settings.hasOperator()) return null;
      const user = await this.users.create({ ...input, isAdmin: true, isDeveloper: true, emailConfirmed: true });
      this.operatorSeen = true;
      await this.audit.record({ action: 'setup_completed', actor: { type: 'user', id: user.id }, userId: user.id, ip, details: { login: user.login } });
      return user;
    } catch (err) {
      if (!this.operatorSeen) this.tokenHash = held;
      throw err;
    }
  }
}
