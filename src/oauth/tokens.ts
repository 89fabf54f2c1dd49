/**
 * Minting and resolving tokens. Tokens are opaque random strings (256 bits)
 * with a recognisable prefix so secret scanners find leaked ones (docs/protocol.md §4);
 * only a hash is stored (`tokenKey`).
 */
import { randomHex, randomToken, sha256Hex, type SecretHash } from '../crypto/random.js';
import type { AppRecord, Storage, TokenRecord, TokenType, TokenWithOwners } from '../storage/storage.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { IdTokens } from '../oidc/id-token.js';
import type { JwtAccessTokens } from '../resources/jwt-access-token.js';
import type { ResourceServerRecord } from '../storage/resource-store.js';
import type { ClientId, Clock, Millis, UserId } from '../types.js';
import { InvalidGrant } from './errors.js';
import { isBrowserApp, SPA_REFRESH_TTL_SECONDS } from '../apps/platforms.js';

export const ACCESS_TOKEN_PREFIX = 'gate_at_';
export const REFRESH_TOKEN_PREFIX = 'gate_rt_';
/** docs/protocol.md §4: at most this many device-bound tokens per user and app. */
export const MAX_DEVICE_TOKENS = 30;

export interface TokenResponse {
  access_token: string;
  /** `DPoP` when the access token is bound to a key (RFC 9449 §5). */
  token_type: 'bearer' | 'DPoP';
  expires_in: number;
  refresh_token?: string;
  scope: string;
  /** When `openid` was granted to a user (OIDC Core §3.1.3.3). */
  id_token?: string;
}

export interface IssueOptions {
  app: AppRecord;
  userId: UserId | null;
  scopes: string[];
  familyId?: string;
  deviceId?: string | null;
  deviceName?: string | null;
  authTime?: Millis | null;
  /** How the user signed in (RFC 8176), for id_tokens now and after refreshes. */
  amr?: string[];
  /** Mint a refresh token too. */
  withRefresh: boolean;
  /** Return this refresh token instead of minting one (confidential clients keep theirs, docs/protocol.md §4). */
  reuseRefreshToken?: string;
  /** Refresh-token expiry to keep when rotating (the family does not live longer by refreshing). */
  refreshExpiresAt?: Millis;
  /** Scopes of a new refresh token when the access token is narrowed: a rotated one keeps the original scope (RFC 6749 §6). */
  refreshScopes?: string[];
  isDebug?: boolean;
  /** OIDC nonce of the authorization request; only the code flow's first id_token carries it. */
  nonce?: string | null;
  /**
   * The revocation generation of what the tokens descend from (the code, the
   * device code, the refresh token), read before it was checked; absent: the
   * app's for its own tokens, else the current one (`RevocationScope`).
   */
  generation?: number;
  /**
   * The resource server the access token is for (RFC 8707): its audience. A
   * JWT (RFC 9068) when the resource server asked for JWTs. Absent: an opaque
   * token for Gatehouse's own APIs, as always.
   */
  resource?: ResourceServerRecord | null;
  /** The resources a new refresh token may get access tokens for (its authorization's); empty: any registered one. */
  reach?: string[];
  /**
   * Bind the tokens to this DPoP key thumbprint (RFC 9449): the access token
   * always, the refresh token of a public client too (§5: a confidential
   * client's refresh token is bound by its client authentication).
   */
  jkt?: string | null;
}

/** The longest access token Gatehouse issues or looks up: an RFC 9068 JWT with long scopes stays well under it. */
export const MAX_TOKEN_LENGTH = 4096;

/** Who is issuing, for the `token_issued` entry written with the tokens. */
export interface IssueAudit {
  log: AuditLog;
  clientId: ClientId;
  ip: string;
  /** `details.grant`: client_credentials, refresh_token, authorization_code, device_code. */
  grant: string;
}

/** Milliseconds as 12 hex digits, which sort as the times do (until the year 10889). */
const hexTime = (now: number) => Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);

/**
 * A token family's id: 32 hex digits, the first 12 the milliseconds since 1970 and the rest 80 random bits.
 * Ids made later sort later, so each grant's insert into the family index lands on the index's last
 * page, which is already in memory and written out once per group commit, instead of on a random page of
 * it (on SQLite about 15 µs less per grant; on PostgreSQL at ten million tokens, a page that needn't be
 * read from disk). The id is not a secret: it names a family to its owner (revoking a debug token), and
 * the time it carries is the family's creation, which the owner is shown anyway.
 */
export function newFamilyId(now: number = Date.now()): string {
  return hexTime(now) + randomHex(10);
}

/** An opaque token as minted since 2026-12-07: prefix, the time it was issued (12 hex digits), 256 random bits. */
const STAMPED = /^gate_(?:at|rt)_([0-9a-f]{12})[A-Za-z0-9_-]{43}$/;
/** Where a stamped token's key begins: after every bare SHA-256 (hex digits only), so the two forms never mix. */
const STAMPED_KEY = 't';
/** Where the hash begins in a stamped token's key: after `t` and the 12 digits of time. */
const STAMPED_HASH_AT = STAMPED_KEY.length + 12;

