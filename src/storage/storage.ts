/**
 * The storage contract: every piece of state Gatehouse keeps, named by what the
 * protocol needs. One implementation over SQL (`sql/`) serves SQLite and, later,
 * PostgreSQL; the contract test suite (`test/storage/`) runs against each.
 *
 * Rules every implementation keeps:
 * - secrets (codes, tokens, session ids) arrive already hashed; nothing here sees them;
 * - the verbs marked *atomic* have exactly one winner among concurrent callers,
 *   also across processes sharing one database;
 * - times are milliseconds since the epoch, passed in by the caller (so tests
 *   control the clock).
 */
import type { SecretHash } from '../crypto/random.js';
import type { ClientId, Millis, UserId } from '../types.js';
import type { MailStore } from './mail-store.js';
import type { WebhookEventRecord, WebhookStore } from './webhook-store.js';
import type { IdempotencyStore } from './idempotency-store.js';
import type { SettingsStore } from './settings-store.js';
import type { TwoStepStore } from './two-step-store.js';
import type { PasskeyStore } from './passkey-store.js';
import type { UpstreamStore } from './upstream-store.js';
import type { ClientStore } from './client-store.js';
import type { ResourceStore } from './resource-store.js';
import type { ProofStore } from './proof-store.js';

export type Sex = 'male' | 'female';

export interface UserRecord {
  id: UserId;
  /** Unique, compared case-insensitively (stored lowercased). */
  login: string;
  passwordHash: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  sex: Sex | null;
  /** `YYYY-MM-DD`, unknown parts as zeros (docs/protocol.md §1). */
  birthday: string | null;
  emails: string[];
  defaultEmail: string | null;
  /**
   * The addresses of `emails` someone proved (a confirmation link) or an
   * operator vouched for, lowercased. Only these are released to apps
   * (src/accounts/addresses.ts).
   */
  confirmedEmails: string[];
  /** E.164. */
  defaultPhone: string | null;
  /** The number an operator marked confirmed; `defaultPhone` is released only while it equals this. */
  confirmedPhone: string | null;
  avatarId: string | null;
  isDeveloper: boolean;
  isAdmin: boolean;
  status: 'active' | 'blocked';
  createdAt: Millis;
  updatedAt: Millis;
}

/** `spa`: a browser app (a single-page app with no backend), a public client (src/apps/platforms.ts). */
export type PlatformType = 'web' | 'spa' | 'ios' | 'android' | 'desktop' | 'tv';

export interface Platform {
  type: PlatformType;
  /** iOS: team prefix + bundle id. */
  appId?: string;
  /** Android: package name. */
  packageName?: string;
  /** Android: SHA-256 signing certificate fingerprints. */
  sha256Fingerprints?: string[];
  /** App Store or Google Play URL. */
  storeUrl?: string;
}

export type AppStatus = 'active' | 'blocked' | 'pending';
/** Who blocked an app: an operator's block is lifted only by an operator; the owner's by either. */
export type AppBlocker = 'operator' | 'owner';
export type IdTokenAlg = 'ES256' | 'RS256';
/**
 * How an app authenticates where clients authenticate (/token, /revoke,
 * /introspect, /device/code), named as RFC 7591 §2 and OIDC Core §9 name
 * them. `client_secret_basic` and `client_secret_post` accept the secret
 * either way (as Gatehouse always has); the others accept only themselves.
 */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';

/** A JWK Set (RFC 7517 §5): the public keys an app signs its client assertions with. */
export interface ClientJwks {
  keys: Array<Record<string, unknown>>;
}

