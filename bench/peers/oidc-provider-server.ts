/**
 * node-oidc-provider (panva/node-oidc-provider) configured the way its users
 * run it, as the peer Gatehouse is measured against: one confidential client,
 * introspection and client credentials switched on, ES256 id_tokens, and the
 * library's own in-memory adapter given a store that holds every token (its
 * default keeps only 1000 entries and would evict tokens under load).
 *
 * Tokens and codes are minted in this process through the provider's own
 * models, as an application does after its login and consent steps; the
 * benchmark asks for them over the IPC channel.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import MemoryAdapter, { setStorage } from 'oidc-provider/lib/adapters/memory_adapter.js';

export interface MintRequest {
  id: number;
  kind: 'access' | 'refresh' | 'code';
  count: number;
}

export interface MintReply {
  id: number;
  values?: string[];
  error?: string;
}

/** A Map that ignores the LRU's expiry argument: nothing is evicted during a run. */
class HoldEverything<K, V> extends Map<K, V> {
  override set(key: K, value: V): this {
    return super.set(key, value);
  }
}
setStorage(new HoldEverything());

const ACCOUNT = {
  sub: '100000000000001',
  name: 'Bench User',
  given_name: 'Bench',
  family_name: 'User',
  preferred_username: 'bench',
  email: 'bench@example.org',
  email_verified: true,
};
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = randomBytes(32).toString('hex');
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const SCOPE = 'openid profile email offline_access';

const signingKey = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const server = createServer();
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
  },
  async findAccount(_ctx: unknown, sub: string) {
    if (sub !== ACCOUNT.sub) return undefined;
    return { accountId: sub, claims: async () => ACCOUNT };
  },
  ttl: { AccessToken: 3600, AuthorizationCode: 600, ClientCredentials: 600, IdToken: 3600, RefreshToken: 14 * 86400, Grant: 14 * 86400 },
});
provider.on('server_error', (_ctx: unknown, err: Error) => process.stderr.write(`oidc-provider server_error: ${err.stack ?? err.message}\n`));
server.on('request', provider.callback());

const client = await provider.Client.find(CLIENT_ID);

async function newGrant(): Promise<string> {
  const grant = new provider.Grant({ accountId: ACCOUNT.sub, clientId: CLIENT_ID });
  grant.addOIDCScope(SCOPE);
  return grant.save();
}

/** One value of `kind`, as the provider itself would issue it after login and consent. */
async function mintOne(kind: MintRequest['kind'], grantId: string): Promise<string> {
  const common = { accountId: ACCOUNT.sub, client, grantId, scope: SCOPE };
  if (kind === 'access') return new provider.AccessToken({ ...common, gty: 'authorization_code' }).save();
  if (kind === 'refresh') return new provider.RefreshToken({ ...common, gty: 'authorization_code', rotations: 0, authTime: Math.floor(Date.now() / 1000) }).save();
  return new provider.AuthorizationCode({ ...common, redirectUri: REDIRECT_URI, authTime: Math.floor(Date.now() / 1000) }).save();
}

process.on('message', (message: MintRequest) => {
  void (async () => {
    try {
      const values: string[] = [];
      // Tokens of one kind share a grant (one user's consent to one app); each code has its own.
      let grantId = await newGrant();
      for (let i = 0; i < message.count; i++) {
        if (message.kind === 'code') grantId = await newGrant();
        values.push(await mintOne(message.kind, grantId));
      }
      process.send!({ id: message.id, values } satisfies MintReply);
    } catch (err) {
      process.send!({ id: message.id, error: (err as Error).stack ?? String(err) } satisfies MintReply);
    }
  })();
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.stdout.write(`${JSON.stringify({ ready: true, port, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI })}\n`);
