/** What every grant handler receives and returns (one grant, one module). */
import type { AuditLog } from '../../audit/audit-log.js';
import type { AppRecord, Storage, TokenWithOwners } from '../../storage/storage.js';
import type { Limits } from '../attempts.js';
import type { Clock } from '../../types.js';
import type { ClientAssertions } from '../client-assertion.js';
import type { AuthenticatedClient } from '../client-auth.js';
import type { TokenResponse, TokenService } from '../tokens.js';

export interface GrantContext {
  storage: Storage;
  tokens: TokenService;
  clock: Clock;
  issuer: string;
  /** Abuse limits; the defaults of `LIMITS` when absent. */
  limits?: Limits;
  /** Where token issuance and replays are recorded (issue 10); nothing is recorded when absent. */
  audit?: AuditLog;
  /** Checks `private_key_jwt` and `client_secret_jwt` assertions; without it they are refused. */
  clientAssertions?: ClientAssertions;
}

/** Facts about the HTTP request a grant may need (guessing limits count per address). */
export interface RequestMeta {
  ip: string;
  /** The thumbprint of the key of the request's checked DPoP proof (RFC 9449); null or absent without one. */
  dpopJkt?: string | null;
  /** Told the authenticated client before its grant runs (the HTTP layer's CORS rule depends on it). */
  onClient?: (app: AppRecord) => void;
  /**
   * The presented refresh token's row, asked for while the client was being
   * authenticated (token-endpoint.ts); awaited only once it is.
   */
  refreshToken?: Promise<TokenWithOwners | null>;
}

/** The token request's form parameters, each at most once (RFC 6749 §3.2). */
export type TokenParams = Readonly<Record<string, string | undefined>>;

export type GrantHandler = (ctx: GrantContext, client: AuthenticatedClient, params: TokenParams, meta: RequestMeta) => Promise<TokenResponse>;