export interface AppRecord {
  clientId: ClientId;
  /** SHA-256 of the client secret; null for public clients (no secret). */
  secretHash: SecretHash | null;
  /** The secret sealed with the server key (docs/protocol.md §6 signs `/info?format=jwt` with it). */
  secretSealed: string | null;
  name: string;
  description: string;
  iconUrl: string | null;
  ownerId: UserId | null;
  platforms: Platform[];
  redirectUris: string[];
  /** Origins allowed to embed the instant-login button and widget (docs/protocol.md §8). */
  suggestHostnames: string[];
  /** Scopes granted unless the request narrows them. */
  scopes: string[];
  /** Scopes the app may ask for, which the user may decline (`optional_scope`). */
  optionalScopes: string[];
  accessTokenTtlSeconds: number;
  /** How this app's id_tokens are signed (OIDC Dynamic Registration's `id_token_signed_response_alg`). */
  idTokenAlg: IdTokenAlg;
  /** Users must sign in with two steps (or a passkey) before this app gets anything (docs/accounts.md). */
  requireTwoStep: boolean;
  /** Where /logout may send the browser afterwards (OIDC RP-Initiated Logout §2). */
  postLogoutRedirectUris: string[];
  /**
   * Apps whose tokens this app may introspect besides its own: it is their
   * resource server (RFC 7662 §4). Set only by an operator.
   */
  introspects: ClientId[];
  status: AppStatus;
  /** Who blocked it, while it is blocked; null otherwise. Set by `blockApp`, cleared by `unblockApp`. */
  blockedBy: AppBlocker | null;
  /**
   * The provider's own app, as an operator marked it: only such apps are listed
   * in the issuer host's app-link files and `webcredentials`. Never set from
   * the developer console.
   */
  firstParty: boolean;
  /** How the app authenticates (src/oauth/client-auth.ts). */
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Its public keys for `private_key_jwt`, given inline … */
  jwks: ClientJwks | null;
  /** … or where to fetch them (https; src/oauth/client-jwks.ts). */
  jwksUri: string | null;
  /**
   * SHA-256 of the registration access token of an app that registered itself
   * (RFC 7591, 7592); null for apps registered by developers and operators.
   */
  registrationTokenHash: SecretHash | null;
  /** Tokens are issued only bound to a DPoP key (RFC 9449): /token refuses requests without a proof. */
  requireDpop: boolean;
  /** Authorization requests must be pushed to /par first (RFC 9126 §5). */
  requirePar: boolean;
  createdAt: Millis;
  updatedAt: Millis;
  /** The app's revocation generation as read (see `RevocationScope`); storage fills it, nobody sets it. */
  generation?: number;
}

export interface SessionRecord {
  hash: SecretHash;
  userId: UserId;
  /** When the user last typed their password (OIDC `auth_time`). */
  authTime: Millis;
  /** How the user proved who they are (RFC 8176 `amr` values: pwd, otp, hwk, swk, user, mfa); the id_token's `amr` and `acr`. */
  amr: string[];
  createdAt: Millis;
  /** When a request last used it, to within a minute (src/http/session.ts): the idle timeout counts from here. */
  lastSeenAt: Millis;
  /** The earlier of the idle expiry (last use + idle timeout) and the absolute one (sign-in + lifetime). */
  expiresAt: Millis;
  userAgent: string | null;
  ip: string | null;
}

export interface ConsentRecord {
  userId: UserId;
  clientId: ClientId;
  scopes: string[];
  createdAt: Millis;
  updatedAt: Millis;
}

/** Where the user sees a code: the app's redirect URI, or Gatehouse's own page (docs/protocol.md §5.2). */
export type CodeKind = 'redirect' | 'verification';

export interface AuthCodeRecord {
  hash: SecretHash;
  kind: CodeKind;
  clientId: ClientId;
  userId: UserId;
  /** Where the code was delivered (the redirect_uri sent to /authorize, or the app's only one); null in codes issued before this was recorded. */
  redirectUri: string | null;
  scopes: string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
  nonce: string | null;
  deviceId: string | null;
  deviceName: string | null;
  authTime: Millis;
  /** The session's `amr` when the code was issued; empty in codes issued before this was recorded. */
  amr: string[];
  /** Tokens issued from this code carry the same family, so a replayed code revokes them (RFC 9700 §4.5). */
  familyId: string;
  createdAt: Millis;
  expiresAt: Millis;
  consumedAt: Millis | null;
  /** The revocation generation it was issued under (see `RevocationScope`); absent when created: the current one. */
  generation?: number;
  /** The resource URIs the authorization request named (RFC 8707); empty when it named none. */
  resources?: string[];
}

