/**
 * What operators do, free of HTTP, for every door they use: /admin
 * (docs/protocol.md §10), the CLI and the management API (/api/v1): create,
 * change, block and erase users; create, change, block and delete apps; rotate
 * secrets and signing keys. Each action is written to the audit log with who
 * took it: an operator's account on /admin, the operator at the command line,
 * or the app calling the management API.
 */
import { deleteAccount } from '../accounts/account-data.js';
import type { SignInGuard } from '../accounts/sign-in-guard.js';
import { endGrant, endUserAccess } from '../accounts/revocation.js';
import type { AddressConfirmations } from '../accounts/addresses.js';
import type { TwoStep } from '../accounts/two-step.js';
import type { NewUser, Users } from '../accounts/users.js';
import type { AppInput, Apps, CreatedApp } from '../apps/apps.js';
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { randomFromAlphabet } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { InputError } from '../errors.js';
import type { MailLanguage } from '../mail/templates.js';
import { rotateSigningKeys } from '../oidc/keys.js';
import type { AppRecord, SessionRecord, SigningKeyRecord, Storage, TokenRecord, UserRecord } from '../storage/storage.js';
import type { ClientId, Clock } from '../types.js';

/** Readable and unambiguous (no 0/O, 1/l/I): an operator reads it out or pastes it. */
const PASSWORD_ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export type UserAction = 'block' | 'unblock' | 'revoke' | 'reset_password' | 'unlock_sign_in' | 'make_developer' | 'remove_developer' | 'make_admin' | 'remove_admin' | 'confirm_addresses' | 'reset_two_step';
export const USER_ACTIONS: readonly UserAction[] = ['block', 'unblock', 'revoke', 'reset_password', 'unlock_sign_in', 'make_developer', 'remove_developer', 'make_admin', 'remove_admin', 'confirm_addresses', 'reset_two_step'];

/**
 * Who acts: an operator's account (/admin), the operator at the command line
 * (`{ type: 'operator' }`), or an app with a management scope (/api/v1).
 */
export type OperatorActor = Exclude<AuditActor, { type: 'anonymous' }>;

/** A new account as an operator makes it: what they set of the address counts as confirmed unless they ask for a mail. */
export interface OperatorNewUser extends Omit<NewUser, 'emailConfirmed'> {
  /** Mail a confirmation link to the address instead of vouching for it. */
  confirmByMail?: boolean | undefined;
  language?: MailLanguage | undefined;
}

/** What an operator changes about a user at once (`gatehouse user update`, PATCH /api/v1/users/{id}). */
export interface UserChange {
  isAdmin?: boolean | undefined;
  isDeveloper?: boolean | undefined;
  blocked?: boolean | undefined;
  /** A new password: signs them out everywhere. */
  password?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  phoneConfirmed?: boolean | undefined;
  confirmByMail?: boolean | undefined;
  language?: MailLanguage | undefined;
}

/** Apps changed only by operators: the first-party mark and introspection (Apps.setFirstParty, Apps.setIntrospection). */
export interface OperatorAppInput extends AppInput {
  firstParty?: boolean | undefined;
  introspects?: string[] | undefined;
}

/** The one Admin of a context, as /admin, the CLI and the management API build it. */
export function adminOf(ctx: Context): Admin {
  return new Admin(ctx.storage, ctx.users, ctx.apps, ctx.audit, ctx.clock, ctx.signInGuard, ctx.addresses, ctx.twoStep, ctx.secrets);
}

export class Admin {
  constructor(
    private readonly storage: Storage,
    private readonly users: Users,
    private readonly apps: Apps,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly signInGuard: SignInGuard,
    private readonly addresses: AddressConfirmations,
    private readonly twoStep: TwoStep,
    private readonly secrets: SecretBox,
  ) {}

  /** Ends everything the user holds: sessions, tokens, instant-login grants. */
  private async endAccess(user: UserRecord): Promise<void> {
    await endUserAccess(this.storage, this.clock(), user.id);
  }

