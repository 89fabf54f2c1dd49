/**
 * Wiring: builds every service from a configuration, in one visible place.
 * The server, the CLI and the tests all start here.
 */
import { SignInGuard } from './accounts/sign-in-guard.js';
import { Users } from './accounts/users.js';
import { Apps } from './apps/apps.js';
import { AuditLog } from './audit/audit-log.js';
import type { Config } from './config.js';
import { SecretBox } from './crypto/secret-box.js';
import { PictureUploads } from './images/picture-uploads.js';
import { LIMITS, type Limits } from './oauth/attempts.js';
import type { GrantContext } from './oauth/grants/grant.js';
import { TokenService } from './oauth/tokens.js';
import { IdTokens } from './oidc/id-token.js';
import { ensureSigningKeys, KeyStore } from './oidc/keys.js';
import { openStorage } from './storage/open.js';
import type { Storage } from './storage/storage.js';
import { systemClock, type Clock } from './types.js';

export interface Context extends GrantContext {
  config: Config;
  storage: Storage;
  clock: Clock;
  secrets: SecretBox;
  users: Users;
  apps: Apps;
  tokens: TokenService;
  limits: Limits;
  signInGuard: SignInGuard;
  keys: KeyStore;
  idTokens: IdTokens;
  /** Who did what, when and from where (issue 10). */
  audit: AuditLog;
  /** Avatar and icon uploads: limited per user, decoded in a worker thread. */
  pictures: PictureUploads;
  close(): Promise<void>;
}

export async function createContext(config: Config, options: { clock?: Clock } = {}): Promise<Context> {
  const clock = options.clock ?? systemClock;
  const secrets = SecretBox.fromConfig(config);
  const storage = await openStorage(config);
  try {
    await ensureSigningKeys(storage, secrets, clock);
  } catch (err) {
    await storage.close();
    throw err;
  }
  const keys = new KeyStore(storage, secrets, clock, config.idTokenTtlSeconds * 1000);
  const idTokens = new IdTokens(keys, clock, config.issuer, config.idTokenTtlSeconds, secrets.deriveKey('psuid'));
  const limits: Limits = { ...LIMITS, ...config.limits };
  const users = new Users(storage, clock);
  const pictures = new PictureUploads(storage, clock, limits.pictureUploadsPerUser);
  return {
    config,
    issuer: config.issuer,
    storage,
    clock,
    secrets,
    users,
    limits,
    signInGuard: new SignInGuard(storage, users, clock, limits),
    apps: new Apps(storage, secrets, clock, { defaultTtlSeconds: config.accessTokenTtlSeconds, maxTtlSeconds: config.maxAccessTokenTtlSeconds }),
    tokens: new TokenService(storage, clock, config.refreshTokenTtlSeconds, idTokens),
    keys,
    idTokens,
    audit: new AuditLog(storage, clock),
    pictures,
    close: async () => {
      await pictures.close();
      await storage.close();
    },
  };
}