export type TokenType = 'access' | 'refresh';

export interface TokenRecord {
  hash: SecretHash;
  type: TokenType;
  clientId: ClientId;
  /** Null for client_credentials tokens (the app acting for itself). */
  userId: UserId | null;
  scopes: string[];
  /** One authorization's tokens: revoking the family revokes every token descended from it. */
  familyId: string;
  deviceId: string | null;
  deviceName: string | null;
  /** Issued for development without a code exchange (docs/protocol.md §5.3). */
  isDebug: boolean;
  authTime: Millis | null;
  /** The sign-in's `amr`, carried through refreshes for the id_token; empty when there was no sign-in (debug, client_credentials). */
  amr: string[];
  createdAt: Millis;
  expiresAt: Millis;
  revokedAt: Millis | null;
  /** Refresh tokens of public clients: when this one was exchanged for a new one. */
  rotatedAt: Millis | null;
  /** The JWK SHA-256 thumbprint of the DPoP key the token is bound to (`cnf.jkt`, RFC 9449 §6); null for a bearer token. */
  jkt: string | null;
  /**
   * The revocation generation of the authorization it descends from (its
   * code's, device code's or refresh token's; see `RevocationScope`); absent
   * when saved: the current one.
   */
  generation?: number;
  /**
   * RFC 8707: an access token's audience (the one resource server it is for),
   * a refresh token's reach (the resources its grant may get tokens for).
   * Empty (or absent) for tokens issued without `resource`.
   */
  resources?: string[];
}

/** A token and the records it depends on, read together (`findTokenWithOwners`). */
export interface TokenWithOwners {
  token: TokenRecord;
  user: UserRecord | null;
  app: AppRecord | null;
}

/** A token with its owners, and the app a client named, read together (`findTokenForClient`). */
export interface TokenForClient {
  /** Null when there is no such token. */
  found: TokenWithOwners | null;
  /** The app the client named; null when there is none. */
  client: AppRecord | null;
}

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  /** Private JWK, sealed with the server key. */
  privateJwkSealed: string;
  publicJwk: string;
  createdAt: Millis;
  /**
   * From when it signs. A rotated-in key is published at /jwks first and signs
   * only once relying parties' cached key sets have had time to pick it up
   * (staged rotation, src/oidc/keys.ts).
   */
  activatesAt: Millis;
  /**
   * From when it no longer signs (the next key's `activatesAt`, so possibly in
   * the future); still published until tokens it signed expire. Null for the
   * one open key per algorithm: the one signing now, or the next one.
   */
  retiredAt: Millis | null;
}

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied';

export interface DeviceCodeRecord {
  /** SHA-256 of the device_code the app polls with. */
  hash: SecretHash;
  /** SHA-256 of the normalised user code the person types on /device. */
  userCodeHash: SecretHash;
  clientId: ClientId;
  scopes: string[];
  optionalScopes: string[];
  deviceId: string | null;
  deviceName: string | null;
  status: DeviceCodeStatus;
  /** Set when the user decides. */
  userId: UserId | null;
  grantedScopes: string[] | null;
  authTime: Millis | null;
  /** The approving session's `amr`; empty until the user decides. */
  amr: string[];
  /** Minimum seconds between polls; grows by 5 on every `slow_down` (RFC 8628 §3.5). */
  intervalSeconds: number;
  lastPolledAt: Millis | null;
  familyId: string;
  createdAt: Millis;
  expiresAt: Millis;
  consumedAt: Millis | null;
  /** The revocation generation when the user decided (see `RevocationScope`). */
  generation?: number;
}

export interface DeviceDecision {
  approved: boolean;
  userId: UserId;
  grantedScopes: string[];
  authTime: Millis;
  amr: string[];
}