  /**
   * Applies one action to a user; returns the new password for `reset_password`
   * (shown once to the operator), else null. An operator cannot lock themself
   * out: blocking or demoting oneself is refused. Each action and its audit
   * entry (with the webhook events it causes) are one unit of work.
   */
  async actOnUser(actor: OperatorActor, user: UserRecord, action: UserAction, ip: string | null): Promise<string | null> {
    const self = actor.type === 'user' && actor.id === user.id;
    if (self && (action === 'block' || action === 'remove_admin' || action === 'revoke' || action === 'reset_password')) {
      throw new InputError('operators cannot do this to their own account');
    }
    const now = this.clock();
    const base = { actor, userId: user.id, ip, details: { login: user.login, action, by: 'operator' } };
    switch (action) {
      case 'block':
        await this.storage.atomically(async () => {
          await this.storage.updateUser(user.id, { status: 'blocked', updatedAt: now });
          await this.endAccess(user);
          await this.audit.record({ ...base, action: 'user_blocked', details: { ...base.details, blocked: true } });
        });
        return null;
      case 'unblock':
        await this.storage.atomically(async () => {
          await this.storage.updateUser(user.id, { status: 'active', updatedAt: now });
          await this.audit.record({ ...base, action: 'user_blocked', details: { ...base.details, blocked: false } });
        });
        return null;
      case 'revoke':
        await this.storage.atomically(async () => {
          await this.endAccess(user);
          await this.audit.record({ ...base, action: 'user_updated' });
        });
        return null;
      case 'confirm_addresses':
        // The operator vouches for every address and the phone number the user has now (src/accounts/addresses.ts).
        await this.addresses.vouch(user, { emails: 'all', phone: true }, actor, ip);
        return null;
      case 'reset_password': {
        const password = randomFromAlphabet(PASSWORD_ALPHABET, 16);
        await this.users.changePassword(user, password, {
          record: async () => {
            await this.signInGuard.unlock(user.login);
            await this.audit.record({ ...base, action: 'password_changed' });
          },
        });
        return password;
      }
      case 'reset_two_step':
        // A user who lost their phone and their recovery codes: the authenticator-app key and the codes go (src/accounts/two-step.ts).
        await this.twoStep.reset(user, actor, ip);
        return null;
      case 'unlock_sign_in':
        // There is no mail yet: an operator is how an account locked by failures in a row gets back (sign-in-guard.ts).
        await this.storage.atomically(async () => {
          await this.signInGuard.unlock(user.login);
          await this.audit.record({ ...base, action: 'user_updated', details: { ...base.details, signInUnlocked: true } });
        });
        return null;
      default: {
        const patch = action === 'make_developer' || action === 'remove_developer'
          ? { isDeveloper: action === 'make_developer' }
          : { isAdmin: action === 'make_admin' };
        await this.storage.atomically(async () => {
          await this.storage.updateUser(user.id, { ...patch, updatedAt: now });
          await this.audit.record({ ...base, action: 'user_updated', details: { ...base.details, ...patch } });
        });
        return null;
      }
    }
  }

  /** Blocks (revoking every token: docs/protocol.md §1 `unauthorized_client` everywhere) or unblocks an app. */
  async setAppBlocked(actor: OperatorActor, app: AppRecord, blocked: boolean, ip: string | null): Promise<void> {
    await this.storage.atomically(async () => {
      if (blocked) await this.apps.block(app.clientId, 'operator');
      else await this.apps.unblock(app.clientId, 'operator');
      await this.audit.record({ action: 'app_blocked', actor, clientId: app.clientId, ip, details: { name: app.name, blocked, by: 'operator' } });
    });
  }

