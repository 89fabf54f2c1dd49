/**
 * A user's rights over their own data (GDPR articles 15, 17 and 20): a copy of
 * everything Gatehouse keeps about them, in a machine-readable file, and the
 * erasure of their account.
 *
 * The copy holds the profile (with which addresses are confirmed), the apps
 * they gave access to and the devices signed in to them, their browser
 * sessions, their passkeys and whether two-step sign-in is on, the accounts
 * at other identity providers linked to theirs, the apps they develop, and the
 * audit log's entries about them. It never holds a secret:
 * no password hash, token, code, authenticator key or passkey public key.
 *
 * Erasure ends every session and token first (src/accounts/revocation.ts, so a
 * refresh racing the deletion finds its authorization revoked), deletes the
 * avatar, then in one transaction strips the audit entries about the user of
 * personal data (`withoutPersonalData`: their address, and every detail but
 * the plain facts listed below), deletes the mails sent to them and the user
 * row, which takes everything else with it by foreign key: consents, codes,
 * tokens, factors, passkeys, links. The audit entries stay, so an operator can
 * still tell what happened, but nothing in them leads to a person any more:
 * the user id they keep is a random identifier that no longer names anybody.
 */
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import { InputError } from '../errors.js';
import type { AuditEntry, Storage, UserRecord } from '../storage/storage.js';
import type { Clock, Millis } from '../types.js';
import { isConfirmedEmail } from './addresses.js';
import { accessOverview } from './profile.js';
import { endUserAccess } from './revocation.js';
import { secondFactorsOf } from './second-factors.js';

/**
 * Details of audit entries that are plain facts about what happened (a grant
 * type, a reason, which fields changed), never about who: the only ones an
 * erased user's entries keep. Anything else — a login, an address, a device's
 * or passkey's name, a credential id — goes, including names added later.
 */
const PLAIN_FACTS = new Set([
  'by', 'reason', 'method', 'step', 'scopes', 'grant', 'kind', 'fields', 'flow', 'firstParty', 'count', 'blocked',
  'verifiedUser', 'type', 'transport', 'stepUp', 'scopesChanged', 'replaced', 'refresh', 'enrolled', 'developer',
  'debug', 'amr', 'admin', 'left', 'signInUnlocked', 'isDeveloper', 'isAdmin', 'action', 'error', 'how', 'upstream',
]);

/** An audit entry's details with only the plain facts left (see PLAIN_FACTS). */
export function withoutPersonalData(details: AuditEntry['details']): AuditEntry['details'] {
  const kept: AuditEntry['details'] = {};
  for (const [name, value] of Object.entries(details)) if (PLAIN_FACTS.has(name)) kept[name] = value;
  return kept;
}

const iso = (t: Millis | null) => (t === null ? null : new Date(t).toISOString());