export interface PollResult {
  record: DeviceCodeRecord;
  /** This poll came sooner than the interval allowed; the interval has grown by 5 s. */
  slowDown: boolean;
}

/**
 * A personalisation grant of the instant-login frames (docs/protocol.md §8): lets
 * Gatehouse's frame on one site show who is signed in, where the browser sends
 * the frame no Gatehouse cookie. Narrow: one user, one app, one site; it
 * reveals the user's name to Gatehouse's own frame and nothing to the site.
 */
export interface SuggestGrantRecord {
  /** SHA-256 of the grant the frame keeps. */
  hash: SecretHash;
  userId: UserId;
  clientId: ClientId;
  /** The site (a suggest hostname of the app) whose pages may show it. */
  origin: string;
  /** The session it was made from: signing out ends the grant. */
  sessionHash: SecretHash;
  createdAt: Millis;
  expiresAt: Millis;
}

/** Who did something recorded in the audit log. */
export type AuditActorType = 'user' | 'app' | 'operator' | 'anonymous';

/**
 * One line of the audit log (issue 10): who (`actor`), what (`action`,
 * `outcome`, `details`), when (`at`), from where (`ip`), and which user and
 * app it concerns. Never holds a secret, token, code or password.
 */
export interface AuditEntry {
  /** Time-ordered and unique; assigned by storage. */
  id: string;
  at: Millis;
  /** e.g. `sign_in`, `consent`, `token_issued`, `token_revoked`, `app_updated` (src/audit/audit-log.ts). */
  action: string;
  outcome: 'ok' | 'failed' | 'refused';
  actorType: AuditActorType;
  /** A user id, a client_id, or null for the operator's CLI and anonymous callers. */
  actorId: string | null;
  /** The user the action concerns. */
  userId: UserId | null;
  /** The app the action concerns. */
  clientId: ClientId | null;
  ip: string | null;
  /** Plain, non-secret facts: grant type, scopes, changed fields, an error code. */
  details: Record<string, string | number | boolean | null | string[]>;
  /** Present when this one entry stands for several identical events (anonymous failures, src/audit/audit-log.ts): how many, and when the last was. */
  repeated?: { count: number; lastAt: Millis };
}

/** What `Storage.appendAudit` wrote: the entry's id, and how many webhook deliveries its events got. */
export interface AppendedAudit {
  id: string;
  deliveries: number;
}

export interface AuditQuery {
  /** At most this many entries, newest first (default 100, at most 10 000). */
  limit?: number;
  userId?: UserId;
  clientId?: ClientId;
  action?: string;
  /** Only entries older than this id (paging). */
  beforeId?: string;
}

/** A picture Gatehouse serves (an avatar in one size, an app icon), drawn by src/images/pictures.ts. */
export interface ImageRecord {
  /** The avatar id (`UserRecord.avatarId`) or icon id. */
  id: string;
  /** The size name (`islands-200`, `icon`). */
  variant: string;
  contentType: string;
  data: Buffer;
  createdAt: Millis;
}

/** Which tokens `listTokens` returns; every given filter must match. */
export interface TokenQuery {
  clientId?: ClientId;
  userId?: UserId;
  type?: TokenType;
  isDebug?: boolean;
  /** Only tokens issued for a device (`device_id` set). */
  deviceBound?: boolean;
  /** Only tokens neither revoked nor expired at this time. */
  activeAt?: Millis;
  /** At most this many, newest first (default 1000). */
  limit?: number;
}

/** What the developer console shows of an app's use (docs/protocol.md §10). */
export interface AppTokenStats {
  /** Access tokens neither revoked nor expired. */
  activeTokens: number;
  /** Users holding an access or refresh token neither revoked nor expired. */
  users: number;
}

export type ConsumeResult<T> =
  | { outcome: 'consumed'; record: T }
  | { outcome: 'already_consumed'; record: T }
  | { outcome: 'not_found' };