/**
 * A new opaque token: `prefix`, the time it is issued as 12 hex digits, and
 * 256 random bits (43 base64url characters). The time is no secret: whoever
 * holds the token can read it, as the id of its family (`newFamilyId`); it is
 * there for the token's key (`tokenKey`).
 */
export function newOpaqueToken(prefix: typeof ACCESS_TOKEN_PREFIX | typeof REFRESH_TOKEN_PREFIX, now: number): string {
  return prefix + hexTime(now) + randomToken(32);
}

/**
 * What a token is stored and looked up under. A token minted by
 * `newOpaqueToken`: `t`, its issue time, and its SHA-256 (hex) less as many
 * digits (64 characters, 204 bits of the hash). Any other (one minted before
 * that form, a JWT access token): its bare SHA-256.
 *
 * The time first puts each new key at the end of the index on it, beside the
 * keys issued just before. A bare hash lands on a random page of that index:
 * every grant then wrote one more page of it to SQLite's log (most of the
 * bytes a grant wrote, synced and checkpointed) or PostgreSQL's, and the
 * grants of one commit shared none (docs/benchmarks.md, "Keys in the order
 * tokens are issued"). Only the hash depends on the token's random part, so
 * the stored key yields nothing usable, as before.
 */
export function tokenKey(raw: string): SecretHash {
  const stamp = STAMPED.exec(raw)?.[1];
  const hash = sha256Hex(raw);
  return (stamp === undefined ? hash : STAMPED_KEY + stamp + hash.slice(STAMPED_HASH_AT)) as SecretHash;
}

/**
 * A short handle of a stored token for people and the management API: 16
 * digits of its hash (not of its issue time, which tokens issued together
 * share).
 */
export function tokenHandle(key: string): string {
  return key.startsWith(STAMPED_KEY) ? key.slice(STAMPED_HASH_AT, STAMPED_HASH_AT + 16) : key.slice(0, 16);
}