/** Everything Gatehouse keeps about `user`, as one JSON-ready object (see the file comment). */
export async function accountData(ctx: { storage: Storage; clock: Clock }, user: UserRecord) {
  const now = ctx.clock();
  const [{ apps, devices }, sessions, factors, passkeys, developed, audit, identities] = await Promise.all([
    accessOverview(ctx.storage, user.id, now),
    ctx.storage.listSessionsOfUser(user.id, now),
    secondFactorsOf(ctx, user.id),
    ctx.storage.passkeys.listPasskeys(user.id),
    ctx.storage.listApps({ ownerId: user.id, limit: 1000 }),
    ctx.storage.listAudit({ userId: user.id, limit: 10_000 }),
    ctx.storage.upstreams.listIdentities(user.id),
  ]);
  return {
    exported_at: iso(now),
    account: {
      id: user.id,
      login: user.login,
      first_name: user.firstName,
      last_name: user.lastName,
      display_name: user.displayName,
      sex: user.sex,
      birthday: user.birthday,
      emails: user.emails.map((address) => ({ address, confirmed: isConfirmedEmail(user, address), default: address === user.defaultEmail })),
      phone: user.defaultPhone === null ? null : { number: user.defaultPhone, confirmed: user.defaultPhone === user.confirmedPhone },
      has_avatar: user.avatarId !== null,
      developer: user.isDeveloper,
      operator: user.isAdmin,
      status: user.status,
      created_at: iso(user.createdAt),
      updated_at: iso(user.updatedAt),
    },
    apps_with_access: apps.map((a) => ({ client_id: a.clientId, name: a.name, scopes: a.scopes, granted_at: iso(a.grantedAt), last_used_at: iso(a.lastUsedAt) })),
    devices: devices.map((d) => ({ client_id: d.clientId, app: d.appName, device_id: d.deviceId, device_name: d.deviceName, last_used_at: iso(d.lastUsedAt) })),
    sessions: sessions.map((s) => ({ signed_in_at: iso(s.createdAt), last_seen_at: iso(s.lastSeenAt), expires_at: iso(s.expiresAt), user_agent: s.userAgent, ip: s.ip, amr: s.amr })),
    two_step: { authenticator_app: factors.totp, recovery_codes_left: factors.recoveryCodesLeft },
    passkeys: passkeys.map((p) => ({ name: p.name, created_at: iso(p.createdAt), verifies_user: p.userVerified, synced: p.backedUp })),
    linked_identities: identities.map((i) => ({ upstream: i.upstream, subject: i.subject, email: i.email, linked_at: iso(i.createdAt), last_used_at: iso(i.lastUsedAt) })),
    apps_developed: developed.map((a) => ({ client_id: a.clientId, name: a.name, created_at: iso(a.createdAt) })),
    audit_log: audit.map((e) => ({
      at: iso(e.at), action: e.action, outcome: e.outcome, by: e.actorType === 'user' && e.actorId === user.id ? 'you' : e.actorType,
      client_id: e.clientId, ip: e.ip, details: e.details, ...(e.repeated ? { repeated: e.repeated.count } : {}),
    })),
  };
}

/** Why an account cannot be deleted by its owner yet. */
export class AccountDeletionRefused extends InputError {
  constructor(
    readonly problem: 'operator' | 'owns_apps',
    message: string,
    /** For `owns_apps`: the apps' names. */
    readonly apps: string[] = [],
  ) {
    super(message);
  }
}

/**
 * Erases `user` (see the file comment). By the user themself (`by: 'user'`),
 * an operator's account is refused (another operator takes the role away
 * first: an organisation never loses its last operator to a click), and so is
 * a developer's while they own apps (deleted or handed over first, so no app
 * is left without anyone to answer for it). An operator erasing an account
 * (`by: 'operator'`) may do both; the apps then belong to nobody and stay on
 * /admin. Returns the names of the apps left without an owner.
 */
export async function deleteAccount(
  ctx: { storage: Storage; clock: Clock; audit: AuditLog },
  user: UserRecord,
  by: { type: 'user' } | { type: 'operator'; actor: AuditActor },
  ip: string | null,
): Promise<string[]> {
  const owned = await ctx.storage.listApps({ ownerId: user.id, limit: 1000 });
  if (by.type === 'user') {
    if (user.isAdmin) throw new AccountDeletionRefused('operator', 'operators cannot delete their own account: another operator removes the role first');
    if (owned.length > 0) throw new AccountDeletionRefused('owns_apps', 'the account owns apps: delete them or have an operator hand them over first', owned.map((a) => a.name));
  }
  // One unit of work: the account, what it held, and the entry and event of its erasure go together.
  await ctx.storage.atomically(async () => {
    await endUserAccess(ctx.storage, ctx.clock(), user.id);
    if (user.avatarId !== null) await ctx.storage.deleteImages(user.avatarId);
    // The entry of the deletion itself says only that it happened and who asked.
    await ctx.audit.record({
      action: 'user_deleted',
      actor: by.type === 'user' ? { type: 'user', id: user.id } : by.actor,
      userId: user.id, ip: by.type === 'user' ? null : ip, details: { by: by.type, ...(owned.length > 0 ? { count: owned.length } : {}) },
    });
    await ctx.storage.eraseUser(user.id, withoutPersonalData);
  });
  return owned.map((a) => a.name);
}
