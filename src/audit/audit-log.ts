/**
 * The audit log (issue 10): who did what, when and from where. Operators read
 * it with `gatehouse audit` and on /admin (`listAuditEntries`); everything that
 * changes who may act for whom writes to it:
 *
 * | action               | when                                                    | outcome              |
 * |----------------------|---------------------------------------------------------|----------------------|
 * | `sign_in`            | a password or a passkey (`details.method`) was tried on /login | ok, failed, refused (locked) |
 * | `sign_up`            | an account was created on /signup                       | ok                   |
 * | `sign_out`           | a session ended on /logout                              | ok                   |
 * | `consent`            | the user answered a consent page (/authorize, /device)  | ok (allowed), refused (denied) |
 * | `token_issued`       | /token or /authorize (implicit) gave out tokens         | ok; `details.grant`  |
 * | `token_replay`       | a used code or retired refresh token came back: its family is revoked (RFC 9700 §4.5, §4.14.2) | refused |
 * | `token_revoked`      | /revoke or /revoke_token                                | ok                   |
 * | `app_*`, `user_*`, `keys_rotated`, `debug_token_issued` | changes by the operator (CLI, /admin) or a developer (/console) | ok |
 * | `mail_sent`          | a mail was recorded for sending; `details.kind`, never its link | ok, refused (limited) |
 * | `email_confirmed`, `phone_confirmed` | a confirmation link was used, or an operator vouched | ok, failed (bad link) |
 * | `password_reset`     | a new password was set with a "forgot your password?" link | ok, failed (bad link) |
 * | `two_step_enabled`, `two_step_disabled` | two-step sign-in turned on or off (`details.by`: user, operator) | ok, failed (wrong code) |
 * | `recovery_codes_created`, `recovery_code_used` | new recovery codes; one used (`details.left`) | ok |
 * | `passkey_added`, `passkey_removed` | a passkey or security key was added on /account, or removed there or by an operator (`details.by`) | ok |
 * | `data_exported`       | a user downloaded the copy of their data from /account   | ok                   |
 * | `user_deleted`        | an account was erased by its owner or an operator (`details.by`); the entries about it keep no personal data | ok |
 * | `upstream_added`, `upstream_updated`, `upstream_removed` | an operator changed the identity providers users sign in through | ok |
 * | `upstream_linked`, `upstream_unlinked` | an upstream identity was linked to an account (`details.how`: sign_up, signed_in, verified_email) or unlinked | ok |
 * | `setup_completed`    | the first operator was created with the first-run setup link (/setup) | ok, failed (wrong link) |
 * | `settings_changed`   | an operator saved the organisation's settings on /admin/settings (`details.fields`) | ok |
 * | `webhook_added`, `webhook_updated`, `webhook_removed`, `webhook_redelivered` | an operator changed a webhook endpoint or sent a delivery again | ok |
 * | `webhook_disabled`   | an endpoint failed a whole day of retries and was disabled (`details.reason`) | ok |
 * | `api_request`        | an app called the management API (/api/v1): `details.operation`, `details.status`; the change it made has its own entry with the app as actor | ok, refused (scope, limit), failed |
 *
 * Entries that report what webhooks announce (src/webhooks/events.ts) are
 * written together with their events, atomically (`Storage.appendAudit`).
 *
 * Entries never hold a secret, token, code, password or session id: callers
 * pass plain facts, and `record` replaces anything whose name or shape says
 * otherwise with `[redacted]` (a test greps the log for every secret a run used).
 *
 * Anyone can make anonymous failures (a wrong password for an unknown login)
 * as fast as the limits let them, so they are not stored one by one: the same
 * failure from the same address within one clock hour is one entry whose
 * `repeated.count` grows. Everything else is one entry per event. Entries
 * older than `auditRetentionDays` are deleted by the periodic clean-up
 * (src/storage/cleanup.ts).
 */
import { sha256Hex } from '../crypto/random.js';
import type { AuditActorType, AuditEntry, AuditQuery, Storage, UserRecord } from '../storage/storage.js';
import type { WebhookEventRecord } from '../storage/webhook-store.js';
import type { ClientId, Clock, UserId } from '../types.js';