/** `consumeCode`'s answer: the winner also learns whether the code's user is active (false: blocked or gone). */
export type CodeConsumeResult =
  | { outcome: 'consumed'; record: AuthCodeRecord; userActive: boolean }
  | Exclude<ConsumeResult<AuthCodeRecord>, { outcome: 'consumed' }>;

/**
 * Whose access a revocation ends: one user's (password change, "sign out
 * everywhere", a block), one app's (a block, new scopes), or one user's in one
 * app ("revoke access"). Each has a generation counter in storage, and every
 * token, code and device code carries the sum of its user's, app's and
 * grant's counters as they were when its authorization was checked: one whose
 * sum is behind is dead (RFC 9700 §4.14, RFC 7009 §2.1), whichever process
 * issued it and however it raced the revocation.
 */
export type RevocationScope =
  | { userId: UserId; clientId?: undefined }
  | { userId?: undefined; clientId: ClientId }
  | { userId: UserId; clientId: ClientId };

export type UserPatch = Partial<Omit<UserRecord, 'id' | 'createdAt'>>;
/** A `status` in a patch also sets `blockedBy`: `operator` for `blocked`, null otherwise (blockApp is the owner's way). */
export type AppPatch = Partial<Omit<AppRecord, 'clientId' | 'createdAt' | 'blockedBy'>>;

/** A limit's key and the length of its window. */
export interface AttemptKey {
  key: string;
  windowMs: number;
}

export interface Storage {
  // Users
  createUser(user: UserRecord): Promise<void>;
  findUserById(id: UserId): Promise<UserRecord | null>;
  findUserByLogin(login: string): Promise<UserRecord | null>;
  /**
   * Oldest first; `search` matches a part of the login, name or an email, ignoring case, or the whole id.
   * `after`: only users after this one in that order (paging by cursor, src/api/paging.ts).
   */
  listUsers(options?: { limit?: number; offset?: number; search?: string; after?: { createdAt: Millis; id: UserId } }): Promise<UserRecord[]>;
  updateUser(id: UserId, patch: UserPatch): Promise<void>;
  /** Active users who confirmed this address (ignoring case), oldest first: where a "forgot your password?" mail may go. */
  findUsersByConfirmedEmail(email: string): Promise<UserRecord[]>;
  /**
   * Erases a user in one transaction: the audit entries about them keep no
   * address and only the details `keep` returns, the mails sent to them go,
   * and so does the user row with everything that hangs on it by foreign key
   * (src/accounts/account-data.ts). Apps they owned belong to nobody after.
   */
  eraseUser(id: UserId, keep: (details: AuditEntry['details']) => AuditEntry['details']): Promise<void>;

  // Apps
  createApp(app: AppRecord): Promise<void>;
  findApp(clientId: ClientId): Promise<AppRecord | null>;
  /** Oldest first; `search` matches a part of the name, ignoring case, or the whole client_id; `after` as for listUsers. */
  listApps(options?: { ownerId?: UserId; search?: string; limit?: number; after?: { createdAt: Millis; clientId: ClientId } }): Promise<AppRecord[]>;
  updateApp(clientId: ClientId, patch: AppPatch): Promise<void>;
  /**
   * Blocks the app as `by`, in one statement: an operator's block (or one of
   * unknown origin) stays an operator's when the owner blocks too.
   */
  blockApp(clientId: ClientId, by: AppBlocker, now: Millis): Promise<void>;
  /**
   * Lifts the block if `by` may, in one statement: an operator lifts any, the
   * owner only their own. False when a block stays that `by` may not lift.
   */
  unblockApp(clientId: ClientId, by: AppBlocker, now: Millis): Promise<boolean>;
  /** Deletes an app with its tokens, codes, consents and grants (its pictures are the caller's). */
  deleteApp(clientId: ClientId): Promise<void>;

