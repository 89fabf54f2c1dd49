/**
 * What operators do on /admin (docs/protocol.md §10), free of HTTP: find users and apps,
 * block and unblock them, reset passwords, end every session and token. Each
 * action is written to the audit log with the operator who took it.
 */
import type { SignInGuard } from '../accounts/sign-in-guard.js';
import { endUserAccess } from '../accounts/revocation.js';
import type { AddressConfirmations } from '../accounts/addresses.js';
import type { TwoStep } from '../accounts/two-step.js';
import type { Users } from '../accounts/users.js';
import type { Apps } from '../apps/apps.js';
import type { AuditLog } from '../audit/audit-log.js';
import { randomFromAlphabet } from '../crypto/random.js';
import { InputError } from '../errors.js';
import type { AppRecord, Storage, UserRecord } from '../storage/storage.js';
import type { Clock } from '../types.js';

/** Readable and unambiguous (no 0/O, 1/l/I): an operator reads it out or pastes it. */
const PASSWORD_ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export type UserAction = 'block' | 'unblock' | 'revoke' | 'reset_password' | 'unlock_sign_in' | 'make_developer' | 'remove_developer' | 'make_admin' | 'remove_admin' | 'confirm_addresses' | 'reset_two_step';
export const USER_ACTIONS: readonly UserAction[] = ['block', 'unblock', 'revoke', 'reset_password', 'unlock_sign_in', 'make_developer', 'remove_developer', 'make_admin', 'remove_admin', 'confirm_addresses', 'reset_two_step'];

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
  ) {}

  /** Ends everything the user holds: sessions, tokens, instant-login grants. */
  private async endAccess(user: UserRecord): Promise<void> {
    await endUserAccess(this.storage, this.clock(), user.id);
  }

  /**
   * Applies one action to a user; returns the new password for `reset_password`
   * (shown once to the operator), else null. An operator cannot lock themself
   * out: blocking or demoting oneself is refused. `operator` null: the CLI.
   */
  async actOnUser(operator: UserRecord | null, user: UserRecord, action: UserAction, ip: string | null): Promise<string | null> {
    const self = operator !== null && operator.id === user.id;
    if (self && (action === 'block' || action === 'remove_admin' || action === 'revoke' || action === 'reset_password')) {
      throw new InputError('operators cannot do this to their own account');
    }
    const now = this.clock();
    // null: the operator at the command line (`gatehouse user update`), who is nobody's account.
    const actor = operator ? { type: 'user' as const, id: operator.id } : { type: 'operator' as const };
    const base = { actor, userId: user.id, ip, details: { login: user.login, action, by: 'operator' } };
    switch (action) {
      case 'block':
        await this.storage.updateUser(user.id, { status: 'blocked', updatedAt: now });
        await this.endAccess(user);
        await this.audit.record({ ...base, action: 'user_blocked', details: { ...base.details, blocked: true } });
        return null;
      case 'unblock':
        await this.storage.updateUser(user.id, { status: 'active', updatedAt: now });
        await this.audit.record({ ...base, action: 'user_blocked', details: { ...base.details, blocked: false } });
        return null;
      case 'revoke':
        await this.endAccess(user);
        await this.audit.record({ ...base, action: 'user_updated' });
        return null;
      case 'confirm_addresses':
        // The operator vouches for every address and the phone number the user has now (src/accounts/addresses.ts).
        await this.addresses.vouch(user, { emails: 'all', phone: true }, actor, ip);
        return null;
      case 'reset_password': {
        const password = randomFromAlphabet(PASSWORD_ALPHABET, 16);
        await this.users.changePassword(user, password);
        await this.signInGuard.unlock(user.login);
        await this.audit.record({ ...base, action: 'password_changed' });
        return password;
      }
      case 'reset_two_step':
        // A user who lost their phone and their recovery codes: the authenticator-app key and the codes go (src/accounts/two-step.ts).
        await this.twoStep.reset(user, actor, ip);
        return null;
      case 'unlock_sign_in':
        // There is no mail yet: an operator is how an account locked by failures in a row gets back (sign-in-guard.ts).
        await this.signInGuard.unlock(user.login);
        await this.audit.record({ ...base, action: 'user_updated', details: { ...base.details, signInUnlocked: true } });
        return null;
      default: {
        const patch = action === 'make_developer' || action === 'remove_developer'
          ? { isDeveloper: action === 'make_developer' }
          : { isAdmin: action === 'make_admin' };
        await this.storage.updateUser(user.id, { ...patch, updatedAt: now });
        await this.audit.record({ ...base, action: 'user_updated', details: { ...base.details, ...patch } });
        return null;
      }
    }
  }

  /** Blocks (revoking every token: docs/protocol.md §1 `unauthorized_client` everywhere) or unblocks an app. */
  async setAppBlocked(operator: UserRecord, app: AppRecord, blocked: boolean, ip: string | null): Promise<void> {
    if (blocked) await this.apps.block(app.clientId, 'operator');
    else await this.apps.unblock(app.clientId, 'operator');
    await this.audit.record({ action: 'app_blocked', actor: { type: 'user', id: operator.id }, clientId: app.clientId, ip, details: { name: app.name, blocked, by: 'operator' } });
  }

  /** Marks the app the provider's own, or takes the mark away: an operator's decision alone (Apps.setFirstParty). */
  async setAppFirstParty(operator: UserRecord, app: AppRecord, firstParty: boolean, ip: string | null): Promise<void> {
    await this.apps.setFirstParty(app.clientId, firstParty);
    await this.audit.record({ action: 'app_updated', actor: { type: 'user', id: operator.id }, clientId: app.clientId, ip, details: { name: app.name, firstParty, by: 'operator' } });
  }
}
