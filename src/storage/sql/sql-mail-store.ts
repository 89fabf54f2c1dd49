/** The mail store (../mail-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import type { Kysely, Selectable } from 'kysely';
import type { SecretHash } from '../../crypto/random.js';
import type { Millis, UserId } from '../../types.js';
import type { MailLinkKind, MailLinkRecord, MailStore, OutboxRecord } from '../mail-store.js';
import type { ConsumeResult } from '../storage.js';
import type { Database, MailLinksTable, MailOutboxTable } from './schema.js';
import { num, numOrNull } from './values.js';

function toMail(r: Selectable<MailOutboxTable>): OutboxRecord {
  return {
    id: r.id,
    kind: r.kind,
    to: r.to_address,
    subject: r.subject,
    userId: r.user_id as UserId | null,
    bodySealed: r.body_sealed,
    status: r.status as OutboxRecord['status'],
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    lastError: r.last_error,
    createdAt: num(r.created_at),
    sentAt: numOrNull(r.sent_at),
  };
}

function toLink(r: Selectable<MailLinksTable>): MailLinkRecord {
  return {
    hash: r.hash as SecretHash,
    kind: r.kind as MailLinkKind,
    userId: r.user_id as UserId,
    address: r.address,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    consumedAt: numOrNull(r.consumed_at),
  };
}

export class SqlMailStore implements MailStore {
  constructor(private readonly db: Kysely<Database>) {}

  async addMail(m: OutboxRecord): Promise<void> {
    await this.db.insertInto('mail_outbox').values({
      id: m.id, kind: m.kind, to_address: m.to, subject: m.subject.slice(0, 300), user_id: m.userId, body_sealed: m.bodySealed,
      status: m.status, attempts: m.attempts, next_attempt_at: m.nextAttemptAt, last_error: m.lastError,
      created_at: m.createdAt, sent_at: m.sentAt,
    }).execute();
  }

  async findMail(id: string): Promise<OutboxRecord | null> {
    const row = await this.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toMail(row) : null;
  }

  async listMails(options: { limit?: number; userId?: UserId } = {}): Promise<OutboxRecord[]> {
    let query = this.db.selectFrom('mail_outbox').selectAll();
    if (options.userId !== undefined) query = query.where('user_id', '=', options.userId);
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 100)));
    return (await query.orderBy('id', 'desc').limit(limit).execute()).map(toMail);
  }

  async dueMails(now: Millis, limit: number): Promise<OutboxRecord[]> {
    const rows = await this.db.selectFrom('mail_outbox').selectAll()
      .where('status', '=', 'pending').where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at').orderBy('id').limit(limit)
      .execute();
    return rows.map(toMail);
  }

  async claimMail(id: string, now: Millis, leaseMs: number): Promise<OutboxRecord | null> {
    // One conditional UPDATE: of callers racing for the same due mail, exactly one changes the row.
    const row = await this.db.updateTable('mail_outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: now + leaseMs }))
      .where('id', '=', id).where('status', '=', 'pending').where('next_attempt_at', '<=', now)
      .returningAll()
      .executeTakeFirst();
    return row ? toMail(row) : null;
  }

  async markMailSent(id: string, now: Millis): Promise<void> {
    await this.db.updateTable('mail_outbox').set({ status: 'sent', sent_at: now, body_sealed: null, last_error: null }).where('id', '=', id).execute();
  }

  async markMailFailed(id: string, error: string, retryAt: Millis | null): Promise<void> {
    await this.db.updateTable('mail_outbox')
      .set(retryAt === null ? { status: 'failed', last_error: error.slice(0, 300) } : { next_attempt_at: retryAt, last_error: error.slice(0, 300) })
      .where('id', '=', id).where('status', '=', 'pending')
      .execute();
  }

  async createMailLink(l: MailLinkRecord): Promise<void> {
    await this.db.insertInto('mail_links').values({
      hash: l.hash, kind: l.kind, user_id: l.userId, address: l.address, created_at: l.createdAt, expires_at: l.expiresAt, consumed_at: l.consumedAt,
    }).execute();
  }

  async findMailLink(hash: SecretHash, now: Millis): Promise<MailLinkRecord | null> {
    const row = await this.db.selectFrom('mail_links').selectAll()
      .where('hash', '=', hash).where('expires_at', '>', now).where('consumed_at', 'is', null)
      .executeTakeFirst();
    return row ? toLink(row) : null;
  }

  async consumeMailLink(hash: SecretHash, now: Millis): Promise<ConsumeResult<MailLinkRecord>> {
    const won = await this.db.updateTable('mail_links').set({ consumed_at: now })
      .where('hash', '=', hash).where('consumed_at', 'is', null).where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (won) return { outcome: 'consumed', record: toLink(won) };
    const seen = await this.db.selectFrom('mail_links').selectAll().where('hash', '=', hash).executeTakeFirst();
    return seen && seen.consumed_at !== null ? { outcome: 'already_consumed', record: toLink(seen) } : { outcome: 'not_found' };
  }

  async deleteMailLinks(userId: UserId, kind: MailLinkKind): Promise<void> {
    await this.db.deleteFrom('mail_links').where('user_id', '=', userId).where('kind', '=', kind).execute();
  }

  async deleteExpiredMail(now: Millis, options: { mailsBefore: Millis }): Promise<number> {
    const [links, mails] = await Promise.all([
      this.db.deleteFrom('mail_links').where('expires_at', '<', now).executeTakeFirst(),
      this.db.deleteFrom('mail_outbox').where('created_at', '<', options.mailsBefore).executeTakeFirst(),
    ]);
    return Number(links.numDeletedRows) + Number(mails.numDeletedRows);
  }
}
