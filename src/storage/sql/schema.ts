/**
 * Table shapes as Kysely sees them. Column types are chosen to mean the same on
 * SQLite and PostgreSQL: times are integer milliseconds (bigint), booleans are
 * 0/1 integers, lists are JSON text, scopes are space-separated text.
 */
import type { Generated } from 'kysely';

export interface Database {
  users: UsersTable;
  apps: AppsTable;
  sessions: SessionsTable;
  consents: ConsentsTable;
  auth_codes: AuthCodesTable;
  tokens: TokensTable;
  signing_keys: SigningKeysTable;
  device_codes: DeviceCodesTable;
  attempt_counters: AttemptCountersTable;
  revoked_families: RevokedFamiliesTable;
  suggest_grants: SuggestGrantsTable;
  audit_log: AuditLogTable;
  images: ImagesTable;
  grant_generations: GrantGenerationsTable;
  mail_outbox: MailOutboxTable;
  mail_links: MailLinksTable;
  two_step: TwoStepTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  upstreams: UpstreamsTable;
  upstream_identities: UpstreamIdentitiesTable;
  upstream_states: UpstreamStatesTable;
  webauthn_challenges: WebAuthnChallengesTable;
  settings: SettingsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  api_idempotency: ApiIdempotencyTable;
  client_assertion_ids: ClientAssertionIdsTable;
  initial_access_tokens: InitialAccessTokensTable;
  resource_servers: ResourceServersTable;
  dpop_proofs: DpopProofsTable;
  pushed_requests: PushedRequestsTable;
}

export interface UsersTable {
  id: string;
  login: string;
  password_hash: string | null;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  sex: string | null;
  birthday: string | null;
  emails: string;
  default_email: string | null;
  default_phone: string | null;
  /** JSON list of lowercased addresses. */
  confirmed_emails: string;
  confirmed_phone: string | null;
  avatar_id: string | null;
  is_developer: number;
  is_admin: number;
  status: string;
  created_at: number;
  updated_at: number;
  /** Moved on by every revocation of all the user's tokens (migration 0009). */
  token_generation: Generated<number>;
  /** A new random value on every insert and update, set by a trigger (migration 0029). */
  row_version: Generated<number | string>;
}

export interface AppsTable {
  client_id: string;
  secret_hash: string | null;
  secret_sealed: string | null;
  name: string;
  description: string;
  icon_url: string | null;
  owner_id: string | null;
  platforms: string;
  redirect_uris: string;
  suggest_hostnames: string;
  scopes: string;
  optional_scopes: string;
  access_token_ttl: number;
  id_token_alg: string;
  /** 1 when the app asks for two-step sign-in (migration 0019). */
  require_two_step: number;
  post_logout_redirect_uris: string;
  /** JSON list of client ids (migration 0011). */
  introspects: string;
  status: string;
  /** 1 when an operator marked the app first-party (migration 0008). */
  first_party: number;
  /** `operator` or `owner` while the app is blocked, else null (migration 0008). */
  blocked_by: string | null;
  /** 1 when the app's tokens must be DPoP-bound (migration 0023). */
  require_dpop: Generated<number>;
  /** 1 when the app's authorization requests must be pushed to /par first (migration 0023). */
  require_par: Generated<number>;
  created_at: number;
  updated_at: number;
  /** Moved on by every revocation of all the app's tokens (migration 0009). */
  token_generation: Generated<number>;
  /** RFC 7591 `token_endpoint_auth_method`; null: derived from whether the app has a secret (migration 0025). */
  token_endpoint_auth_method: string | null;
  /** The app's public keys as a JSON JWK Set, for `private_key_jwt` (migration 0025). */
  jwks: string | null;
  jwks_uri: string | null;
  /** SHA-256 of the registration access token of an app that registered itself (RFC 7592; migration 0025). */
  registration_token_hash: string | null;
  /** A new random value on every insert and update, set by a trigger (migration 0029). */
  row_version: Generated<number | string>;
}

export interface SessionsTable {
  hash: string;
  user_id: string;
  auth_time: number;
  amr: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  user_agent: string | null;
  ip: string | null;
}

export interface ConsentsTable {
  user_id: string;
  client_id: string;
  scopes: string;
  created_at: number;
  updated_at: number;
}

export interface AuthCodesTable {
  hash: string;
  kind: string;
  client_id: string;
  user_id: string;
  redirect_uri: string | null;
  scopes: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  nonce: string | null;
  device_id: string | null;
  device_name: string | null;
  auth_time: number;
  amr: string | null;
  family_id: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  /** The user's, app's and grant's generations added up when its authorization was checked. */
  generation: Generated<number>;
  /** Space-separated resource URIs the code may reach (RFC 8707; migration 0026). */
  resources: Generated<string>;
}