  // Sessions
  createSession(session: SessionRecord): Promise<void>;
  findSession(hash: SecretHash, now: Millis): Promise<SessionRecord | null>;
  /** Records a use of the session and its new expiry; never moves either back (another process may have written later). */
  extendSession(hash: SecretHash, lastSeenAt: Millis, expiresAt: Millis): Promise<void>;
  deleteSession(hash: SecretHash): Promise<void>;
  deleteSessionsOfUser(userId: UserId, keep?: SecretHash): Promise<void>;
  /** A user's unexpired sessions, newest first (the account page lists them). */
  listSessionsOfUser(userId: UserId, now: Millis): Promise<SessionRecord[]>;

  // Consent
  findConsent(userId: UserId, clientId: ClientId): Promise<ConsentRecord | null>;
  saveConsent(consent: ConsentRecord): Promise<void>;
  deleteConsent(userId: UserId, clientId: ClientId): Promise<void>;
  /** Every app a user consented to, oldest consent first. */
  listConsentsOfUser(userId: UserId): Promise<ConsentRecord[]>;

  // Authorization codes
  createCode(code: AuthCodeRecord): Promise<void>;
  /**
   * *Atomic*: marks the code used; exactly one caller gets `consumed`, with
   * whether the code's user is (still) active, read with it.
   */
  consumeCode(hash: SecretHash, now: Millis): Promise<CodeConsumeResult>;

  // Tokens
  /**
   * Stores tokens issued together (an access token and its refresh token).
   * When they are device-bound, the user's oldest device-bound families for
   * the same app beyond `maxDeviceFamilies` are revoked in the same transaction.
   * Checked again once stored: tokens whose family, user, app or grant was
   * revoked meanwhile (or whose user or app is blocked) are revoked at once,
   * and the answer is `revoked` when a revocation of the user, app or grant
   * did it (their holder must not be given them).
   * `audit`: an entry appended in the same write as the tokens (one commit on
   * SQLite, one statement on PostgreSQL), so issuing costs no second commit.
   */
  saveTokens(tokens: TokenRecord[], options: { now: Millis; maxDeviceFamilies: number; audit?: Omit<AuditEntry, 'id' | 'repeated'> }): Promise<'saved' | 'revoked'>;
  /** A token by hash; one whose revocation generation is behind reads as revoked (`revokedAt` set). */
  findToken(hash: SecretHash): Promise<TokenRecord | null>;
  /**
   * `findToken` with its user and app as they are in the same read: what a
   * resource request needs, in one statement. `user` is null for an app's own
   * token or a user who is gone; `app` null when the app is gone.
   */
  findTokenWithOwners(hash: SecretHash): Promise<TokenWithOwners | null>;
  /**
   * `findTokenWithOwners` and `findApp(clientId)` in one statement: what a
   * client authenticating to act on a token (introspection, a refresh) reads.
   * Its cost is the same whoever the token belongs to.
   */
  findTokenForClient(hash: SecretHash, clientId: ClientId): Promise<TokenForClient>;
  /**
   * `findTokenWithOwners`, answered before returning when the database can
   * answer without waiting (SQLite's reading connection, outside a unit) and
   * the token's user and app are in the process's cache at the row versions
   * read with the token; undefined otherwise (PostgreSQL, a unit, a record
   * not cached), and the caller then awaits `findTokenWithOwners`. The token
   * and its owners' versions are read from the database every time, as
   * there: only the wait for the answer is saved.
   */
  findTokenWithOwnersNow(hash: SecretHash): TokenWithOwners | null | undefined;
  /** Whether the two `…Now` reads ever answer (SQLite): where they never do, a caller need not prepare their arguments. */
  readonly answersAtOnce: boolean;
  /** `findTokenForClient`, answered before returning, or undefined, as `findTokenWithOwnersNow`. */
  findTokenForClientNow(hash: SecretHash, clientId: ClientId): TokenForClient | undefined;
  /** *Atomic*: retires an unrevoked refresh token by rotation; exactly one caller gets `consumed`. */
  rotateRefreshToken(hash: SecretHash, now: Millis): Promise<ConsumeResult<TokenRecord>>;
  revokeFamily(familyId: string, now: Millis): Promise<void>;
  /**
   * Ends access for good: moves the scope's revocation generation on first
   * (from then on every token, code and device code issued before is dead,
   * also one a racing request is storing), then deletes its unused
   * authorization codes and undecided or unused device codes and marks its
   * tokens revoked.
   */
  revokeAccess(scope: RevocationScope, now: Millis): Promise<void>;
  /** Tokens matching the query, newest first (the console's debug tokens, the account page's apps and devices). */
  listTokens(query: TokenQuery): Promise<TokenRecord[]>;
  appTokenStats(clientId: ClientId, now: Millis): Promise<AppTokenStats>;