export type AuditAction =
  | 'sign_in' | 'sign_up' | 'sign_out'
  | 'consent'
  | 'token_issued' | 'token_replay' | 'token_revoked' | 'debug_token_issued'
  | 'app_created' | 'app_updated' | 'app_secret_rotated' | 'app_deleted' | 'app_blocked'
  | 'user_created' | 'user_updated' | 'user_blocked' | 'user_deleted' | 'data_exported' | 'password_changed'
  | 'keys_rotated'
  | 'mail_sent' | 'email_confirmed' | 'phone_confirmed' | 'password_reset'
  | 'two_step_enabled' | 'two_step_disabled' | 'recovery_codes_created' | 'recovery_code_used'
  | 'passkey_added' | 'passkey_removed'
  | 'upstream_added' | 'upstream_updated' | 'upstream_removed' | 'upstream_linked' | 'upstream_unlinked'
  | 'setup_completed' | 'settings_changed'
  | 'webhook_added' | 'webhook_updated' | 'webhook_removed' | 'webhook_disabled' | 'webhook_redelivered'
  | 'api_request'
  | 'app_registered' | 'registration_token_issued' | 'registration_token_revoked'
  | 'resource_added' | 'resource_removed';

export type AuditActor =
  | { type: 'user'; id: UserId }
  | { type: 'app'; id: ClientId }
  | { type: 'operator' }
  | { type: 'anonymous' };

export type AuditDetails = AuditEntry['details'];

export interface AuditEvent {
  action: AuditAction;
  /** Default `ok`. */
  outcome?: AuditEntry['outcome'];
  actor: AuditActor;
  userId?: UserId | null;
  clientId?: ClientId | null;
  /** The caller's address; null for the CLI. */
  ip?: string | null;
  /** Plain facts; undefined values are left out. */
  details?: Record<string, AuditDetails[string] | undefined>;
  /**
   * The user the entry is about (`userId`), as the caller just read it: the
   * sign-in events that name the account take its login from here rather
   * than reading it again inside the unit. Not stored.
   */
  subject?: Pick<UserRecord, 'id' | 'login'>;
}

/** Names of details that could only hold a secret. */
const SECRET_NAME = /pass|secret|token(?!_type)|code|verifier|cookie|authorization|session|csrf|assertion|jwt|hash|key/i;
/** Values shaped like something Gatehouse hands out (docs/protocol.md §4 token prefixes). */
const SECRET_VALUE = /gate_(?:at|rt|rat|iat)_|^\$argon2/;
const REDACTED = '[redacted]';
/** Identical anonymous failures within one such window share an entry. */
const REPEAT_WINDOW_MS = 60 * 60 * 1000;

function cleanValue(value: AuditDetails[string]): AuditDetails[string] {
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? REDACTED : value.slice(0, 200);
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => (SECRET_VALUE.test(v) ? REDACTED : v.slice(0, 100)));
  return value;
}

/** Keeps plain facts; anything named or shaped like a secret is replaced. */
export function cleanDetails(details: AuditEvent['details'] = {}): AuditDetails {
  const out: AuditDetails = {};
  for (const [name, value] of Object.entries(details).slice(0, 30)) {
    if (value === undefined) continue;
    out[name.slice(0, 40)] = SECRET_NAME.test(name) ? REDACTED : cleanValue(value);
  }
  return out;
}

/** Where the events an entry causes come from, and who hears of them once committed (src/webhooks/). */
export interface AuditEventSource {
  eventsOf(entry: Omit<AuditEntry, 'id' | 'repeated'>, subject?: Pick<UserRecord, 'id' | 'login'>): Promise<WebhookEventRecord[]>;
  recorded(events: readonly WebhookEventRecord[]): void;
}

export class AuditLog {
  private events: AuditEventSource | null = null;

