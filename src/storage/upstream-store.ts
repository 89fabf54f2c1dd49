/**
 * What sign-in through other identity providers needs kept (src/upstreams/):
 * the upstreams an operator configured, which upstream account belongs to
 * which user, and the sign-ins under way at an upstream.
 *
 * The same rules as the rest of storage (storage.ts): states arrive as
 * SHA-256 hashes, times are milliseconds passed in by the caller, and the
 * verbs marked *atomic* have exactly one winner among concurrent callers.
 */
import type { SecretHash } from '../crypto/random.js';
import type { Millis, UserId } from '../types.js';
import type { ConsumeResult } from './storage.js';

/** `oidc`: any OpenID Connect provider (discovery); `yandex`, `github`: OAuth 2.0 providers with a built-in profile mapping. */
export type UpstreamKind = 'oidc' | 'yandex' | 'github';

export interface UpstreamRecord {
  /** A slug: it names the upstream in its redirect URI (`/upstream/{name}/callback`). */
  name: string;
  /** What the sign-in page says: "Continue with {displayName}". */
  displayName: string;
  kind: UpstreamKind;
  /** The provider's issuer identifier (OpenID Connect discovery; `iss` of RFC 9207). */
  issuer: string;
  clientId: string;
  /** The client secret, sealed with the server key (src/crypto/secret-box.ts). */
  clientSecretSealed: string;
  /** Space-separated. */
  scope: string;
  /** Override the preset's or the discovered endpoints; null to keep them. */
  authorizationEndpoint: string | null;
  tokenEndpoint: string | null;
  userinfoEndpoint: string | null;
  /** An identity may be linked to the account that has the address, when the upstream says it verified it. */
  linkVerifiedEmail: boolean;
  createdAt: Millis;
  updatedAt: Millis;
}

/** One upstream account linked to one Gatehouse account. */
export interface UpstreamIdentityRecord {
  upstream: string;
  /** The upstream's id of its user (`sub`, Yandex's `id`, GitHub's numeric id). */
  subject: string;
  userId: UserId;
  /** The address the upstream gave when it was linked, to tell identities apart on /account. */
  email: string | null;
  createdAt: Millis;
  lastUsedAt: Millis | null;
}

/** `callback`: a sign-in or link at an upstream, awaiting its answer; `register`: a profile waiting for its new account's login. */
export type UpstreamStatePurpose = 'callback' | 'register';

export interface UpstreamStateRecord {
  /** SHA-256 of the `state` (or of the registration's cookie). */
  hash: SecretHash;
  /** SHA-256 of the cookie of the browser it was issued to: another browser cannot use it. */
  browser: SecretHash;
  upstream: string;
  purpose: UpstreamStatePurpose;
  /** What the callback needs (PKCE verifier, nonce, where to go), sealed with the server key. */
  payloadSealed: string;
  createdAt: Millis;
  expiresAt: Millis;
  consumedAt: Millis | null;
}

export interface UpstreamStore {
  /** False, storing nothing, when an upstream of that name exists. */
  createUpstream(upstream: UpstreamRecord): Promise<boolean>;
  findUpstream(name: string): Promise<UpstreamRecord | null>;
  /** By name. */
  listUpstreams(): Promise<UpstreamRecord[]>;
  /** False when there is no such upstream. */
  updateUpstream(name: string, patch: Partial<Omit<UpstreamRecord, 'name' | 'createdAt'>>): Promise<boolean>;
  /** Removes the upstream, its linked identities and its sign-ins under way. False when there is none. */
  deleteUpstream(name: string): Promise<boolean>;

  /** *Atomic*: false, storing nothing, when this upstream account is linked already (to anyone). */
  linkIdentity(identity: UpstreamIdentityRecord): Promise<boolean>;
  findIdentity(upstream: string, subject: string): Promise<UpstreamIdentityRecord | null>;
  /** A user's linked identities, oldest first. */
  listIdentities(userId: UserId): Promise<UpstreamIdentityRecord[]>;
  recordIdentityUse(upstream: string, subject: string, at: Millis): Promise<void>;
  /** False when the user has no such identity. */
  unlinkIdentity(userId: UserId, upstream: string, subject: string): Promise<boolean>;

  createUpstreamState(state: UpstreamStateRecord): Promise<void>;
  /** A state issued to this browser for this upstream and purpose, unused and unexpired; null otherwise. Changes nothing. */
  findUpstreamState(hash: SecretHash, browser: SecretHash, upstream: string, purpose: UpstreamStatePurpose, now: Millis): Promise<UpstreamStateRecord | null>;
  /**
   * *Atomic*: uses a state issued to this browser for this upstream and
   * purpose; exactly one caller gets `consumed`. An expired state, or one
   * issued to another browser, upstream or purpose, is `not_found`.
   */
  consumeUpstreamState(hash: SecretHash, browser: SecretHash, upstream: string, purpose: UpstreamStatePurpose, now: Millis): Promise<ConsumeResult<UpstreamStateRecord>>;
  /** Deletes states past expiry. Returns rows deleted. */
  deleteExpiredUpstreamStates(now: Millis): Promise<number>;
}