  // Device authorization (RFC 8628)
  createDeviceCode(code: DeviceCodeRecord): Promise<void>;
  /** A pending, unexpired device code by the hash of its user code. */
  findPendingDeviceCode(userCodeHash: SecretHash, now: Millis): Promise<DeviceCodeRecord | null>;
  /** *Atomic*: records the user's decision on a pending, unexpired code; false if it was no longer pending. */
  decideDeviceCode(userCodeHash: SecretHash, decision: DeviceDecision, now: Millis): Promise<boolean>;
  /**
   * *Atomic*: records a poll and tells whether it came too soon, in which case
   * the interval grows by 5 seconds (RFC 8628 §3.5). Null for a code unknown
   * to this client (another client's polls never touch it).
   */
  pollDeviceCode(hash: SecretHash, clientId: ClientId, now: Millis): Promise<PollResult | null>;
  /** *Atomic*: marks an approved code used; exactly one caller gets `consumed`. */
  consumeDeviceCode(hash: SecretHash, now: Millis): Promise<ConsumeResult<DeviceCodeRecord>>;

  // Attempt counters (rate limits shared by every process on the database)
  /**
   * *Atomic*: counts one attempt under `key` in a fixed window of `windowMs`
   * and returns the count in the current window, this attempt included.
   */
  countAttempt(key: string, windowMs: number, now: Millis): Promise<number>;
  /**
   * *Atomic* over all the keys: counts one attempt under each (one request
   * limited per session and per address, say) and returns their counts in the
   * order given. Parallel requests are counted under every key in the same
   * order, so none of them can pass one limit while another passes the other.
   */
  countAttempts(attempts: readonly AttemptKey[], now: Millis): Promise<number[]>;
  /** The count in the current window without adding to it. */
  peekAttempts(key: string, windowMs: number, now: Millis): Promise<number>;
  /** Forgets every attempt counted under these keys (one statement for all of them). */
  resetAttempts(...keys: string[]): Promise<void>;
  /**
   * *Atomic*: takes back one attempt counted under `key`, never going below
   * zero. Limits count every attempt before checking it (so parallel guesses
   * cannot slip past), then forgive the ones that turned out right.
   */
  forgiveAttempt(key: string): Promise<void>;

  // Personalisation grants of the instant-login frames (docs/protocol.md §8)
  /** Stores a grant; it is deleted with its session, user or app. */
  createSuggestGrant(grant: SuggestGrantRecord): Promise<void>;
  /** An unexpired grant by its hash. */
  findSuggestGrant(hash: SecretHash, now: Millis): Promise<SuggestGrantRecord | null>;
  /** Revokes a user's grants: for one app (access revoked), or all of them. */
  deleteSuggestGrants(userId: UserId, clientId?: ClientId): Promise<void>;

  // Units of work (src/storage/sql/units.ts)
  /**
   * Runs `fn` as one unit: everything written through this storage while it
   * runs commits together when it returns, or not at all when it throws. A
   * change, its audit entry and the webhook events they cause are written in
   * one such unit, so none exists without the others after a crash. Called
   * inside a unit, `fn` joins it. Keep it short (no hashing, no network): on
   * SQLite other writers wait for it.
   */
  atomically<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `then` once the caller's unit has committed (never if it rolls back), or at once outside a unit. */
  afterCommit(then: () => void): void;
  /** Whether the caller runs in a unit. */
  inUnit(): boolean;