  /**
   * `requireUnits`: refuse an entry that causes webhook events unless it is
   * written in the unit of work of the change it reports
   * (`Storage.atomically`), so that a door recording its change apart from
   * the change fails its tests. A failed sign-in is exempt: it changes
   * nothing, and the entry is the whole record.
   */
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly options: { requireUnits?: boolean } = {},
  ) {}

  /** Entries from now on are written with the webhook events they cause. */
  withEvents(source: AuditEventSource): void {
    this.events = source;
  }

  /** Appends one entry, with the events it causes; returns its id. */
  async record(event: AuditEvent): Promise<string> {
    const entry = this.entry(event);
    const events = this.events ? await this.events.eventsOf(entry, event.subject) : [];
    if (this.options.requireUnits && events.length > 0 && !this.storage.inUnit() && !(entry.action === 'sign_in' && entry.outcome !== 'ok')) {
      throw new Error(`the audit entry ${entry.action} causes webhook events and must be written in the unit of work of its change (Storage.atomically)`);
    }
    // Anonymous failures repeat (guesses, scans): one entry counts them per key and window.
    let repeatKey: string | undefined;
    if (entry.actorType === 'anonymous' && entry.outcome !== 'ok') {
      const { at, ...what } = entry;
      repeatKey = sha256Hex(JSON.stringify([what, Math.floor(at / REPEAT_WINDOW_MS)]));
    }
    const { id, deliveries } = await this.storage.appendAudit(entry, repeatKey, events);
    // The sender hears of deliveries once they are durable: at once, or when the caller's unit commits. Events no
    // endpoint is subscribed to have none, and wake nobody.
    if (deliveries > 0) this.storage.afterCommit(() => this.events?.recorded(events));
    return id;
  }

  /**
   * The entry `record` would append, cleaned, for a caller that writes it
   * together with what it records (tokens, `Storage.saveTokens`). Only for
   * events that are one entry each (not anonymous failures).
   */
  entry(event: AuditEvent): Omit<AuditEntry, 'id' | 'repeated'> {
    const actorType: AuditActorType = event.actor.type;
    return {
      at: this.clock(),
      action: event.action,
      outcome: event.outcome ?? 'ok',
      actorType,
      actorId: 'id' in event.actor ? event.actor.id : null,
      userId: event.userId ?? (event.actor.type === 'user' ? event.actor.id : null),
      clientId: event.clientId ?? (event.actor.type === 'app' ? event.actor.id : null),
      ip: event.ip?.slice(0, 64) ?? null,
      details: cleanDetails(event.details),
    };
  }

  list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.storage.listAudit(query);
  }
}

export interface AuditFilter {
  /** Newest first, at most this many (default 100). */
  limit?: number;
  /** Entries about the user with this login. */
  login?: string;
  /** Entries about this app. */
  clientId?: string;
  action?: string;
  /** For paging: entries older than this id. */
  beforeId?: string;
}

/**
 * What the /admin page and `gatehouse audit` show: entries matching the
 * filter, newest first. An unknown login matches nothing.
 */
export async function listAuditEntries(ctx: { storage: Storage }, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const query: AuditQuery = { limit: filter.limit ?? 100 };
  if (filter.login !== undefined) {
    const user = await ctx.storage.findUserByLogin(filter.login.trim().toLowerCase().slice(0, 64));
    if (!user) return [];
    query.userId = user.id;
  }
  if (filter.clientId !== undefined) query.clientId = filter.clientId as ClientId;
  if (filter.action !== undefined) query.action = filter.action;
  if (filter.beforeId !== undefined) query.beforeId = filter.beforeId;
  return ctx.storage.listAudit(query);
}

/** One line for people: `2026-01-02T03:04:05.678Z  sign_in failed  user 1234… from 203.0.113.7  {…}`. */
export function formatAuditEntry(e: AuditEntry): string {
  const who = e.actorType === 'operator' ? 'operator' : e.actorType === 'anonymous' ? 'anonymous' : `${e.actorType} ${e.actorId ?? '?'}`;
  const about = [e.userId !== null && e.actorId !== e.userId ? `user ${e.userId}` : '', e.clientId !== null && e.actorId !== e.clientId ? `app ${e.clientId}` : '']
    .filter(Boolean).join(' ');
  const details = Object.keys(e.details).length > 0 ? `  ${JSON.stringify(e.details)}` : '';
  const repeated = e.repeated ? ` ×${e.repeated.count} until ${new Date(e.repeated.lastAt).toISOString()}` : '';
  return `${new Date(e.at).toISOString()}  ${e.action} ${e.outcome}${repeated}  by ${who}${about ? ` (${about})` : ''}${e.ip ? ` from ${e.ip}` : ''}${details}`;
}
