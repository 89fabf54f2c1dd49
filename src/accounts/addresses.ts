/**
 * Confirmed addresses. An address is released to apps (/info, /userinfo) only
 * once it is confirmed: its owner used the link mailed to it, or an operator
 * vouched for it. Until then a relying party that links accounts by email
 * cannot be fooled by someone typing another person's address into their own
 * profile. Phone numbers are released only when an operator marked them
 * confirmed (Gatehouse sends no SMS).
 *
 * Confirmation links are single use, live 24 hours and are stored as SHA-256
 * hashes. Opening one shows a page with a button; only pressing it confirms,
 * so a mail scanner that follows every link in a mailbox confirms nothing.
 */
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import { randomToken, sha256Hex } from '../crypto/random.js';
import { addressConfirmationMail } from '../mail/mails.js';
import type { MailService } from '../mail/mail-service.js';
import type { MailLanguage } from '../mail/templates.js';
import type { Limit } from '../oauth/attempts.js';
import type { MailLinkRecord } from '../storage/mail-store.js';
import { InputError } from '../errors.js';
import type { Storage, UserPatch, UserRecord } from '../storage/storage.js';
import type { Clock } from '../types.js';
import { MAX_EMAILS, parsePhone } from './profile.js';
import { validateEmail } from './users.js';

export const CONFIRMATION_TTL_MS = 24 * 60 * 60 * 1000;

/** What apps may see of a user's addresses and number. */
export interface ReleasedContacts {
  /** The main address if confirmed, else the first confirmed one, else null. */
  defaultEmail: string | null;
  /** The confirmed addresses, in the user's order. */
  emails: string[];
  phone: string | null;
}

export function isConfirmedEmail(user: Pick<UserRecord, 'confirmedEmails'>, address: string): boolean {
  return user.confirmedEmails.includes(address.toLowerCase());
}

export function releasedContacts(user: Pick<UserRecord, 'emails' | 'defaultEmail' | 'confirmedEmails' | 'defaultPhone' | 'confirmedPhone'>): ReleasedContacts {
  const emails = user.emails.filter((e) => isConfirmedEmail(user, e));
  const main = user.defaultEmail !== null && isConfirmedEmail(user, user.defaultEmail) ? user.defaultEmail : null;
  return {
    defaultEmail: main ?? emails[0] ?? null,
    emails,
    phone: user.defaultPhone !== null && user.defaultPhone === user.confirmedPhone ? user.defaultPhone : null,
  };
}

/** Whether a confirmation mail went out: `limited` when the account asked for too many lately. */
export type SendOutcome = 'sent' | 'limited' | 'not_needed';

export type ConfirmOutcome =
  | { ok: true; user: UserRecord; address: string }
  | { ok: false };

/** Accepts only what a link of ours can hold; anything else is not worth a lookup. */
const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

export function linkHash(token: string): ReturnType<typeof sha256Hex> | null {
  return TOKEN.test(token) ? sha256Hex(token) : null;
}

export class AddressConfirmations {
  constructor(
    private readonly storage: Storage,
    private readonly mail: MailService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly issuer: string,
    private readonly limit: Limit,
  ) {}

  /**
   * Mails a confirmation link to one of the user's addresses that is not
   * confirmed yet (sign-up, an address added on /account, "send again").
   */
  async send(userId: UserRecord['id'], address: string, language: MailLanguage, actor: AuditActor, ip: string | null): Promise<SendOutcome> {
    const user = await this.storage.findUserById(userId);
    const own = user?.emails.find((e) => e.toLowerCase() === address.toLowerCase());
    if (!user || !own || isConfirmedEmail(user, own)) return 'not_needed';
    const sent = await this.storage.countAttempt(`confirm-mail:account:${user.id}`, this.limit.windowMs, this.clock());
    if (sent > this.limit.max) {
      await this.audit.record({ action: 'mail_sent', outcome: 'refused', actor, userId: user.id, ip, details: { kind: 'address_confirmation', reason: 'limited' } });
      return 'limited';
    }
    const token = randomToken(32);
    const now = this.clock();
    await this.storage.mail.createMailLink({
      hash: sha256Hex(token), kind: 'confirm_email', userId: user.id, address: own.toLowerCase(),
      createdAt: now, expiresAt: now + CONFIRMATION_TTL_MS, consumedAt: null,
    });
    const link = `${this.issuer}/confirm-email?token=${token}`;
    const mail = addressConfirmationMail(language, { issuer: this.issuer, name: user.displayName ?? user.login, login: user.login, address: own, link });
    await this.mail.send({ to: own, mail, userId: user.id, actor, ip });
    return 'sent';
  }

  /** The link behind a token, while it can still be used, with its user: for the page that asks to confirm. */
  async peek(token: string): Promise<{ link: MailLinkRecord; user: UserRecord } | null> {
    const hash = linkHash(token);
    const link = hash ? await this.storage.mail.findMailLink(hash, this.clock()) : null;
    if (!link || link.kind !== 'confirm_email' || link.address === null) return null;
    const user = await this.storage.findUserById(link.userId);
    return user && user.emails.some((e) => e.toLowerCase() === link.address) ? { link, user } : null;
  }