export class TokenService {
  private audit: IssueAudit | null = null;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly refreshTtlSeconds: number,
    private readonly idTokens: IdTokens,
    private readonly jwtAccessTokens?: JwtAccessTokens,
  ) {}

  /**
   * This service for one request: every issue also writes a `token_issued`
   * audit entry in the same write as the tokens (nothing is read back to
   * describe them), and a `token_revoked` one when a revocation raced it.
   */
  audited(audit: IssueAudit): TokenService {
    const service = Object.create(this) as TokenService;
    service.audit = audit;
    return service;
  }

  async issue(o: IssueOptions): Promise<TokenResponse> {
    const now = this.clock();
    const familyId = o.familyId ?? newFamilyId(now);
    // A client_credentials token's authorization is the app record it was checked against.
    const generation = o.generation ?? (o.userId === null ? o.app.generation : undefined);
    // Each record written out whole: a spread of shared fields followed by more made a slow object every time.
    const record = (type: TokenType, hash: SecretHash, scopes: string[], expiresAt: Millis, resources: string[], jkt: string | null): TokenRecord => ({
      hash, type, clientId: o.app.clientId, userId: o.userId, scopes, familyId, deviceId: o.deviceId ?? null, deviceName: o.deviceName ?? null,
      isDebug: o.isDebug ?? false, authTime: o.authTime ?? null, amr: o.amr ?? [], createdAt: now, expiresAt, revokedAt: null, rotatedAt: null,
      jkt, resources, generation,
    });
    const ttl = o.app.accessTokenTtlSeconds;
    const resource = o.resource ?? null;
    const jkt = o.jkt ?? null;
    const accessExpiresAt = now + ttl * 1000;
    const accessToken = resource?.jwt && this.jwtAccessTokens
      ? await this.jwtAccessTokens.sign({ app: o.app, userId: o.userId, scopes: o.scopes, resource, issuedAt: now, expiresAt: accessExpiresAt, authTime: o.authTime ?? null, amr: o.amr ?? [], jkt })
      : newOpaqueToken(ACCESS_TOKEN_PREFIX, now);
    const records: TokenRecord[] = [record('access', tokenKey(accessToken), o.scopes, accessExpiresAt, resource ? [resource.uri] : [], jkt)];
    let refreshToken: string | undefined = o.reuseRefreshToken;
    if (o.withRefresh && refreshToken === undefined) {
      refreshToken = newOpaqueToken(REFRESH_TOKEN_PREFIX, now);
      const lifetime = isBrowserApp(o.app) ? Math.min(this.refreshTtlSeconds, SPA_REFRESH_TTL_SECONDS) : Math.max(this.refreshTtlSeconds, ttl * 2);
      const expiresAt = o.refreshExpiresAt ?? now + lifetime * 1000;
      records.push(record('refresh', tokenKey(refreshToken), o.refreshScopes ?? o.scopes, expiresAt, o.reach ?? [], o.app.secretHash === null ? jkt : null));
    }
    const audit = this.audit;
    const actor = audit && { type: 'app' as const, id: audit.clientId };
    const entry = audit?.log.entry({
      action: 'token_issued', actor: actor!, userId: o.userId, ip: audit.ip,
      details: { grant: audit.grant, scopes: o.scopes, family: familyId, refresh: refreshToken !== undefined },
    });
    // Revoked while being issued (the user, the app or this grant): the tokens are dead, and not handed out.
    if ((await this.storage.saveTokens(records, { now, maxDeviceFamilies: MAX_DEVICE_TOKENS, ...(entry && { audit: entry }) })) === 'revoked') {
      await audit?.log.record({ action: 'token_revoked', actor: actor!, userId: o.userId, ip: audit.ip, details: { family: familyId, during: 'issue' } });
      throw new InvalidGrant('access was revoked while the tokens were issued');
    }
    const response: TokenResponse = { access_token: accessToken, token_type: jkt === null ? 'bearer' : 'DPoP', expires_in: ttl, scope: o.scopes.join(' ') };
    if (refreshToken !== undefined) response.refresh_token = refreshToken;
    if (o.userId !== null && o.scopes.includes('openid')) {
      response.id_token = await this.idTokens.sign({ app: o.app, userId: o.userId, nonce: o.nonce ?? null, authTime: o.authTime ?? null, amr: o.amr ?? [], accessToken });
    }
    return response;
  }

  /**
   * A usable token (of `type`, when given), or null when unknown, revoked —
   * also by a revocation of its user, app or grant after it was issued —,
   * expired, or a refresh token already exchanged. The one check /info,
   * /userinfo and /introspect make.
   */
  async resolve(raw: string, type?: TokenType): Promise<TokenRecord | null> {
    return (await this.resolveWithOwners(raw, type))?.token ?? null;
  }

  /**
   * An access token Gatehouse's own APIs (/info, /userinfo) accept: usable,
   * and not issued for another resource server (RFC 8707: its audience is
   * that server alone, RFC 9700 §4.10.1).
   */
  async resolveForOwnApis(raw: string): Promise<TokenWithOwners | null> {
    return forOwnApis(await this.resolveWithOwners(raw, 'access'));
  }

  /**
   * `resolveForOwnApis`, answered before returning where the storage can
   * (`Storage.findTokenWithOwnersNow`: SQLite, the token's owners cached);
   * undefined where it cannot, and the caller then awaits `resolveForOwnApis`.
   */
  resolveForOwnApisNow(raw: string): TokenWithOwners | null | undefined {
    if (!this.storage.answersAtOnce) return undefined;
    if (raw.length === 0 || raw.length > MAX_TOKEN_LENGTH) return null;
    const found = this.storage.findTokenWithOwnersNow(tokenKey(raw));
    return found === undefined ? undefined : forOwnApis(this.usable(found, 'access'));
  }

  /**
   * `resolve`, with the token's user and app from the same read (one
   * statement): whether they are still active is the caller's check.
   */
  async resolveWithOwners(raw: string, type?: TokenType): Promise<TokenWithOwners | null> {
    if (raw.length === 0 || raw.length > MAX_TOKEN_LENGTH) return null;
    return this.usable(await this.storage.findTokenWithOwners(tokenKey(raw)), type);
  }

  /**
   * `resolveWithOwners`, and the app `clientId` names, read in one statement
   * (`Storage.findTokenForClient`): for a client that authenticates to act on
   * a token, as introspection does.
   */
  async resolveForClient(raw: string, clientId: ClientId): Promise<{ found: TokenWithOwners | null; client: AppRecord | null }> {
    if (raw.length === 0 || raw.length > MAX_TOKEN_LENGTH) return { found: null, client: await this.storage.findApp(clientId) };
    const { found, client } = await this.storage.findTokenForClient(tokenKey(raw), clientId);
    return { found: this.usable(found), client };
  }

  /** `resolveForClient`, answered before returning, or undefined, as `resolveForOwnApisNow`. */
  resolveForClientNow(raw: string, clientId: ClientId): { found: TokenWithOwners | null; client: AppRecord | null } | undefined {
    if (!this.storage.answersAtOnce || raw.length === 0 || raw.length > MAX_TOKEN_LENGTH) return undefined;
    const read = this.storage.findTokenForClientNow(tokenKey(raw), clientId);
    return read && { found: this.usable(read.found), client: read.client };
  }

  private usable(found: TokenWithOwners | null, type?: TokenType): TokenWithOwners | null {
    if (!found) return null;
    const { token } = found;
    if ((type !== undefined && token.type !== type) || token.revokedAt !== null || token.expiresAt <= this.clock()) return null;
    if (token.type === 'refresh' && token.rotatedAt !== null) return null;
    return found;
  }
}

/** A usable access token Gatehouse's own APIs accept: one not issued for another resource server. */
function forOwnApis(found: TokenWithOwners | null): TokenWithOwners | null {
  return found && (found.token.resources ?? []).length === 0 ? found : null;
}
