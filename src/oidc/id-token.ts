/**
 * id_tokens (OpenID Connect Core §2, §3.1.3.6, §3.2.2.10): ES256 by default
 * or RS256 per app, `kid` in every header, signed by `signJwt` (keys.ts).
 */
import { createHash } from 'node:crypto';
import { acrOf } from '../accounts/authentication.js';
import { psuid } from '../info/login-info.js';
import type { AppRecord } from '../storage/storage.js';
import type { Clock, Millis, UserId } from '../types.js';
import { signJwt, type KeyStore } from './keys.js';

/** `at_hash` / `c_hash`: left half of the SHA-256 of the value (ES256 and RS256 both use SHA-256), base64url. */
export function halfHash(value: string): string {
  const digest = createHash('sha256').update(value).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IdTokenInput {
  app: AppRecord;
  userId: UserId;
  nonce?: string | null;
  authTime?: Millis | null;
  /** How the user signed in: the `amr` claim, and the `acr` derived from it. */
  amr?: readonly string[];
  /** The access token issued alongside: adds `at_hash`. */
  accessToken?: string;
  /** The code issued alongside (hybrid flows): adds `c_hash`. */
  code?: string;
}

export class IdTokens {
  constructor(
    private readonly keys: KeyStore,
    private readonly clock: Clock,
    private readonly issuer: string,
    private readonly ttlSeconds: number,
    private readonly subjectKey: Buffer,
  ) {}

  /** The pairwise subject of a user for an app: the same value as `psuid` in /info. */
  subject(app: Pick<AppRecord, 'clientId'>, userId: UserId): string {
    return psuid(this.subjectKey, app, { id: userId });
  }

  async sign(input: IdTokenInput): Promise<string> {
    const key = await this.keys.signingKey(input.app.idTokenAlg);
    const now = Math.floor(this.clock() / 1000);
    // Built in place, in the order the token shows them (not spread into another object: a slow copy at every grant).
    const claims: Record<string, unknown> = {};
    if (input.nonce) claims.nonce = input.nonce;
    if (input.authTime) claims.auth_time = Math.floor(input.authTime / 1000);
    const acr = acrOf(input.amr ?? []);
    if (acr !== null) {
      claims.amr = [...input.amr!];
      claims.acr = acr;
    }
    if (input.accessToken) claims.at_hash = halfHash(input.accessToken);
    if (input.code) claims.c_hash = halfHash(input.code);
    claims.iss = this.issuer;
    claims.sub = this.subject(input.app, input.userId);
    claims.aud = input.app.clientId;
    claims.iat = now;
    claims.exp = now + this.ttlSeconds;
    return signJwt(key, 'JWT', claims);
  }
}