  /** Marks the app the provider's own, or takes the mark away: an operator's decision alone (Apps.setFirstParty). */
  async setAppFirstParty(actor: OperatorActor, app: AppRecord, firstParty: boolean, ip: string | null): Promise<void> {
    await this.storage.atomically(async () => {
      await this.apps.setFirstParty(app.clientId, firstParty);
      await this.audit.record({ action: 'app_updated', actor, clientId: app.clientId, ip, details: { name: app.name, firstParty, by: 'operator' } });
    });
  }

  /** Creates an account; the operator vouches for its address unless they ask for a confirmation mail (src/accounts/addresses.ts). */
  async createUser(actor: OperatorActor, input: OperatorNewUser, ip: string | null): Promise<UserRecord> {
    const { confirmByMail, language, ...fields } = input;
    return this.users.create({ ...fields, emailConfirmed: !confirmByMail }, async (user) => {
      await this.audit.record({ action: 'user_created', actor, userId: user.id, ip, details: { login: user.login, developer: user.isDeveloper, admin: user.isAdmin } });
      if (user.defaultEmail && confirmByMail) await this.addresses.send(user.id, user.defaultEmail, language ?? 'en', actor, ip);
    });
  }

  /**
   * Changes roles, blocking, password and addresses at once, each through its
   * own action (and audit entry); returns the user as they are afterwards.
   */
  async updateUser(actor: OperatorActor, user: UserRecord, change: UserChange, ip: string | null): Promise<UserRecord> {
    const actions: UserAction[] = [];
    if (change.blocked !== undefined && change.blocked !== (user.status === 'blocked')) actions.push(change.blocked ? 'block' : 'unblock');
    if (change.isAdmin !== undefined && change.isAdmin !== user.isAdmin) actions.push(change.isAdmin ? 'make_admin' : 'remove_admin');
    if (change.isDeveloper !== undefined && change.isDeveloper !== user.isDeveloper) actions.push(change.isDeveloper ? 'make_developer' : 'remove_developer');
    for (const action of actions) await this.actOnUser(actor, user, action, ip);
    if (change.password !== undefined) await this.setPassword(actor, user, change.password, ip);
    const now = (await this.storage.findUserById(user.id)) ?? user;
    if (change.email === undefined && change.phone === undefined && !change.phoneConfirmed) return now;
    return this.addresses.setByOperator(now, {
      email: change.email, phone: change.phone, phoneConfirmed: change.phoneConfirmed, confirmByMail: change.confirmByMail, language: change.language,
    }, actor, ip);
  }

  /** Sets a password the operator chose: signs the user out everywhere and lifts a sign-in lock. */
  async setPassword(actor: OperatorActor, user: UserRecord, password: string, ip: string | null): Promise<void> {
    if (actor.type === 'user' && actor.id === user.id) throw new InputError('operators cannot do this to their own account');
    await this.users.changePassword(user, password, {
      record: async () => {
        await this.signInGuard.unlock(user.login);
        await this.audit.record({ action: 'password_changed', actor, userId: user.id, ip, details: { login: user.login, by: 'operator' } });
      },
    });
  }

  /** Erases an account (src/accounts/account-data.ts); returns the names of apps left without an owner. */
  async deleteUser(actor: OperatorActor, user: UserRecord, ip: string | null): Promise<string[]> {
    if (actor.type === 'user' && actor.id === user.id) throw new InputError('operators cannot do this to their own account');
    return deleteAccount({ storage: this.storage, clock: this.clock, audit: this.audit }, user, { type: 'operator', actor }, ip);
  }

  /** Registers an app for an operator: it may hold management scopes (Apps' AppEditor). */
  async createApp(actor: OperatorActor, input: OperatorAppInput & { name: string }, ip: string | null): Promise<CreatedApp> {
    const { firstParty, introspects, ...fields } = input;
    return this.storage.atomically(async () => {
      const made = await this.apps.create(fields, 'operator');
      if (introspects !== undefined) made.app = await this.apps.setIntrospection(made.app.clientId, introspects);
      if (firstParty) made.app = await this.apps.setFirstParty(made.app.clientId, true);
      await this.audit.record({ action: 'app_created', actor, clientId: made.app.clientId, ip, details: { name: made.app.name, firstParty: made.app.firstParty, scopes: made.app.scopes } });
      return made;
    });
  }