  /** Uses a confirmation link: its address becomes confirmed, once. */
  async confirm(token: string, ip: string | null): Promise<ConfirmOutcome> {
    const found = await this.peek(token);
    if (!found) {
      await this.audit.record({ action: 'email_confirmed', outcome: 'failed', actor: { type: 'anonymous' }, ip, details: { reason: 'unknown, used or expired link' } });
      return { ok: false };
    }
    // One unit: the link used, the address confirmed, the entry and its user.updated event, or none of them.
    return this.storage.atomically(async (): Promise<ConfirmOutcome> => {
      // Atomic: of two presses of the same link, one confirms.
      const used = await this.storage.mail.consumeMailLink(found.link.hash, this.clock());
      if (used.outcome !== 'consumed') return { ok: false };
      const address = used.record.address!;
      const user = (await this.storage.findUserById(used.record.userId))!;
      await this.storage.updateUser(user.id, { confirmedEmails: [...new Set([...user.confirmedEmails, address])], updatedAt: this.clock() });
      await this.audit.record({ action: 'email_confirmed', actor: { type: 'user', id: user.id }, ip, details: { address, by: 'link' } });
      return { ok: true, user, address };
    });
  }

  /**
   * What an operator sets (`gatehouse user update`): the main address (added
   * to the user's list if new) and the phone number. An operator vouches for
   * what they set, so it counts as confirmed, unless they ask for a
   * confirmation mail instead (`confirmByMail`). A number counts as confirmed
   * when `phoneConfirmed` is set (Gatehouse sends no SMS); `phoneConfirmed`
   * alone confirms the number the user has.
   */
  async setByOperator(
    user: UserRecord,
    what: { email?: string | undefined; phone?: string | undefined; phoneConfirmed?: boolean | undefined; confirmByMail?: boolean | undefined; language?: MailLanguage | undefined },
    actor: AuditActor,
    ip: string | null,
  ): Promise<UserRecord> {
    const patch: UserPatch = {};
    if (what.email !== undefined) {
      const email = validateEmail(what.email);
      const others = user.emails.filter((e) => e.toLowerCase() !== email.toLowerCase());
      if (others.length + 1 > MAX_EMAILS) throw new InputError(`at most ${MAX_EMAILS} email addresses`);
      patch.emails = [email, ...others];
      patch.defaultEmail = email;
      if (!what.confirmByMail && !isConfirmedEmail(user, email)) patch.confirmedEmails = [...user.confirmedEmails, email.toLowerCase()];
    }
    const phone = what.phone !== undefined ? parsePhone(what.phone) : user.defaultPhone;
    if (what.phone !== undefined) patch.defaultPhone = phone;
    if (what.phoneConfirmed && phone !== null) patch.confirmedPhone = phone;
    else if (phone !== user.confirmedPhone) patch.confirmedPhone = null;
    const updated: UserRecord = { ...user, ...patch, updatedAt: this.clock() };
    await this.storage.atomically(async () => {
      await this.storage.updateUser(user.id, { ...patch, updatedAt: updated.updatedAt });
      await this.audit.record({ action: 'user_updated', actor, userId: user.id, ip, details: { fields: Object.keys(patch), by: 'operator' } });
      // Part of the change the user_updated entry above announces (`in`): no second event for them.
      if (patch.confirmedEmails) await this.audit.record({ action: 'email_confirmed', actor, userId: user.id, ip, details: { address: what.email!.toLowerCase(), by: 'operator', in: 'user_updated' } });
      if (patch.confirmedPhone) await this.audit.record({ action: 'phone_confirmed', actor, userId: user.id, ip, details: { by: 'operator', in: 'user_updated' } });
      if (what.email !== undefined && what.confirmByMail) await this.send(user.id, what.email, what.language ?? 'en', actor, ip);
    });
    return updated;
  }

  /**
   * An operator vouches for addresses (CLI, /admin): the given ones, or every
   * address the user has, and the phone number when `phone` is true.
   */
  async vouch(user: UserRecord, what: { emails: string[] | 'all'; phone: boolean }, actor: AuditActor, ip: string | null): Promise<UserRecord> {
    const emails = what.emails === 'all' ? user.emails : user.emails.filter((e) => (what.emails as string[]).some((w) => w.toLowerCase() === e.toLowerCase()));
    const added = emails.map((e) => e.toLowerCase()).filter((e) => !user.confirmedEmails.includes(e));
    const phone = what.phone && user.defaultPhone !== null && user.confirmedPhone !== user.defaultPhone ? user.defaultPhone : null;
    if (added.length === 0 && phone === null) return user;
    const patch = { confirmedEmails: [...user.confirmedEmails, ...added], ...(phone !== null ? { confirmedPhone: phone } : {}), updatedAt: this.clock() };
    // One change, one user.updated event: the entry of the first confirmation announces it, the others are part of it (`in`).
    await this.storage.atomically(async () => {
      await this.storage.updateUser(user.id, patch);
      const entries = [
        ...added.map((address) => ({ action: 'email_confirmed' as const, details: { address, by: 'operator' } })),
        ...(phone !== null ? [{ action: 'phone_confirmed' as const, details: { by: 'operator' } }] : []),
      ];
      for (const [i, e] of entries.entries()) {
        await this.audit.record({ action: e.action, actor, userId: user.id, ip, details: { ...e.details, ...(i > 0 ? { in: 'email_confirmed' } : {}) } });
      }
    });
    return { ...user, ...patch };
  }
}