export interface TokensTable {
  hash: string;
  type: string;
  client_id: string;
  user_id: string | null;
  scopes: string;
  family_id: string;
  device_id: string | null;
  device_name: string | null;
  is_debug: number;
  auth_time: number | null;
  amr: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  rotated_at: number | null;
  /** The user's, app's and grant's generations added up when its authorization was checked. */
  generation: Generated<number>;
  /** Space-separated resource URIs (RFC 8707): an access token's audience, a refresh token's reach; '' for none (migration 0026). */
  resources: Generated<string>;
  /** Thumbprint of the DPoP key the token is bound to; null for a bearer token (migration 0023). */
  jkt: string | null;
}

/** `jti`s of accepted DPoP proofs, as SHA-256 of the key's thumbprint and the jti (migration 0023). */
export interface DpopProofsTable {
  key: string;
  expires_at: number;
}

/** Authorization requests pushed to /par, by the SHA-256 of their request_uri (migration 0023). */
export interface PushedRequestsTable {
  hash: string;
  client_id: string;
  /** The pushed parameters as a JSON object of strings. */
  params: string;
  created_at: number;
  expires_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  private_jwk_sealed: string;
  public_jwk: string;
  created_at: number;
  activates_at: number;
  retired_at: number | null;
}

export interface DeviceCodesTable {
  hash: string;
  user_code_hash: string;
  client_id: string;
  scopes: string;
  optional_scopes: string;
  device_id: string | null;
  device_name: string | null;
  status: string;
  user_id: string | null;
  granted_scopes: string | null;
  auth_time: number | null;
  amr: string | null;
  interval_seconds: number;
  last_polled_at: number | null;
  slow_down: number;
  family_id: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  /** The user's, app's and grant's generations added up when its authorization was checked. */
  generation: Generated<number>;
}

export interface AttemptCountersTable {
  key: string;
  window_start: number;
  count: number;
}

export interface RevokedFamiliesTable {
  family_id: string;
  revoked_at: number;
}

export interface SuggestGrantsTable {
  hash: string;
  user_id: string;
  client_id: string;
  origin: string;
  session_hash: string;
  created_at: number;
  expires_at: number;
}

export interface AuditLogTable {
  id: string;
  at: number;
  action: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  /** JSON object of plain values. */
  details: string;
  /** Events this row stands for (1 unless repeated under `repeat_key`). */
  count: number;
  /** The last repeat's time; null for a single event. */
  last_at: number | null;
  repeat_key: string | null;
}

export interface ImagesTable {
  id: string;
  variant: string;
  content_type: string;
  data: Buffer;
  created_at: number;
}

/** One user's revocations of one app ("revoke access"); a missing row is generation 0. */
export interface GrantGenerationsTable {
  user_id: string;
  client_id: string;
  generation: number;
}

export interface MailOutboxTable {
  id: string;
  kind: string;
  to_address: string;
  subject: string;
  user_id: string | null;
  body_sealed: string | null;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface MailLinksTable {
  hash: string;
  kind: string;
  user_id: string;
  address: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface TwoStepTable {
  user_id: string;
  totp_secret_sealed: string;
  status: string;
  last_step: number | null;
  created_at: number;
  enabled_at: number | null;
}

export interface RecoveryCodesTable {
  user_id: string;
  hash: string;
  created_at: number;
  used_at: number | null;
}

export interface PasskeysTable {
  id: string;
  user_id: string;
  public_key: string;
  counter: number;
  transports: string;
  aaguid: string;
  backup_eligible: number;
  backed_up: number;
  user_verified: number;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface WebAuthnChallengesTable {
  hash: string;
  browser: string;
  purpose: string;
  user_id: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface UpstreamsTable {
  name: string;
  display_name: string;
  kind: string;
  issuer: string;
  client_id: string;
  client_secret_sealed: string;
  scope: string;
  authorization_endpoint: string | null;
  token_endpoint: string | null;
  userinfo_endpoint: string | null;
  link_verified_email: number;
  created_at: number;
  updated_at: number;
}

export interface UpstreamIdentitiesTable {
  upstream: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: number;
  last_used_at: number | null;
}

export interface UpstreamStatesTable {
  hash: string;
  browser: string;
  upstream: string;
  purpose: string;
  payload_sealed: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}
export interface SettingsTable {
  name: string;
  value: string;
  updated_at: number;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string;
  /** JSON array of event type names. */
  events: string;
  secret_sealed: string;
  enabled: number;
  disabled_reason: string | null;
  disabled_at: number | null;
  last_success_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookEventsTable {
  id: string;
  type: string;
  at: number;
  body: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  response_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface ApiIdempotencyTable {
  client_id: string;
  key: string;
  request_hash: string;
  /** Null while the first request with the key is still being answered. */
  status: number | null;
  response: string | null;
  created_at: number;
}

export interface ClientAssertionIdsTable {
  client_id: string;
  jti_hash: string;
  expires_at: number;
}

export interface InitialAccessTokensTable {
  hash: string;
  label: string;
  max_uses: number;
  uses: Generated<number>;
  created_at: number;
  expires_at: number;
}

export interface ResourceServersTable {
  uri: string;
  name: string;
  jwt: number;
  client_id: string | null;
  created_at: number;
}
