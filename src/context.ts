/**
 * Wiring: builds every service from a configuration, in one visible place.
 * The server, the CLI and the tests all start here.
 */
import { Users } from './accounts/users.js';
import { Apps } from './apps/apps.js';
import type { Config } from './config.js';
import { SecretBox } from './crypto/secret-box.js';
import type { GrantContext } from './oauth/grants/grant.js';
import { TokenService } from './oauth/tokens.js';
import { ensureSigningKeys } from './oidc/keys.js';
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
  close(): Promise<void>;
}

export async function createContext(config: Config, options: { clock?: Clock } = {}): Promise<Context> {
  const clock = options.clock ?? systemClock;
  const secrets = SecretBox.fromDataDir(config.dataDir);
  const storage = await openStorage(config);
  await ensureSigningKeys(storage, secrets, clock);
  return {
    config,
    issuer: config.issuer,
    storage,
    clock,
    secrets,
    users: new Users(storage, clock),
    apps: new Apps(storage, secrets, clock, { defaultTtlSeconds: config.accessTokenTtlSeconds, maxTtlSeconds: config.maxAccessTokenTtlSeconds }),
    tokens: new TokenService(storage, clock, config.refreshTokenTtlSeconds),
    close: () => storage.close(),
  };
}