  // Audit log (issue 10)
  /**
   * Appends one entry; its `id` is assigned here and returned. With a
   * `repeatKey`, an entry already stored under that key is counted once more
   * instead (atomically, from any process) and its id returned.
   *
   * `events`: the webhook events the entry causes. They, and their deliveries
   * to every endpoint subscribed now, are written with the entry, atomically:
   * in one statement or one commit (src/storage/webhook-store.ts).
   * `deliveries`: how many deliveries were written (none when no enabled
   * endpoint is subscribed to the events): the sender is woken only for them.
   */
  appendAudit(entry: Omit<AuditEntry, 'id' | 'repeated'>, repeatKey?: string, events?: readonly WebhookEventRecord[]): Promise<AppendedAudit>;
  /** Entries matching every given filter, newest first. */
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;

  // Pictures (avatars, app icons)
  /** Stores the sizes of one picture, replacing any of the same id and size. */
  saveImages(images: ImageRecord[]): Promise<void>;
  findImage(id: string, variant: string): Promise<ImageRecord | null>;
  /** Deletes every size of a picture. */
  deleteImages(id: string): Promise<void>;

  /** Mail: the outbox and the single-use links mails carry (src/storage/mail-store.ts). */
  readonly mail: MailStore;
  /** Two-step sign-in: authenticator-app secrets and recovery codes (src/storage/two-step-store.ts). */
  readonly twoStep: TwoStepStore;
  /** Passkeys and security keys, and the WebAuthn challenges of their ceremonies (src/storage/passkey-store.ts). */
  readonly passkeys: PasskeyStore;
  /** Other identity providers users sign in through, their linked identities and sign-ins under way (src/storage/upstream-store.ts). */
  readonly upstreams: UpstreamStore;
  /** Settings operators change on /admin, and whether an operator exists (src/storage/settings-store.ts). */
  readonly settings: SettingsStore;
  /** Webhook endpoints, the outbox of events and their deliveries (src/storage/webhook-store.ts). */
  readonly webhooks: WebhookStore;
  /** The management API's remembered answers to writes sent with an `Idempotency-Key` (src/storage/idempotency-store.ts). */
  readonly idempotency: IdempotencyStore;
  /** Client assertion ids seen, and the initial access tokens of registration (src/storage/client-store.ts). */
  readonly clients: ClientStore;
  /** The resource servers operators registered (RFC 8707; src/storage/resource-store.ts). */
  readonly resources: ResourceStore;
  readonly proofs: ProofStore;

  // Signing keys
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * *Atomic*: adds the first key of its algorithm. False, storing nothing, when
   * the algorithm already has an open key (`retiredAt` null): another process
   * made it first. A unique index holds one open key per algorithm.
   */
  addSigningKey(key: SigningKeyRecord): Promise<boolean>;
  /**
   * *Atomic*: adds `next` as its algorithm's open key and retires the open one
   * at `next.activatesAt`. Fails when a rotation running at the same time
   * added its key first.
   */
  rotateSigningKey(next: SigningKeyRecord): Promise<void>;

  /**
   * Deletes what can never be used again: codes, device codes and sessions
   * and personalisation grants past expiry, tokens expired before `tokensBefore`, stale attempt counters
   * and revoked-family markers older than any token, audit entries older than
   * `auditBefore` (the retention; none when absent). Safe to run from several
   * processes at once (plain conditional DELETEs). Returns rows deleted.
   */
  deleteExpired(now: Millis, options: { tokensBefore: Millis; familiesBefore: Millis; countersBefore: Millis; auditBefore?: Millis }): Promise<number>;

  /** Throws when the database cannot answer (readiness probe). */
  ping(): Promise<void>;
  /**
   * Why every write is refused until the process restarts, or null while
   * writes are accepted: on SQLite, once a sync of the log to disk failed
   * (src/storage/sqlite-group-commit.ts). The probes answer 503 with it.
   */
  writesRefusedUntilRestart(): string | null;
  close(): Promise<void>;
}
