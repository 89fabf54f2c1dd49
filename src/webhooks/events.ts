/**
 * The events webhooks carry, and how each comes from an audit entry.
 *
 * Every change an event reports is already written to the audit log, by
 * whichever door made it (pages, CLI, management API); the events are derived
 * from those entries and written with them (`Storage.appendAudit`), so a new
 * door that audits its changes fires the events without more code, and an
 * event exists exactly when its entry does.
 *
 * Bodies are `{type, timestamp, data}` (Standard Webhooks). `data` holds plain
 * facts only: ids, logins, names, addresses, scopes — never a password hash,
 * token, code or client secret (audit details are already cleaned of those,
 * src/audit/audit-log.ts, and users and apps are summarised field by field).
 */
import type { AuditDetails } from '../audit/audit-log.js';
import { randomHex } from '../crypto/random.js';
import type { AppRecord, AuditEntry, Storage, UserRecord } from '../storage/storage.js';
import type { WebhookEventRecord } from '../storage/webhook-store.js';
import type { ClientId, UserId } from '../types.js';

export const EVENT_TYPES = [
  'user.created', 'user.updated', 'user.blocked', 'user.deleted', 'user.signed_in', 'sign_in.failed',
  'app.created', 'app.updated', 'app.deleted', 'consent.granted', 'consent.revoked', 'token.revoked', 'key.rotated',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (name: string): name is EventType => (EVENT_TYPES as readonly string[]).includes(name);

/** What an operator reads beside each checkbox on /admin/webhooks and in `gatehouse webhook add --help`. */
export const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  'user.created': 'an account was created (sign-up, operator, API)',
  'user.updated': 'an account was changed (an address confirmed too), or unblocked',
  'user.blocked': 'an operator blocked an account',
  'user.deleted': 'an account was erased',
  'user.signed_in': 'someone signed in (each step: password, passkey, second factor, upstream)',
  'sign_in.failed': 'a sign-in step failed or was refused',
  'app.created': 'an app was registered',
  'app.updated': 'an app was changed, blocked or unblocked, or its secret rotated',
  'app.deleted': 'an app was deleted',
  'consent.granted': 'a user allowed an app access',
  'consent.revoked': 'a user took an app\'s access away on /account',
  'token.revoked': 'tokens were revoked (by an app, a user, an operator)',
  'key.rotated': 'the signing keys were rotated',
};

export interface EventBody {
  type: EventType;
  /** ISO 8601, when the change happened. */
  timestamp: string;
  data: Record<string, unknown>;
}

/** The user as events show them: who they are and how to reach them, nothing secret. */
export function userSummary(u: UserRecord): Record<string, unknown> {
  return {
    id: u.id, login: u.login, display_name: u.displayName, first_name: u.firstName, last_name: u.lastName,
    default_email: u.defaultEmail, confirmed_emails: u.confirmedEmails, phone: u.defaultPhone,
    is_developer: u.isDeveloper, is_admin: u.isAdmin, status: u.status, created_at: new Date(u.createdAt).toISOString(),
  };
}

/** The app as events show it: never its secret or the secret's hash. */
export function appSummary(a: AppRecord): Record<string, unknown> {
  return {
    client_id: a.clientId, name: a.name, description: a.description, owner_id: a.ownerId, platforms: a.platforms,
    redirect_uris: a.redirectUris, scopes: a.scopes, confidential: a.secretHash !== null, first_party: a.firstParty,
    status: a.status,
  };
}

type Entry = Omit<AuditEntry, 'id' | 'repeated'>;

