/**
 * JWT access tokens (RFC 9068) for resource servers an operator marked `--jwt`:
 * signed with Gatehouse's published signing key (ES256, `kid` in the header),
 * `typ: at+jwt`, and the claims of RFC 9068 §2.2: `iss`, `sub` (the user's
 * pairwise subject for the app, as in its id_tokens and /userinfo; the
 * client_id for an app's own token), `aud` (the resource), `exp`, `iat`,
 * `jti`, `client_id`, `scope`, and `auth_time`, `acr`, `amr` when a user
 * signed in. The resource server verifies it offline against /jwks.
 *
 * The token is still stored (as its SHA-256, like every token), so revoking it
 * and introspecting it work as for opaque ones.
 */
import { acrOf } from '../accounts/authentication.js';
import { randomToken } from '../crypto/random.js';
import type { IdTokens } from '../oidc/id-token.js';
import { signJwt, type KeyStore } from '../oidc/keys.js';
import type { ResourceServerRecord } from '../storage/resource-store.js';
import type { AppRecord } from '../storage/storage.js';
import type { Millis, UserId } from '../types.js';

export interface JwtAccessTokenInput {
  app: AppRecord;
  userId: UserId | null;
  scopes: string[];
  resource: ResourceServerRecord;
  /** When it is issued: `iat`, from the same instant as `expiresAt`, so `exp - iat` is exactly its lifetime. */
  issuedAt: Millis;
  expiresAt: Millis;
  authTime?: Millis | null;
  amr?: readonly string[];
  /** The DPoP key the token is bound to (RFC 9449 §6.1: `cnf.jkt`), or null. */
  jkt?: string | null;
}

export class JwtAccessTokens {
  constructor(
    private readonly keys: KeyStore,
    private readonly idTokens: IdTokens,
    private readonly issuer: string,
  ) {}

  async sign(input: JwtAccessTokenInput): Promise<string> {
    const key = await this.keys.signingKey('ES256');
    const now = Math.floor(input.issuedAt / 1000);
    const claims: Record<string, unknown> = { client_id: input.app.clientId, scope: input.scopes.join(' ') };
    if (input.jkt) claims.cnf = { jkt: input.jkt };
    if (input.userId !== null) {
      if (input.authTime) claims.auth_time = Math.floor(input.authTime / 1000);
      const acr = acrOf(input.amr ?? []);
      if (acr !== null) Object.assign(claims, { acr, amr: [...input.amr!] });
    }
    return signJwt(key, 'at+jwt', {
      ...claims, iss: this.issuer, sub: input.userId === null ? input.app.clientId : this.idTokens.subject(input.app, input.userId),
      aud: input.resource.uri, iat: now, exp: Math.floor(input.expiresAt / 1000), jti: randomToken(16),
    });
  }
}