  /** Changes an app as an operator; changing scopes revokes its tokens (Apps.update). */
  async updateApp(actor: OperatorActor, clientId: ClientId, input: OperatorAppInput, ip: string | null): Promise<CreatedApp> {
    const { firstParty, introspects, ...fields } = input;
    return this.storage.atomically(async () => {
      const introspected = introspects === undefined ? undefined : (await this.apps.setIntrospection(clientId, introspects)).introspects;
      const changed = await this.apps.update(clientId, fields, 'operator');
      if (firstParty !== undefined) changed.app = await this.apps.setFirstParty(clientId, firstParty);
      const names = [...Object.entries({ ...fields, firstParty }).filter(([, v]) => v !== undefined).map(([k]) => k), ...(introspected ? ['introspects'] : [])];
      await this.audit.record({
        action: fields.status === 'blocked' ? 'app_blocked' : 'app_updated', actor, clientId, ip,
        details: { fields: names, ...(firstParty !== undefined ? { firstParty } : {}), ...(introspected ? { introspects: introspected } : {}) },
      });
      return changed;
    });
  }

  /** A new client secret; the old one stops working at once. */
  async rotateAppSecret(actor: OperatorActor, clientId: ClientId, ip: string | null): Promise<string> {
    return this.storage.atomically(async () => {
      const secret = await this.apps.rotateSecret(clientId);
      await this.audit.record({ action: 'app_secret_rotated', actor, clientId, ip });
      return secret;
    });
  }

  /** Deletes an app, whoever owns it. */
  async deleteApp(actor: OperatorActor, app: AppRecord, ip: string | null): Promise<void> {
    await this.storage.atomically(async () => {
      await this.apps.delete(app);
      await this.audit.record({ action: 'app_deleted', actor, clientId: app.clientId, ip, details: { name: app.name, by: 'operator' } });
    });
  }

  /** Revokes one authorization of a user: the token family `token` belongs to (its access and refresh tokens). */
  async revokeTokenFamily(actor: OperatorActor, user: UserRecord, token: TokenRecord, ip: string | null): Promise<void> {
    await this.storage.atomically(async () => {
      await this.storage.revokeFamily(token.familyId, this.clock());
      await this.audit.record({ action: 'token_revoked', actor, userId: user.id, clientId: token.clientId, ip, details: { reason: 'revoked by an operator', by: 'operator' } });
    });
  }

  /** Ends one of a user's sessions (a browser stays signed in no more). */
  async endSession(actor: OperatorActor, user: UserRecord, session: SessionRecord, ip: string | null): Promise<void> {
    await this.storage.atomically(async () => {
      await this.storage.deleteSession(session.hash);
      await this.audit.record({ action: 'user_updated', actor, userId: user.id, ip, details: { login: user.login, signedOut: 'one session', by: 'operator' } });
    });
  }

  /** Withdraws what a user granted an app, as "revoke access" on /account does: the consent and every token go. */
  async revokeConsent(actor: OperatorActor, user: UserRecord, clientId: ClientId, ip: string | null): Promise<void> {
    await this.storage.atomically(async () => {
      await endGrant(this.storage, this.clock(), user.id, clientId);
      await this.audit.record({ action: 'token_revoked', actor, userId: user.id, clientId, ip, details: { reason: 'access revoked by an operator', by: 'operator' } });
    });
  }

  /** Publishes a new signing key per algorithm (src/oidc/keys.ts). */
  async rotateKeys(actor: OperatorActor, ip: string | null): Promise<SigningKeyRecord[]> {
    return rotateSigningKeys(this.storage, this.secrets, this.clock, (keys) => this.audit.record({ action: 'keys_rotated', actor, ip, details: { kids: keys.map((k) => k.kid) } }));
  }
}
