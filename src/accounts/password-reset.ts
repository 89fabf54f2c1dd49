/**
 * "Forgot your password?": a login or an address in, a link by mail out
 * (single use, one hour, stored as a SHA-256 hash), then a new password that
 * ends every session and token of the account, as a password change does.
 *
 * The request says the same thing, and takes about the same time, whether or
 * not the account exists: the answer waits until `answerFloorMs` after the
 * request began, which is longer than the few writes a real request makes.
 * Links go only to confirmed addresses, so an address someone typed into
 * their own profile cannot receive another account's reset. Requests are
 * limited per account (or per text typed, when it names none) and per network
 * address, in storage like every other limit.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { randomToken, sha256Hex } from '../crypto/random.js';
import { InputError } from '../errors.js';
import { passwordResetMail } from '../mail/mails.js';
import type { MailService } from '../mail/mail-service.js';
import type { MailLanguage } from '../mail/templates.js';
import type { Limits } from '../oauth/attempts.js';
import type { Storage, UserRecord } from '../storage/storage.js';
import type { Clock } from '../types.js';
import type { SignInGuard } from './sign-in-guard.js';
import { linkHash, releasedContacts } from './addresses.js';
import { validatePassword, type Users } from './users.js';

export const RESET_TTL_MS = 60 * 60 * 1000;

export type ResetRequestOutcome = 'answered' | 'limited';
export type ResetOutcome = { ok: true; user: UserRecord } | { ok: false; reason: 'bad_link' | 'bad_password' };

export interface PasswordResetOptions {
  limits: Pick<Limits, 'passwordResetPerAccount' | 'passwordResetPerIp'>;
  /** A reset by mail also lifts the lock that many failed sign-ins in a row put on the account. */
  signInGuard?: Pick<SignInGuard, 'unlock'>;
  /** The least time a request takes, found or not. */
  answerFloorMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Elapsed-time source for the floor (not the clock tests move). */
  now?: () => number;
}

export class PasswordResets {
  private readonly floorMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly storage: Storage,
    private readonly users: Users,
    private readonly mail: MailService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly issuer: string,
    private readonly options: PasswordResetOptions,
  ) {
    this.floorMs = options.answerFloorMs ?? 400;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Mails a reset link for the account named by `loginOrAddress` to its
   * confirmed address (or, named by a confirmed address, to that address).
   * `limited` only when this network address asked too often; everything
   * else is `answered`, whatever happened.
   */
  async request(loginOrAddress: string, language: MailLanguage, ip: string): Promise<ResetRequestOutcome> {
    const began = this.now();
    const { passwordResetPerIp: perIp, passwordResetPerAccount: perAccount } = this.options.limits;
    if ((await this.storage.countAttempt(`reset:ip:${ip}`, perIp.windowMs, this.clock())) > perIp.max) return 'limited';
    const typed = loginOrAddress.trim().slice(0, 254);
    const targets = await this.targets(typed);
    // The account's counter, or the typed text's when it names none: the same writes either way.
    const key = targets.length > 0 ? `reset:account:${targets[0]!.user.id}` : `reset:account:${sha256Hex(typed.toLowerCase())}`;
    const count = await this.storage.countAttempt(key, perAccount.windowMs, this.clock());
    if (targets.length === 0) {
      await this.audit.record({ action: 'password_reset', outcome: 'failed', actor: { type: 'anonymous' }, ip, details: { step: 'request', reason: 'no account with a confirmed address' } });
    } else if (count > perAccount.max) {
      await this.audit.record({ action: 'mail_sent', outcome: 'refused', actor: { type: 'anonymous' }, userId: targets[0]!.user.id, ip, details: { kind: 'password_reset', reason: 'limited' } });
    } else {
      for (const target of targets) await this.sendLink(target.user, target.address, language, ip);
    }
    const wait = this.floorMs - (this.now() - began);
    if (wait > 0) await this.sleep(wait);
    return 'answered';
  }

  /** The user a reset link is for, while it can still be used: for the page that asks for the new password. */
  async check(token: string): Promise<UserRecord | null> {
    const hash = linkHash(token);
    const link = hash ? await this.storage.mail.findMailLink(hash, this.clock()) : null;
    if (!link || link.kind !== 'reset_password') return null;
    const user = await this.storage.findUserById(link.userId);
    return user && user.status === 'active' ? user : null;
  }

  /** Sets the new password with a link, once; every session and token of the account ends. */
  async complete(token: string, password: string, ip: string): Promise<ResetOutcome> {
    const user = await this.check(token);
    if (!user) {
      await this.audit.record({ action: 'password_reset', outcome: 'failed', actor: { type: 'anonymous' }, ip, details: { step: 'complete', reason: 'unknown, used or expired link' } });
      return { ok: false, reason: 'bad_link' };
    }
    try {
      // Checked before the link is used, so a too-short password does not cost the link.
      validatePassword(password);
    } catch (err) {
      if (err instanceof InputError) return { ok: false, reason: 'bad_password' };
      throw err;
    }
    const used = await this.storage.mail.consumeMailLink(sha256Hex(token), this.clock());
    if (used.outcome !== 'consumed') return { ok: false, reason: 'bad_link' };
    // The domain function a password change uses: signs out every session and revokes every token.
    await this.users.changePassword(user, password, {
      record: async () => {
        await this.storage.deleteSuggestGrants(user.id);
        await this.storage.mail.deleteMailLinks(user.id, 'reset_password');
        await this.options.signInGuard?.unlock(user.login);
        await this.audit.record({ action: 'password_reset', actor: { type: 'user', id: user.id }, ip, details: { step: 'complete', by: 'mail link' } });
      },
    });
    return { ok: true, user };
  }

  /** Who a "forgot" request names: by login, the account's main confirmed address; by address, every active account that confirmed it. */
  private async targets(typed: string): Promise<{ user: UserRecord; address: string }[]> {
    if (typed === '') return [];
    if (typed.includes('@')) {
      const users = await this.storage.findUsersByConfirmedEmail(typed);
      return users.map((user) => ({ user, address: user.emails.find((e) => e.toLowerCase() === typed.toLowerCase()) ?? typed }));
    }
    const user = typed.length <= 64 ? await this.storage.findUserByLogin(typed) : null;
    const address = user && user.status === 'active' ? releasedContacts(user).defaultEmail : null;
    return user && address ? [{ user, address }] : [];
  }

  private async sendLink(user: UserRecord, address: string, language: MailLanguage, ip: string): Promise<void> {
    const token = randomToken(32);
    const now = this.clock();
    await this.storage.mail.createMailLink({
      hash: sha256Hex(token), kind: 'reset_password', userId: user.id, address: null, createdAt: now, expiresAt: now + RESET_TTL_MS, consumedAt: null,
    });
    const link = `${this.issuer}/login/reset?token=${token}`;
    const mail = passwordResetMail(language, { issuer: this.issuer, name: user.displayName ?? user.login, login: user.login, link });
    await this.mail.send({ to: address, mail, userId: user.id, actor: { type: 'anonymous' }, ip });
  }
}