/** Which event types an entry causes (none for most). */
export function eventTypesOf(e: Entry): EventType[] {
  const ok = e.outcome === 'ok';
  switch (e.action) {
    case 'sign_up':
    case 'user_created':
      return ok ? ['user.created'] : [];
    case 'user_updated':
    case 'password_changed':
    case 'password_reset':
      return ok ? ['user.updated'] : [];
    case 'email_confirmed':
    case 'phone_confirmed':
      // A confirmation that was part of a change another entry announces (`details.in`) adds no event of its own.
      return ok && e.details.in === undefined ? ['user.updated'] : [];
    case 'user_blocked':
      return ok ? [e.details.blocked === false ? 'user.updated' : 'user.blocked'] : [];
    case 'user_deleted':
      return ok ? ['user.deleted'] : [];
    case 'sign_in':
      return [ok ? 'user.signed_in' : 'sign_in.failed'];
    case 'app_created':
    case 'app_registered':
      return ok ? ['app.created'] : [];
    case 'app_updated':
    case 'app_blocked':
    case 'app_secret_rotated':
      return ok ? ['app.updated'] : [];
    case 'app_deleted':
      return ok ? ['app.deleted'] : [];
    case 'consent':
      return ok ? ['consent.granted'] : [];
    case 'token_revoked':
      // Tokens found revoked as they were issued were never handed out: the revocation that caught them was announced itself.
      if (!ok || e.details.during === 'issue') return [];
      return e.details.consent === 'revoked' ? ['consent.revoked', 'token.revoked'] : ['token.revoked'];
    case 'keys_rotated':
      return ok ? ['key.rotated'] : [];
    default:
      return [];
  }
}

/** The details worth passing on: what changed, how, why (already cleaned of secrets). */
function facts(details: AuditDetails, drop: readonly string[] = []): Record<string, unknown> {
  return Object.fromEntries(Object.entries(details).filter(([name]) => !drop.includes(name)));
}

/**
 * Builds the events an audit entry causes, reading the user or app it is
 * about for their current summary (an erased user or deleted app: its id).
 * `subject`: the entry's user as its caller just read it (`AuditEvent.subject`),
 * enough for the sign-in events, which then read nothing.
 */
export async function eventsOf(storage: Storage, e: Entry, subject?: Pick<UserRecord, 'id' | 'login'>): Promise<WebhookEventRecord[]> {
  const types = eventTypesOf(e);
  if (types.length === 0) return [];
  const actor = { type: e.actorType, ...(e.actorId !== null ? { id: e.actorId } : {}) };
  const user = async (id: UserId | null) => {
    if (id === null) return null;
    const found = await storage.findUserById(id);
    return found ? userSummary(found) : { id };
  };
  const app = async (id: ClientId | null) => {
    if (id === null) return null;
    const found = await storage.findApp(id);
    return found ? appSummary(found) : { client_id: id };
  };
  const events: WebhookEventRecord[] = [];
  for (const type of types) {
    let data: Record<string, unknown>;
    switch (type) {
      case 'user.created':
      case 'user.updated':
      case 'user.blocked':
        data = { user: await user(e.userId), actor, changes: facts(e.details, ['login']) };
        break;
      case 'user.deleted':
        data = { user: { id: e.userId }, actor, details: facts(e.details) };
        break;
      case 'user.signed_in':
      case 'sign_in.failed': {
        // A failed sign-in names the account only when it exists (the audit entry never keeps the typed text).
        const found = e.userId === null ? null : subject?.id === e.userId ? subject : await storage.findUserById(e.userId);
        data = { user: found ? { id: found.id, login: found.login } : null, ip: e.ip, ...facts(e.details) };
        break;
      }
      case 'app.created':
      case 'app.updated':
        data = { app: await app(e.clientId), actor, changes: facts(e.details, ['name']) };
        break;
      case 'app.deleted':
        data = { app: { client_id: e.clientId, ...(typeof e.details.name === 'string' ? { name: e.details.name } : {}) }, actor };
        break;
      case 'consent.granted':
        data = { user: { id: e.userId }, app: { client_id: e.clientId }, ...facts(e.details) };
        break;
      case 'consent.revoked':
        data = { user: { id: e.userId }, app: { client_id: e.clientId } };
        break;
      case 'token.revoked':
        data = { user: e.userId === null ? null : { id: e.userId }, app: e.clientId === null ? null : { client_id: e.clientId }, actor, ...facts(e.details, ['consent']) };
        break;
      case 'key.rotated':
        data = { actor, ...facts(e.details) };
        break;
    }
    const body: EventBody = { type, timestamp: new Date(e.at).toISOString(), data };
    events.push({ id: `msg_${String(e.at).padStart(15, '0')}${randomHex(8)}`, type, at: e.at, body: JSON.stringify(body) });
  }
  return events;
}
