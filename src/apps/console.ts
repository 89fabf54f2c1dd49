/**
 * The developer console's rules (docs/protocol.md §10, §5.3), free of HTTP: who may use
 * it, which apps a developer sees, icons, debug tokens, blocking and deleting.
 * Changing an app's fields goes through `Apps` (apps.ts), which revokes tokens
 * when scopes change or the app is blocked (docs/protocol.md §1).
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config.js';
import { randomHex } from '../crypto/random.js';
import { InputError } from '../errors.js';
import type { PictureUploads } from '../images/picture-uploads.js';
import type { AppRecord, AppTokenStats, Storage, TokenRecord, UserRecord } from '../storage/storage.js';
import type { ClientId, Clock } from '../types.js';
import { OperatorBlockError, type Apps } from './apps.js';

import { ICON_PATH } from './apps.js';

export { ICON_PATH };

/** docs/protocol.md §1: every user may be a developer, unless the operator keeps the console to the developers they name. */
export function mayUseConsole(user: UserRecord, config: Pick<Config, 'developers'>): boolean {
  return user.isDeveloper || config.developers === 'anyone';
}

export interface AppOverview {
  stats: AppTokenStats;
  /** Live debug access tokens, newest first (docs/protocol.md §5.3), with the login they act for. */
  debugTokens: (TokenRecord & { login: string })[];
  /** The owner may lift this block (they set it); an operator's block is theirs to lift. */
  ownerMayUnblock: boolean;
}

export class Console {
  constructor(
    private readonly storage: Storage,
    private readonly apps: Apps,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly pictures: PictureUploads,
  ) {}

  /** The app if `user` owns it; null otherwise, so another developer's app looks exactly like a missing one. */
  async ownedApp(user: UserRecord, clientId: string): Promise<AppRecord | null> {
    if (!/^[0-9a-f]{32}$/.test(clientId)) return null;
    const app = await this.storage.findApp(clientId as ClientId);
    return app && app.ownerId === user.id ? app : null;
  }

  /** The first app makes its creator a developer (GATEHOUSE_DEVELOPERS=anyone). */
  async becomeDeveloper(user: UserRecord): Promise<void> {
    if (!user.isDeveloper) await this.storage.updateUser(user.id, { isDeveloper: true, updatedAt: this.clock() });
  }

  async overview(app: AppRecord): Promise<AppOverview> {
    const now = this.clock();
    const [stats, tokens] = await Promise.all([
      this.storage.appTokenStats(app.clientId, now),
      this.storage.listTokens({ clientId: app.clientId, isDebug: true, type: 'access', activeAt: now, limit: 100 }),
    ]);
    const logins = new Map<string, string>();
    const debugTokens = [];
    for (const t of tokens) {
      if (t.userId === null) continue;
      if (!logins.has(t.userId)) logins.set(t.userId, (await this.storage.findUserById(t.userId))?.login ?? '?');
      debugTokens.push({ ...t, login: logins.get(t.userId)! });
    }
    // Who blocked is stored on the app (not read back from the audit log, where the owner's own later entries would hide an operator's).
    return { stats, debugTokens, ownerMayUnblock: app.status === 'blocked' && app.blockedBy === 'owner' };
  }

  async revokeDebugToken(app: AppRecord, familyId: string, owner: UserRecord, ip: string | null): Promise<void> {
    const now = this.clock();
    const tokens = await this.storage.listTokens({ clientId: app.clientId, isDebug: true, activeAt: now, limit: 1000 });
    if (!tokens.some((t) => t.familyId === familyId)) throw new InputError('no such debug token');
    await this.storage.atomically(async () => {
      await this.storage.revokeFamily(familyId, now);
      await this.audit.record({ action: 'token_revoked', actor: { type: 'user', id: owner.id }, clientId: app.clientId, ip, details: { debug: true } });
    });
  }

  /** Replaces the app's icon with the upload by `by` (counted against their uploads), redrawn as a square PNG. */
  async setIcon(app: AppRecord, file: Buffer, by: UserRecord, ip: string | null): Promise<void> {
    // Drawn before the unit of work begins: it takes a while, and the unit holds the write lock on SQLite.
    const data = await this.pictures.icon(by.id, file);
    const id = randomHex(16);
    const now = this.clock();
    await this.storage.atomically(async () => {
      await this.storage.saveImages([{ id, variant: 'icon', contentType: 'image/png', data, createdAt: now }]);
      await this.storage.updateApp(app.clientId, { iconUrl: ICON_PATH + id, updatedAt: now });
      await this.dropIcon(app);
      await this.audit.record({ action: 'app_updated', actor: { type: 'user', id: by.id }, clientId: app.clientId, ip, details: { fields: 'icon' } });
    });
  }

  async removeIcon(app: AppRecord, by: UserRecord, ip: string | null): Promise<void> {
    await this.storage.atomically(async () => {
      await this.storage.updateApp(app.clientId, { iconUrl: null, updatedAt: this.clock() });
      await this.dropIcon(app);
      await this.audit.record({ action: 'app_updated', actor: { type: 'user', id: by.id }, clientId: app.clientId, ip, details: { fields: 'icon' } });
    });
  }

  private async dropIcon(app: AppRecord): Promise<void> {
    await this.apps.dropIcon(app);
  }

  /**
   * Blocks or unblocks the app by its owner; blocking revokes its tokens.
   * Lifting an operator's block throws OperatorBlockError (Apps.unblock decides).
   */
  async setBlocked(app: AppRecord, owner: UserRecord, blocked: boolean, ip: string | null): Promise<void> {
    const entry = { action: 'app_blocked', actor: { type: 'user', id: owner.id }, clientId: app.clientId, ip, details: { blocked, by: 'owner' } } as const;
    try {
      await this.storage.atomically(async () => {
        if (blocked) await this.apps.block(app.clientId, 'owner');
        else await this.apps.unblock(app.clientId, 'owner');
        await this.audit.record(entry);
      });
    } catch (err) {
      if (err instanceof OperatorBlockError) await this.audit.record({ ...entry, outcome: 'refused' });
      throw err;
    }
  }

  /** Deletes the app: its tokens, codes and consents go with it, so nothing issued to it works any more. */
  async delete(app: AppRecord, owner: UserRecord, ip: string | null): Promise<void> {
    await this.storage.atomically(async () => {
      await this.apps.delete(app);
      await this.audit.record({ action: 'app_deleted', actor: { type: 'user', id: owner.id }, clientId: app.clientId, ip, details: { name: app.name } });
    });
  }
}
