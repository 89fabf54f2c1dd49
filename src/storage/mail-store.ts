/**
 * What mail needs kept: the outbox, where every mail is recorded before it is
 * sent (so a crash or a refusing SMTP server loses none, and operators without
 * SMTP read them on /admin/mail), and the single-use links mails carry
 * (address confirmation, password reset), stored as SHA-256 hashes.
 *
 * The same rules as the rest of storage (storage.ts): secrets arrive hashed or
 * sealed, times are milliseconds passed in by the caller, and the verbs marked
 * *atomic* have exactly one winner among concurrent callers.
 */
import type { SecretHash } from '../crypto/random.js';
import type { Millis, UserId } from '../types.js';
import type { ConsumeResult } from './storage.js';

/**
 * `pending`: waiting for (another) delivery attempt; `sent`: the SMTP server
 * took it; `failed`: every attempt failed; `kept`: no SMTP is configured, so
 * it stays in the outbox for operators.
 */
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'kept';

export interface OutboxRecord {
  /** Time-ordered and unique (the time, then random hex). */
  id: string;
  /** Which mail (src/mail/mails.ts): `address_confirmation`, `password_reset`, `test`, … */
  kind: string;
  to: string;
  subject: string;
  /** The user it was sent for, if any. */
  userId: UserId | null;
  /** Plain text and HTML, sealed with the server key (they carry single-use links); dropped once sent. */
  bodySealed: string | null;
  status: OutboxStatus;
  attempts: number;
  /** When a pending mail may next be tried (also the end of a claim's lease). */
  nextAttemptAt: Millis;
  /** The last SMTP error, one line. */
  lastError: string | null;
  createdAt: Millis;
  sentAt: Millis | null;
}

export type MailLinkKind = 'confirm_email' | 'reset_password';

/** A single-use link sent by mail. */
export interface MailLinkRecord {
  /** SHA-256 of the token in the link. */
  hash: SecretHash;
  kind: MailLinkKind;
  userId: UserId;
  /** The address a confirmation link confirms (lowercased); null for a password reset. */
  address: string | null;
  createdAt: Millis;
  expiresAt: Millis;
  consumedAt: Millis | null;
}

export interface MailStore {
  // The outbox
  addMail(mail: OutboxRecord): Promise<void>;
  findMail(id: string): Promise<OutboxRecord | null>;
  /** Newest first (default 100). */
  listMails(options?: { limit?: number; userId?: UserId }): Promise<OutboxRecord[]>;
  /** Pending mails due at `now`, oldest first. */
  dueMails(now: Millis, limit: number): Promise<OutboxRecord[]>;
  /**
   * *Atomic*: claims a pending mail due at `now` for one delivery attempt:
   * counts the attempt and holds the mail for `leaseMs` (if this process dies
   * mid-attempt, another takes it up after that). Null when it was not due or
   * another caller claimed it first.
   */
  claimMail(id: string, now: Millis, leaseMs: number): Promise<OutboxRecord | null>;
  /** The SMTP server took it: its body, and the links in it, are dropped. */
  markMailSent(id: string, now: Millis): Promise<void>;
  /** An attempt failed: tried again at `retryAt`, or given up (`failed`) when null. */
  markMailFailed(id: string, error: string, retryAt: Millis | null): Promise<void>;

  // Single-use links
  createMailLink(link: MailLinkRecord): Promise<void>;
  /** An unexpired, unused link (to show its page before it is used). */
  findMailLink(hash: SecretHash, now: Millis): Promise<MailLinkRecord | null>;
  /** *Atomic*: uses a link; exactly one caller gets `consumed`. An expired link is `not_found`. */
  consumeMailLink(hash: SecretHash, now: Millis): Promise<ConsumeResult<MailLinkRecord>>;
  /** Drops a user's links of one kind (a new password makes older reset links useless). */
  deleteMailLinks(userId: UserId, kind: MailLinkKind): Promise<void>;

  /** Deletes links past expiry and mails created before `mailsBefore`. Returns rows deleted. */
  deleteExpiredMail(now: Millis, options: { mailsBefore: Millis }): Promise<number>;
}
