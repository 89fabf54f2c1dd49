/**
 * Sending mail without blocking a request and without losing a mail: every
 * mail is first recorded in the outbox (sealed with the server key, since it
 * carries a single-use link), then handed to the transport in the background.
 * A failed attempt is tried again later, a few times, by whichever process
 * claims it first (`MailStore.claimMail` is atomic), so several processes on
 * one database never send a mail twice at once. Once sent, the body is
 * dropped; without SMTP it stays, for operators to read on /admin/mail.
 */
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import { randomHex } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { OutboxRecord } from '../storage/mail-store.js';
import type { Storage } from '../storage/storage.js';
import type { Clock, UserId } from '../types.js';
import type { Mailer } from './mailer.js';
import { describeSmtpError } from './smtp.js';
import { escapeHtml } from '../pages/html.js';
import { PRODUCT_NAME, type Organisation } from '../organisation/organisation.js';
import type { ComposedMail } from './templates.js';

/** Attempts in all, and the wait after each failed one. */
export const MAX_ATTEMPTS = 5;
const RETRY_AFTER_MS = [30_000, 2 * 60_000, 10 * 60_000, 60 * 60_000];
/** How long a claimed mail is held for one attempt: longer than the SMTP timeouts (smtp.ts). */
const LEASE_MS = 5 * 60_000;

export interface MailRequest {
  to: string;
  mail: ComposedMail;
  /** The user it is for, if any (the outbox and the audit log name them). */
  userId: UserId | null;
  /** Who caused it, for the audit log. */
  actor: AuditActor;
  ip: string | null;
}

export interface MailBody {
  text: string;
  html: string;
  language: string;
}

export class MailService {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    private readonly mailer: Mailer,
    private readonly audit: AuditLog,
    private readonly from: string,
    /** Mails name the organisation where they would say Gatehouse (src/organisation/). */
    private readonly organisation: Organisation | null = null,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  get transport(): Mailer['transport'] {
    return this.mailer.transport;
  }

  /** Records the mail (and the audit entry), then delivers it in the background. Returns its outbox id. */
  async send(request: MailRequest): Promise<string> {
    const record = await this.record(request);
    // Sent once the mail is durable: when the caller's unit commits (never, if it rolls back), or at once.
    if (record.status === 'pending') this.storage.afterCommit(() => this.track(this.attempt(record.id).then(() => undefined)));
    return record.id;
  }

  /**
   * Records the mail and tries it once now: `gatehouse mail test` reports what
   * the SMTP server said. A failure is retried later like any other.
   */
  async sendNow(request: MailRequest): Promise<{ id: string; outcome: 'sent' | 'kept' | 'failed'; error: string | null }> {
    const record = await this.record(request);
    if (record.status === 'kept') return { id: record.id, outcome: 'kept', error: null };
    const error = await this.attempt(record.id);
    return { id: record.id, outcome: error === null ? 'sent' : 'failed', error };
  }

  /** Tries every mail whose next attempt is due (the periodic retry; also after a restart). */
  async deliverDue(): Promise<void> {
    if (this.mailer.transport === 'outbox') return;
    for (const mail of await this.storage.mail.dueMails(this.clock(), 50)) await this.attempt(mail.id);
  }

  /** Retries due mails every `everyMs` until the returned function is called. */
  start(everyMs = 30_000): () => void {
    const timer = setInterval(() => this.track(this.deliverDue().catch(this.onError)), everyMs).unref();
    return () => clearInterval(timer);
  }

  /** Waits for the deliveries in flight (the CLI before it exits, the server before it stops). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.idle();
    this.mailer.close();
  }

  /** The text and HTML of a mail still holding them (kept, pending or failed), for operators. */
  body(mail: OutboxRecord): MailBody | null {
    if (mail.bodySealed === null) return null;
    try {
      return JSON.parse(this.secrets.open(mail.bodySealed)) as MailBody;
    } catch {
      // Sealed with another server key: unreadable here.
      return null;
    }
  }

  /** The mail with the organisation's name where it says Gatehouse (the HTML part gets it escaped). */
  private async branded(mail: ComposedMail): Promise<ComposedMail> {
    const name = (await this.organisation?.look())?.name ?? PRODUCT_NAME;
    if (name === PRODUCT_NAME) return mail;
    const rename = (text: string, value: string) => text.replace(/\bGatehouse\b/g, () => value);
    return { ...mail, subject: rename(mail.subject, name), text: rename(mail.text, name), html: rename(mail.html, escapeHtml(name)) };
  }

  /** The From: an unset GATEHOUSE_MAIL_FROM names the organisation. */
  private async sender(): Promise<string> {
    const name = (await this.organisation?.look())?.name ?? PRODUCT_NAME;
    if (name === PRODUCT_NAME || !this.from.startsWith(`${PRODUCT_NAME} <`)) return this.from;
    return `"${name.replace(/["\\\r\n]/g, '')}" ${this.from.slice(PRODUCT_NAME.length + 1)}`;
  }

  private async record(request: MailRequest): Promise<OutboxRecord> {
    const now = this.clock();
    request = { ...request, mail: await this.branded(request.mail) };
    const body: MailBody = { text: request.mail.text, html: request.mail.html, language: request.mail.language };
    const record: OutboxRecord = {
      id: `${String(now).padStart(15, '0')}-${randomHex(8)}`,
      kind: request.mail.kind,
      to: request.to,
      subject: request.mail.subject,
      userId: request.userId,
      bodySealed: this.secrets.seal(JSON.stringify(body)),
      status: this.mailer.transport === 'outbox' ? 'kept' : 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      createdAt: now,
      sentAt: null,
    };
    await this.storage.mail.addMail(record);
    await this.audit.record({
      action: 'mail_sent', actor: request.actor, userId: request.userId, ip: request.ip,
      details: { kind: request.mail.kind, to: request.to, transport: this.mailer.transport },
    });
    return record;
  }

  /** One delivery attempt, if this process wins the claim; the error in one line, or null. */
  private async attempt(id: string): Promise<string | null> {
    const now = this.clock();
    const mail = await this.storage.mail.claimMail(id, now, LEASE_MS);
    if (!mail) return null;
    const body = this.body(mail);
    if (body === null) {
      await this.storage.mail.markMailFailed(id, 'the mail body cannot be read with this server key', null);
      return 'the mail body cannot be read with this server key';
    }
    try {
      await this.mailer.deliver({ from: await this.sender(), to: mail.to, subject: mail.subject, text: body.text, html: body.html, language: body.language });
    } catch (err) {
      const error = describeSmtpError(err);
      const retryAt = mail.attempts >= MAX_ATTEMPTS ? null : this.clock() + RETRY_AFTER_MS[mail.attempts - 1]!;
      await this.storage.mail.markMailFailed(id, error, retryAt);
      return error;
    }
    await this.storage.mail.markMailSent(id, this.clock());
    return null;
  }

  private track(promise: Promise<void>): void {
    const tracked = promise.catch(this.onError).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}

