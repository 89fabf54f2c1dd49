/**
 * The storage contract over SQL, written once with Kysely for every engine it
 * supports. Atomic verbs are single conditional UPDATEs with RETURNING, which
 * both SQLite and PostgreSQL execute atomically: the row changes for exactly
 * one caller, however many race.
 */
import { PostgresAdapter, type CompiledQuery, type Expression, type ExpressionBuilder, type Insertable, type Kysely, type QueryResult, type RawBuilder, type Selectable, type Updateable, sql } from 'kysely';
import { randomHex, type SecretHash } from '../../crypto/random.js';
import type { ClientId, Millis, UserId } from '../../types.js';
import type {
  AppBlocker, AppendedAudit, AppPatch, AppRecord, AttemptKey, AppTokenStats, AuditEntry, AuditQuery, AuthCodeRecord, CodeConsumeResult, ConsentRecord, ConsumeResult, DeviceCodeRecord, DeviceDecision,
  ImageRecord, PollResult, RevocationScope, SessionRecord, SigningKeyRecord, Storage, SuggestGrantRecord, TokenForClient, TokenQuery, TokenRecord, TokenWithOwners, UserPatch, UserRecord,
} from '../storage.js';
import { kyselyReads, type PreparedReads } from './prepared-reads.js';
import { SqlMailStore } from './sql-mail-store.js';
import { SqlIdempotencyStore } from './sql-idempotency-store.js';
import { SqlSettingsStore } from './sql-settings-store.js';
import { SqlTwoStepStore } from './sql-two-step-store.js';
import { SqlPasskeyStore } from './sql-passkey-store.js';
import { SqlUpstreamStore } from './sql-upstream-store.js';
import { eventInserts, eventValues, SqlWebhookStore, sqliteEventStatements, type EventValues } from './sql-webhook-store.js';
import type { WebhookEventRecord } from '../webhook-store.js';
import { SqlClientStore } from './sql-client-store.js';
import { SqlResourceStore } from './sql-resource-store.js';
import { SqlProofStore } from './sql-proof-store.js';
import { HotReads, USER_COLUMNS, type IssuedRow, type TokenRow } from './hot-reads.js';
import { AUDIT_COLUMNS, HotWrites, type FullRow } from './hot-writes.js';
import { compiledOnce } from './compiled-once.js';
import { CodeBatches } from './code-batches.js';
import { GrantBatches, type GrantWrite } from './grant-batches.js';
import { RecordCache } from './record-cache.js';
import { transact, Units } from './units.js';
import type { AppsTable, AuditLogTable, AuthCodesTable, Database, DeviceCodesTable, SessionsTable, SigningKeysTable, TokensTable, UsersTable } from './schema.js';
import { num, numOrNull } from './values.js';

const splitScopes = (s: string): string[] => (s === '' ? [] : s.split(' '));
const joinScopes = (s: readonly string[]): string => s.join(' ');
/** `%part%` for LIKE … ESCAPE, lowercased, with the user's own `%`, `_` and backslash taken literally. */
const containing = (part: string): string => `%${part.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The revocation generation of a user (or null) in an app, as SQL: the user's,
 * the app's and the grant's counters added up (`RevocationScope`). Each only
 * ever grows, so a sum equal to one read earlier means that none has moved.
 * Three primary-key lookups; `user` and `client` are values or column refs.
 */
function generationOf(user: Expression<string | null> | string | null, client: Expression<string> | string): RawBuilder<number> {
  return sql<number>`(coalesce((select u.token_generation from users u where u.id = ${user}), 0)
    + coalesce((select a.token_generation from apps a where a.client_id = ${client}), 0)
    + coalesce((select g.generation from grant_generations g where g.user_id = ${user} and g.client_id = ${client}), 0))`;
}

function toUser(r: Selectable<UsersTable>): UserRecord {
  return {
    id: r.id as UserId,
    login: r.login,
    passwordHash: r.password_hash,
    firstName: r.first_name,
    lastName: r.last_name,
    displayName: r.display_name,
    sex: r.sex as UserRecord['sex'],
    birthday: r.birthday,
    emails: JSON.parse(r.emails) as string[],
    defaultEmail: r.default_email,
    confirmedEmails: JSON.parse(r.confirmed_emails) as string[],
    defaultPhone: r.default_phone,
    confirmedPhone: r.confirmed_phone,
    avatarId: r.avatar_id,
    isDeveloper: r.is_developer === 1,
    isAdmin: r.is_admin === 1,
    status: r.status as UserRecord['status'],
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

function fromUserPatch(p: UserPatch): Updateable<UsersTable> {
  const row: Updateable<UsersTable> = {};
  if (p.login !== undefined) row.login = p.login.toLowerCase();
  if (p.passwordHash !== undefined) row.password_hash = p.passwordHash;
  if (p.firstName !== undefined) row.first_name = p.firstName;
  if (p.lastName !== undefined) row.last_name = p.lastName;
  if (p.displayName !== undefined) row.display_name = p.displayName;
  if (p.sex !== undefined) row.sex = p.sex;
  if (p.birthday !== undefined) row.birthday = p.birthday;
  if (p.emails !== undefined) row.emails = JSON.stringify(p.emails);
  if (p.defaultEmail !== undefined) row.default_email = p.defaultEmail;
  if (p.defaultPhone !== undefined) row.default_phone = p.defaultPhone;
  if (p.confirmedEmails !== undefined) row.confirmed_emails = JSON.stringify(p.confirmedEmails.map((e) => e.toLowerCase()));
  if (p.confirmedPhone !== undefined) row.confirmed_phone = p.confirmedPhone;
  if (p.avatarId !== undefined) row.avatar_id = p.avatarId;
  if (p.isDeveloper !== undefined) row.is_developer = p.isDeveloper ? 1 : 0;
  if (p.isAdmin !== undefined) row.is_admin = p.isAdmin ? 1 : 0;
  if (p.status !== undefined) row.status = p.status;
  if (p.updatedAt !== undefined) row.updated_at = p.updatedAt;
  return row;
}

function toApp(r: Selectable<AppsTable>): AppRecord {
  return {
    clientId: r.client_id as ClientId,
    secretHash: r.secret_hash as SecretHash | null,
    secretSealed: r.secret_sealed,
    name: r.name,
    description: r.description,
    iconUrl: r.icon_url,
    ownerId: r.owner_id as UserId | null,
    platforms: JSON.parse(r.platforms) as AppRecord['platforms'],
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    suggestHostnames: JSON.parse(r.suggest_hostnames) as string[],
    scopes: splitScopes(r.scopes),
    optionalScopes: splitScopes(r.optional_scopes),
    accessTokenTtlSeconds: num(r.access_token_ttl),
    idTokenAlg: r.id_token_alg as AppRecord['idTokenAlg'],
    requireTwoStep: num(r.require_two_step) === 1,
    postLogoutRedirectUris: JSON.parse(r.post_logout_redirect_uris) as string[],
    introspects: JSON.parse(r.introspects) as ClientId[],
    status: r.status as AppRecord['status'],
    blockedBy: r.status === 'blocked' ? (r.blocked_by === 'owner' ? 'owner' : 'operator') : null,
    firstParty: num(r.first_party) === 1,
    tokenEndpointAuthMethod: (r.token_endpoint_auth_method ?? (r.secret_hash === null ? 'none' : 'client_secret_basic')) as AppRecord['tokenEndpointAuthMethod'],
    jwks: r.jwks === null ? null : (JSON.parse(r.jwks) as AppRecord['jwks']),
    jwksUri: r.jwks_uri,
    registrationTokenHash: r.registration_token_hash as SecretHash | null,
    requireDpop: num(r.require_dpop) === 1,
    requirePar: num(r.require_par) === 1,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    generation: num(r.token_generation),
  };
}

function fromAppPatch(p: AppPatch): Updateable<AppsTable> {
  const row: Updateable<AppsTable> = {};
  if (p.secretHash !== undefined) row.secret_hash = p.secretHash;
  if (p.secretSealed !== undefined) row.secret_sealed = p.secretSealed;
  if (p.name !== undefined) row.name = p.name;
  if (p.description !== undefined) row.description = p.description;
  if (p.iconUrl !== undefined) row.icon_url = p.iconUrl;
  if (p.ownerId !== undefined) row.owner_id = p.ownerId;
  if (p.platforms !== undefined) row.platforms = JSON.stringify(p.platforms);
  if (p.redirectUris !== undefined) row.redirect_uris = JSON.stringify(p.redirectUris);
  if (p.suggestHostnames !== undefined) row.suggest_hostnames = JSON.stringify(p.suggestHostnames);
  if (p.scopes !== undefined) row.scopes = joinScopes(p.scopes);
  if (p.optionalScopes !== undefined) row.optional_scopes = joinScopes(p.optionalScopes);
  if (p.accessTokenTtlSeconds !== undefined) row.access_token_ttl = p.accessTokenTtlSeconds;
  if (p.idTokenAlg !== undefined) row.id_token_alg = p.idTokenAlg;
  if (p.requireTwoStep !== undefined) row.require_two_step = p.requireTwoStep ? 1 : 0;
  if (p.requireDpop !== undefined) row.require_dpop = p.requireDpop ? 1 : 0;
  if (p.requirePar !== undefined) row.require_par = p.requirePar ? 1 : 0;
  if (p.postLogoutRedirectUris !== undefined) row.post_logout_redirect_uris = JSON.stringify(p.postLogoutRedirectUris);
  if (p.introspects !== undefined) row.introspects = JSON.stringify(p.introspects);
  if (p.status !== undefined) {
    row.status = p.status;
    row.blocked_by = p.status === 'blocked' ? 'operator' : null;
  }
  if (p.firstParty !== undefined) row.first_party = p.firstParty ? 1 : 0;
  if (p.tokenEndpointAuthMethod !== undefined) row.token_endpoint_auth_method = p.tokenEndpointAuthMethod;
  if (p.jwks !== undefined) row.jwks = p.jwks === null ? null : JSON.stringify(p.jwks);
  if (p.jwksUri !== undefined) row.jwks_uri = p.jwksUri;
  if (p.registrationTokenHash !== undefined) row.registration_token_hash = p.registrationTokenHash;
  if (p.updatedAt !== undefined) row.updated_at = p.updatedAt;
  return row;
}

function toSession(r: Selectable<SessionsTable>): SessionRecord {
  return {
    hash: r.hash as SecretHash,
    userId: r.user_id as UserId,
    authTime: num(r.auth_time),
    amr: splitScopes(r.amr ?? 'pwd'),
    createdAt: num(r.created_at),
    lastSeenAt: num(r.last_seen_at),
    expiresAt: num(r.expires_at),
    userAgent: r.user_agent,
    ip: r.ip,
  };
}

/** A code's row as the statements that consume it return it (hot-writes.ts): with its user's status, null when the user is gone. */
type ConsumedCodeRow = Selectable<AuthCodesTable> & { user_status: string | null };

/** The answer of the exchange that consumed the code. */
function consumedCode(won: ConsumedCodeRow): CodeConsumeResult {
  // `toCode` reads the code's own columns by name: the user's status beside them is left where it is (a copy
  // without it, by rest destructuring, was a slow object on every exchange).
  return { outcome: 'consumed', record: toCode(won), userActive: won.user_status === 'active' };
}

function toCode(r: Selectable<AuthCodesTable>): AuthCodeRecord {
  return {
    hash: r.hash as SecretHash,
    kind: r.kind as AuthCodeRecord['kind'],
    clientId: r.client_id as ClientId,
    userId: r.user_id as UserId,
    redirectUri: r.redirect_uri,
    scopes: splitScopes(r.scopes),
    codeChallenge: r.code_challenge,
    codeChallengeMethod: r.code_challenge_method as AuthCodeRecord['codeChallengeMethod'],
    nonce: r.nonce,
    deviceId: r.device_id,
    deviceName: r.device_name,
    authTime: num(r.auth_time),
    amr: splitScopes(r.amr ?? ''),
    familyId: r.family_id,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    consumedAt: numOrNull(r.consumed_at),
    generation: num(r.generation),
    resources: splitScopes(r.resources ?? ''),
  };
}

/**
 * `current`: the token's revocation generation now, when the query read it. A
 * token issued under an older one reads as revoked; when is not recorded, so
 * `revokedAt` is then its issue time.
 */
function toToken(r: Selectable<TokensTable>, current?: number | string): TokenRecord {
  const stale = current !== undefined && num(current) !== num(r.generation);
  return {
    hash: r.hash as SecretHash,
    type: r.type as TokenRecord['type'],
    clientId: r.client_id as ClientId,
    userId: r.user_id as UserId | null,
    scopes: splitScopes(r.scopes),
    familyId: r.family_id,
    deviceId: r.device_id,
    deviceName: r.device_name,
    isDebug: r.is_debug === 1,
    authTime: numOrNull(r.auth_time),
    amr: splitScopes(r.amr ?? ''),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    revokedAt: numOrNull(r.revoked_at) ?? (stale ? num(r.created_at) : null),
    rotatedAt: numOrNull(r.rotated_at),
    jkt: r.jkt ?? null,
    generation: num(r.generation),
    resources: splitScopes(r.resources ?? ''),
  };
}

function toDeviceCode(r: Selectable<DeviceCodesTable>): DeviceCodeRecord {
  return {
    hash: r.hash as SecretHash,
    userCodeHash: r.user_code_hash as SecretHash,
    clientId: r.client_id as ClientId,
    scopes: splitScopes(r.scopes),
    optionalScopes: splitScopes(r.optional_scopes),
    deviceId: r.device_id,
    deviceName: r.device_name,
    status: r.status as DeviceCodeRecord['status'],
    userId: r.user_id as UserId | null,
    grantedScopes: r.granted_scopes === null ? null : splitScopes(r.granted_scopes),
    authTime: numOrNull(r.auth_time),
    amr: splitScopes(r.amr ?? ''),
    intervalSeconds: num(r.interval_seconds),
    lastPolledAt: numOrNull(r.last_polled_at),
    familyId: r.family_id,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    consumedAt: numOrNull(r.consumed_at),
    generation: num(r.generation),
  };
}

/** A token's row, under `generation` (a number, or Kysely's read of the current one); written out whole, not spread into. */
function fromToken(t: TokenRecord, generation: number | RawBuilder<number>): FullRow<TokensTable> & Omit<Insertable<TokensTable>, 'generation'> & { generation: number | RawBuilder<number> } {
  return {
    hash: t.hash,
    type: t.type,
    client_id: t.clientId,
    user_id: t.userId,
    scopes: joinScopes(t.scopes),
    family_id: t.familyId,
    device_id: t.deviceId,
    device_name: t.deviceName,
    is_debug: t.isDebug ? 1 : 0,
    auth_time: t.authTime,
    amr: joinScopes(t.amr),
    created_at: t.createdAt,
    expires_at: t.expiresAt,
    revoked_at: t.revokedAt,
    rotated_at: t.rotatedAt,
    resources: joinScopes(t.resources ?? []),
    jkt: t.jkt,
    generation,
  };
}

function toAuditEntry(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: r.id,
    at: num(r.at),
    action: r.action,
    outcome: r.outcome as AuditEntry['outcome'],
    actorType: r.actor_type as AuditEntry['actorType'],
    actorId: r.actor_id,
    userId: r.user_id as UserId | null,
    clientId: r.client_id as ClientId | null,
    ip: r.ip,
    details: JSON.parse(r.details) as AuditEntry['details'],
    ...(r.last_at !== null ? { repeated: { count: num(r.count), lastAt: num(r.last_at) } } : {}),
  };
}

function fromSigningKey(k: SigningKeyRecord): Insertable<SigningKeysTable> {
  return {
    kid: k.kid, alg: k.alg, private_jwk_sealed: k.privateJwkSealed, public_jwk: k.publicJwk,
    created_at: k.createdAt, activates_at: k.activatesAt, retired_at: k.retiredAt,
  };
}

/** A row that names a user or app no longer there (SQLite's and PostgreSQL's foreign-key errors). */
function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

/** An audit entry as its row. Ids sort by time as text, then are unique by 64 random bits. */
function auditRow(e: Omit<AuditEntry, 'id' | 'repeated'>, repeatKey?: string) {
  return {
    id: `${String(e.at).padStart(15, '0')}-${randomHex(8)}`, at: e.at, action: e.action, outcome: e.outcome,
    actor_type: e.actorType, actor_id: e.actorId, user_id: e.userId, client_id: e.clientId, ip: e.ip,
    details: JSON.stringify(e.details), count: 1, last_at: null, repeat_key: repeatKey ?? null,
  };
}

/**
 * PostgreSQL: an audit entry (`insert`, returning its id) with its webhook
 * events and their deliveries in one statement: the events' rows are
 * data-modifying CTEs of the entry's insert, which also counts the
 * deliveries (`deliveries`).
 */
function withEvents<Q extends { returning: (...args: any[]) => any }>(db: Kysely<Database>, events: readonly EventValues[], insert: (db: Kysely<Database>) => Q) {
  const [eventsInsert, ...deliveryInserts] = eventInserts(db, events);
  let creator: any = db.with('webhook_events_0', () => eventsInsert!);
  deliveryInserts.forEach((q, i) => { creator = creator.with(`webhook_deliveries_${i}`, () => q.returning('id')); });
  const counted = sql.join(deliveryInserts.map((_, i) => sql`(select count(*) from ${sql.table(`webhook_deliveries_${i}`)})`), sql` + `);
  return insert(creator as Kysely<Database>).returning(sql<number | string>`${counted}`.as('deliveries')) as ReturnType<Q['returning']>;
}

/** An event's six arguments to `auditWithEvents`, in the order it reads them. */
const eventArguments = (v: EventValues) => [v.id, v.type, v.at, v.body, v.idPrefix, v.quotedType];

/**
 * PostgreSQL: `withEvents` for an entry without a repeat key, compiled once
 * for each number of events and kept prepared. Its arguments: the entry's
 * columns in `AUDIT_COLUMNS`' order, then each event's six (`eventArguments`).
 */
function auditWithEventsStatement(db: Kysely<Database>) {
  return compiledOnce((...args: unknown[]) => {
    const row = Object.fromEntries(AUDIT_COLUMNS.map((c, i) => [c, args[i]])) as Insertable<AuditLogTable>;
    const events: EventValues[] = [];
    for (let i = AUDIT_COLUMNS.length; i < args.length; i += 6) {
      const [id, type, at, body, idPrefix, quotedType] = args.slice(i, i + 6) as [string, string, number, string, string, string];
      events.push({ id, type, at, body, idPrefix, quotedType });
    }
    return withEvents(db, events, (creator) => creator.insertInto('audit_log').values(row).returning('id'));
  }, { prepared: true });
}

/**
 * The statements of a password sign-in that go through this store, built
 * with Kysely and compiled once each (compiled-once.ts): the attempt
 * counters, the account by login, the session and its audit entry. On
 * PostgreSQL each is kept prepared by name (statement-names.ts), so the
 * account is read by its columns, not `*`.
 */
function signInStatements(db: Kysely<Database>) {
  const prepared = { prepared: true };
  return {
    userByLogin: compiledOnce((login: string) => db.selectFrom('users').select(USER_COLUMNS).where('login', '=', login), prepared),
    insertSession: compiledOnce((hash: string, userId: string, authTime: number, amr: string, createdAt: number, lastSeenAt: number, expiresAt: number, userAgent: string | null, ip: string | null) =>
      db.insertInto('sessions').values({
        hash, user_id: userId, auth_time: authTime, amr, created_at: createdAt, last_seen_at: lastSeenAt, expires_at: expiresAt, user_agent: userAgent, ip,
      }), prepared),
    /** `windows`: each key, then the start of its window, keys sorted and distinct (`SqlStorage.countAttempts`). */
    countAttempts: compiledOnce((now: number, ...windows: (string | number)[]) => {
      const keys = Array.from({ length: windows.length / 2 }, (_, i) => [windows[2 * i] as string, windows[2 * i + 1] as number] as const);
      // Explicit casts: PostgreSQL cannot infer a parameter's type inside CASE.
      const windowStartedBy = sql.join(keys.map(([key, start]) => sql`when ${key} then cast(${start} as bigint)`), sql` `);
      const stale = sql<boolean>`attempt_counters.window_start <= (case attempt_counters.key ${windowStartedBy} end)`;
      return db
        .insertInto('attempt_counters')
        .values(keys.map(([key]) => ({ key, window_start: now, count: 1 })))
        .onConflict((oc) => oc.column('key').doUpdateSet({
          count: sql`case when ${stale} then 1 else attempt_counters.count + 1 end`,
          window_start: sql`case when ${stale} then cast(${now} as bigint) else attempt_counters.window_start end`,
        }))
        .returning(['key', 'count']);
    }, prepared),
    resetAttempts: compiledOnce((...keys: string[]) => db.deleteFrom('attempt_counters').where('key', 'in', keys), prepared),
    forgiveAttempt: compiledOnce((key: string) => db.updateTable('attempt_counters').set({ count: sql`count - 1` }).where('key', '=', key).where('count', '>', 0), prepared),
  };
}

export class SqlStorage implements Storage {
  readonly mail: SqlMailStore;
  readonly twoStep: SqlTwoStepStore;
  readonly passkeys: SqlPasskeyStore;
  readonly upstreams: SqlUpstreamStore;
  readonly settings: SqlSettingsStore;
  readonly webhooks: SqlWebhookStore;
  readonly idempotency: SqlIdempotencyStore;
  readonly clients: SqlClientStore;
  readonly resources: SqlResourceStore;
  readonly proofs: SqlProofStore;

  private readonly prepared: HotReads;
  /** The hot reads' driver as opened with the database (open.ts), closed with it. */
  private readonly reads: PreparedReads | undefined;
  /** The grants' inserts as fixed statements (hot-writes.ts). */
  private readonly writes: HotWrites;
  /** A password sign-in's statements, compiled once (`signInStatements`). */
  private readonly statements: ReturnType<typeof signInStatements>;
  /** SQLite: an audit entry's webhook events, compiled once (sql-webhook-store.ts). */
  private readonly eventStatements: ReturnType<typeof sqliteEventStatements>;
  /** PostgreSQL: an audit entry without a repeat key and its webhook events, one statement compiled once (`auditWithEventsStatement`). */
  private readonly auditWithEvents: ReturnType<typeof auditWithEventsStatement>;
  /** On PostgreSQL's pool, concurrent grants' writes and checks, a statement each for all (grant-batches.ts). */
  private readonly grants: GrantBatches | null;
  /** On PostgreSQL's pool, concurrent exchanges' codes consumed by one statement (code-batches.ts). */
  private readonly codes: CodeBatches<ConsumedCodeRow> | null;
  /** The hot-path reads through each open unit's transaction (`hot`). */
  private readonly unitReads = new WeakMap<object, HotReads>();
  /** Records of the users and apps tokens were checked for, exact by row version (record-cache.ts). */
  private readonly cachedUsers = new RecordCache<UserRecord>(20_000);
  private readonly cachedApps = new RecordCache<AppRecord>(5_000);
  private readonly postgres: boolean;
  private readonly units: Units<Database>;
  private readonly base: Kysely<Database>;
  /** The database, or the open unit's transaction for a caller in one (units.ts). */
  readonly db: Kysely<Database>;

  /**
   * `reads`: the hot-path reads on the driver's own handle (open.ts); without, the same SQL through Kysely.
   * `writesRefused`: on SQLite, asks the driver whether it refuses every write since a sync of its log
   * failed (sqlite-group-commit.ts); PostgreSQL has no such state (the server stops itself instead).
   */
  constructor(base: Kysely<Database>, reads?: PreparedReads, private readonly writesRefused: () => Error | null = () => null) {
    this.base = base;
    this.units = new Units(base);
    const db = this.units.ambient();
    this.db = db;
    this.postgres = base.getExecutor().adapter instanceof PostgresAdapter;
    this.mail = new SqlMailStore(db);
    this.twoStep = new SqlTwoStepStore(db);
    this.passkeys = new SqlPasskeyStore(db);
    this.upstreams = new SqlUpstreamStore(db);
    this.settings = new SqlSettingsStore(db);
    this.webhooks = new SqlWebhookStore(db, this.postgres);
    this.idempotency = new SqlIdempotencyStore(db);
    this.clients = new SqlClientStore(db);
    this.resources = new SqlResourceStore(db);
    this.proofs = new SqlProofStore(db);
    this.reads = reads;
    this.prepared = new HotReads(reads ?? kyselyReads(base, this.postgres ? 'postgres' : 'sqlite'));
    this.writes = new HotWrites(this.postgres ? 'postgres' : 'sqlite');
    this.statements = signInStatements(base);
    this.eventStatements = sqliteEventStatements(base);
    this.auditWithEvents = auditWithEventsStatement(base);
    this.grants = this.postgres && this.prepared.batches
      ? new GrantBatches(
        (grant) => this.prepared.issuedAfter([this.grantWrite(grant)], grant.rows[0]!.hash),
        (grants) => this.prepared.issuedAllAfter(this.writes.grants(grants), grants.map((g) => g.rows[0]!.hash)),
      )
      : null;
    this.codes = this.postgres && this.prepared.batches
      ? new CodeBatches<ConsumedCodeRow>(
        async (code) => (await this.prepared.write<ConsumedCodeRow>(this.db, this.writes.consumeCode(code.hash as SecretHash, code.now as Millis)))[0],
        async (codes) => {
          const rows = await this.prepared.writeOrRefuse<ConsumedCodeRow>(this.writes.consumeCodes(codes));
          return new Map(rows.map((row) => [row.hash, row]));
        },
      )
      : null;
  }

  /** A grant's tokens and audit entry, one statement (PostgreSQL: the entry in a CTE of the insert). */
  private grantWrite(grant: GrantWrite): CompiledQuery {
    return grant.audit === undefined ? this.writes.tokens(grant.rows) : this.writes.tokensWithAudit(grant.rows, grant.audit);
  }

  /**
   * The hot-path reads; in a unit, through its transaction, so that it reads
   * what it wrote (the prepared statements see only what is committed).
   */
  private get hot(): HotReads {
    const trx = this.units.current();
    if (trx === null) return this.prepared;
    // One per unit: building the statements' text again for every read of a unit would be work done twice.
    let reads = this.unitReads.get(trx);
    if (reads === undefined) {
      reads = new HotReads(kyselyReads<Database>(trx, this.postgres ? 'postgres' : 'sqlite'));
      this.unitReads.set(trx, reads);
    }
    return reads;
  }

  atomically<T>(fn: () => Promise<T>): Promise<T> {
    return this.units.run(fn);
  }

  afterCommit(then: () => void): void {
    this.units.afterCommit(then);
  }

  inUnit(): boolean {
    return this.units.current() !== null;
  }

  // Users

  async createUser(u: UserRecord): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: u.id, login: u.login.toLowerCase(), password_hash: u.passwordHash, first_name: u.firstName,
        last_name: u.lastName, display_name: u.displayName, sex: u.sex, birthday: u.birthday,
        emails: JSON.stringify(u.emails), default_email: u.defaultEmail, default_phone: u.defaultPhone,
        confirmed_emails: JSON.stringify(u.confirmedEmails.map((e) => e.toLowerCase())), confirmed_phone: u.confirmedPhone,
        avatar_id: u.avatarId, is_developer: u.isDeveloper ? 1 : 0, is_admin: u.isAdmin ? 1 : 0,
        status: u.status, created_at: u.createdAt, updated_at: u.updatedAt,
      })
      .execute();
  }

  async findUserById(id: UserId): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async findUserByLogin(login: string): Promise<UserRecord | null> {
    const row = (await this.db.executeQuery(this.statements.userByLogin(login.toLowerCase()))).rows[0];
    return row ? toUser(row) : null;
  }

  async listUsers(options: { limit?: number; offset?: number; search?: string; after?: { createdAt: Millis; id: UserId } } = {}): Promise<UserRecord[]> {
    let query = this.db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id');
    const after = options.after;
    if (after) query = query.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]));
    const search = options.search?.trim();
    if (search) {
      const like = containing(search);
      query = query.where((eb) => eb.or([
        eb('id', '=', search),
        sql<boolean>`lower(login) like ${like} escape '\\'`,
        sql<boolean>`lower(coalesce(display_name, '')) like ${like} escape '\\'`,
        sql<boolean>`lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) like ${like} escape '\\'`,
        sql<boolean>`lower(emails) like ${like} escape '\\'`,
      ]));
    }
    const rows = await query.limit(options.limit ?? 1000).offset(options.offset ?? 0).execute();
    return rows.map(toUser);
  }

  async eraseUser(id: UserId, keep: (details: AuditEntry['details']) => AuditEntry['details']): Promise<void> {
    await transact(this.db, async (trx) => {
      const about = (eb: ExpressionBuilder<Database, 'audit_log'>) => eb.or([eb('user_id', '=', id), eb.and([eb('actor_type', '=', 'user'), eb('actor_id', '=', id)])]);
      const entries = await trx.selectFrom('audit_log').select(['id', 'details']).where(about).execute();
      for (const e of entries) {
        await trx.updateTable('audit_log').set({ ip: null, details: JSON.stringify(keep(JSON.parse(e.details) as AuditEntry['details'])) }).where('id', '=', e.id).execute();
      }
      await trx.deleteFrom('mail_outbox').where('user_id', '=', id).execute();
      // Webhook events naming the user (as the subject or the actor) go too, sent or not: only the news of the erasure stays.
      const naming = (eb: ExpressionBuilder<Database, 'webhook_events'>) => eb.and([eb('body', 'like', `%"id":${JSON.stringify(id)}%`), eb('type', '!=', 'user.deleted')]);
      await trx.deleteFrom('webhook_deliveries').where('event_id', 'in', trx.selectFrom('webhook_events').select('id').where(naming)).execute();
      await trx.deleteFrom('webhook_events').where(naming).execute();
      await trx.deleteFrom('users').where('id', '=', id).execute();
    });
  }

  async updateUser(id: UserId, patch: UserPatch): Promise<void> {
    const row = fromUserPatch(patch);
    if (Object.keys(row).length > 0) await this.db.updateTable('users').set(row).where('id', '=', id).execute();
  }

  async findUsersByConfirmedEmail(email: string): Promise<UserRecord[]> {
    // Stored lowercased as a JSON list: the quoted address is a whole item, never a part of one.
    const item = `%${JSON.stringify(email.toLowerCase()).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.db.selectFrom('users').selectAll()
      .where('status', '=', 'active')
      .where(sql<boolean>`confirmed_emails like ${item} escape '\\'`)
      .orderBy('created_at').orderBy('id').limit(20)
      .execute();
    return rows.map(toUser);
  }

  // Apps

  async createApp(a: AppRecord): Promise<void> {
    await this.db
      .insertInto('apps')
      .values({
        client_id: a.clientId, secret_hash: a.secretHash, secret_sealed: a.secretSealed, name: a.name,
        description: a.description, icon_url: a.iconUrl, owner_id: a.ownerId,
        platforms: JSON.stringify(a.platforms), redirect_uris: JSON.stringify(a.redirectUris),
        suggest_hostnames: JSON.stringify(a.suggestHostnames), scopes: joinScopes(a.scopes),
        optional_scopes: joinScopes(a.optionalScopes), access_token_ttl: a.accessTokenTtlSeconds,
        id_token_alg: a.idTokenAlg ?? 'ES256', require_two_step: a.requireTwoStep ? 1 : 0, post_logout_redirect_uris: JSON.stringify(a.postLogoutRedirectUris ?? []),
        introspects: JSON.stringify(a.introspects ?? []),
        status: a.status, blocked_by: a.status === 'blocked' ? (a.blockedBy ?? 'operator') : null,
        first_party: a.firstParty ? 1 : 0, require_dpop: a.requireDpop ? 1 : 0, require_par: a.requirePar ? 1 : 0,
        created_at: a.createdAt, updated_at: a.updatedAt,
        token_endpoint_auth_method: a.tokenEndpointAuthMethod ?? (a.secretHash === null ? 'none' : 'client_secret_basic'),
        jwks: a.jwks ? JSON.stringify(a.jwks) : null, jwks_uri: a.jwksUri ?? null, registration_token_hash: a.registrationTokenHash ?? null,
      })
      .execute();
  }

  async findApp(clientId: ClientId): Promise<AppRecord | null> {
    const hot = this.hot;
    const version = await hot.appVersion(clientId);
    if (version === undefined) return null;
    return this.cachedApps.get(clientId, version) ?? this.readApp(hot, clientId);
  }

  /**
   * The app read whole, and kept if it was read outside a unit (whose writes a
   * rollback may undo), under the version it was read at.
   */
  private async readApp(hot: HotReads, clientId: string): Promise<AppRecord | null> {
    const row = await hot.app(clientId);
    if (row === null) return null;
    const app = toApp(row);
    return hot === this.prepared ? this.cachedApps.put(clientId, row.row_version, app) : app;
  }

  private async readUser(hot: HotReads, id: string): Promise<UserRecord | null> {
    const row = await hot.user(id);
    if (row === null) return null;
    const user = toUser(row);
    return hot === this.prepared ? this.cachedUsers.put(id, row.row_version, user) : user;
  }

  async listApps(options: { ownerId?: UserId; search?: string; limit?: number; after?: { createdAt: Millis; clientId: ClientId } } = {}): Promise<AppRecord[]> {
    let query = this.db.selectFrom('apps').selectAll().orderBy('created_at').orderBy('client_id');
    const after = options.after;
    if (after) query = query.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('client_id', '>', after.clientId)])]));
    if (options.ownerId !== undefined) query = query.where('owner_id', '=', options.ownerId);
    const search = options.search?.trim();
    if (search) {
      const like = containing(search);
      query = query.where((eb) => eb.or([eb('client_id', '=', search.toLowerCase()), sql<boolean>`lower(name) like ${like} escape '\\'`]));
    }
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query.execute()).map(toApp);
  }

  async updateApp(clientId: ClientId, patch: AppPatch): Promise<void> {
    const row = fromAppPatch(patch);
    if (Object.keys(row).length > 0) await this.db.updateTable('apps').set(row).where('client_id', '=', clientId).execute();
  }

  async blockApp(clientId: ClientId, by: AppBlocker, now: Millis): Promise<void> {
    // One statement, so an operator's block racing the owner's cannot end up the owner's.
    const blockedBy = by === 'operator'
      ? sql<string>`'operator'`
      : sql<string>`case when status = 'blocked' and (blocked_by is null or blocked_by <> 'owner') then 'operator' else 'owner' end`;
    await this.db.updateTable('apps').set({ status: 'blocked', blocked_by: blockedBy, updated_at: now }).where('client_id', '=', clientId).execute();
  }

  async unblockApp(clientId: ClientId, by: AppBlocker, now: Millis): Promise<boolean> {
    let query = this.db.updateTable('apps').set({ status: 'active', blocked_by: null, updated_at: now }).where('client_id', '=', clientId);
    // The owner lifts only a block recorded as theirs; the condition is checked by the same statement that lifts it.
    if (by === 'owner') query = query.where('status', '=', 'blocked').where('blocked_by', '=', 'owner');
    if (Number((await query.executeTakeFirst()).numUpdatedRows) === 1) return true;
    const app = await this.findApp(clientId);
    return app === null || app.status !== 'blocked';
  }

  async deleteApp(clientId: ClientId): Promise<void> {
    // Dependent rows go by their foreign keys (ON DELETE CASCADE); revoked-family markers outlive it harmlessly.
    await this.db.deleteFrom('apps').where('client_id', '=', clientId).execute();
  }

  // Sessions

  async createSession(s: SessionRecord): Promise<void> {
    await this.db.executeQuery(this.statements.insertSession(
      s.hash, s.userId, s.authTime, joinScopes(s.amr), s.createdAt, s.lastSeenAt, s.expiresAt, s.userAgent, s.ip,
    ));
  }

  async findSession(hash: SecretHash, now: Millis): Promise<SessionRecord | null> {
    const row = await this.db
      .selectFrom('sessions').selectAll()
      .where('hash', '=', hash).where('expires_at', '>', now)
      .executeTakeFirst();
    return row ? toSession(row) : null;
  }

  async extendSession(hash: SecretHash, lastSeenAt: Millis, expiresAt: Millis): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: lastSeenAt, expires_at: expiresAt })
      .where('hash', '=', hash).where('last_seen_at', '<', lastSeenAt).execute();
  }

  async deleteSession(hash: SecretHash): Promise<void> {
    await this.db.deleteFrom('sessions').where('hash', '=', hash).execute();
  }

  async deleteSessionsOfUser(userId: UserId, keep?: SecretHash): Promise<void> {
    let query = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keep !== undefined) query = query.where('hash', '!=', keep);
    await query.execute();
  }

  async listSessionsOfUser(userId: UserId, now: Millis): Promise<SessionRecord[]> {
    const rows = await this.db
      .selectFrom('sessions').selectAll()
      .where('user_id', '=', userId).where('expires_at', '>', now)
      .orderBy('created_at', 'desc').orderBy('hash')
      .execute();
    return rows.map(toSession);
  }

  // Consent

  async findConsent(userId: UserId, clientId: ClientId): Promise<ConsentRecord | null> {
    const row = await this.db
      .selectFrom('consents').selectAll()
      .where('user_id', '=', userId).where('client_id', '=', clientId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      userId: row.user_id as UserId, clientId: row.client_id as ClientId, scopes: splitScopes(row.scopes),
      createdAt: num(row.created_at), updatedAt: num(row.updated_at),
    };
  }

  async saveConsent(c: ConsentRecord): Promise<void> {
    await this.db
      .insertInto('consents')
      .values({ user_id: c.userId, client_id: c.clientId, scopes: joinScopes(c.scopes), created_at: c.createdAt, updated_at: c.updatedAt })
      .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({ scopes: joinScopes(c.scopes), updated_at: c.updatedAt }))
      .execute();
  }

  async deleteConsent(userId: UserId, clientId: ClientId): Promise<void> {
    await this.db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).execute();
  }

  async listConsentsOfUser(userId: UserId): Promise<ConsentRecord[]> {
    const rows = await this.db.selectFrom('consents').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('client_id').execute();
    return rows.map((row) => ({
      userId: row.user_id as UserId, clientId: row.client_id as ClientId, scopes: splitScopes(row.scopes),
      createdAt: num(row.created_at), updatedAt: num(row.updated_at),
    }));
  }

  // Authorization codes

  async createCode(c: AuthCodeRecord): Promise<void> {
    await this.db
      .insertInto('auth_codes')
      .values({
        hash: c.hash, kind: c.kind, client_id: c.clientId, user_id: c.userId, redirect_uri: c.redirectUri,
        scopes: joinScopes(c.scopes), code_challenge: c.codeChallenge, code_challenge_method: c.codeChallengeMethod,
        nonce: c.nonce, device_id: c.deviceId, device_name: c.deviceName, auth_time: c.authTime, amr: joinScopes(c.amr),
        family_id: c.familyId, created_at: c.createdAt, expires_at: c.expiresAt, consumed_at: c.consumedAt,
        generation: c.generation ?? generationOf(c.userId, c.clientId),
        resources: joinScopes(c.resources ?? []),
      })
      .execute();
  }

  async consumeCode(hash: SecretHash, now: Millis): Promise<CodeConsumeResult> {
    if (this.codes !== null && this.units.current() === null) {
      // PostgreSQL's pool: with the exchanges asked for beside it, one statement and one commit for all (code-batches.ts).
      const verdict = await this.codes.consume({ hash, now });
      if (verdict.outcome === 'won') return consumedCode(verdict.row);
      // Another exchange of the same code in the batch won: what it would have been told a moment later.
      if (verdict.outcome === 'lost') return { outcome: 'already_consumed', record: toCode(verdict.row) };
      const seen = await this.codeByHash(hash);
      if (seen === undefined) return { outcome: 'not_found' };
      if (seen.consumed_at !== null) return { outcome: 'already_consumed', record: toCode(seen) };
      // Still unused: its row was changed under the batch's statement, which then leaves it out (hot-writes.ts).
    }
    // One statement, also reading the user's status (hot-writes.ts).
    // Outside a unit a named prepared statement on PostgreSQL (`HotReads.write`); in one, through its transaction.
    const [won] = await this.hot.write<ConsumedCodeRow>(this.db, this.writes.consumeCode(hash, now));
    if (won) return consumedCode(won);
    const seen = await this.codeByHash(hash);
    return seen ? { outcome: 'already_consumed', record: toCode(seen) } : { outcome: 'not_found' };
  }

  private codeByHash(hash: SecretHash): Promise<Selectable<AuthCodesTable> | undefined> {
    return this.db.selectFrom('auth_codes').selectAll().where('hash', '=', hash).executeTakeFirst();
  }

  // Tokens

  saveTokens(tokens: TokenRecord[], options: { now: Millis; maxDeviceFamilies: number; audit?: Omit<AuditEntry, 'id' | 'repeated'> }): Promise<'saved' | 'revoked'> {
    if (tokens.length === 0) return Promise.resolve('saved');
    // Not an async function awaiting the insert inside try: on every grant, that was one more suspension.
    return this.insertTokens(tokens, options).catch(async (err: unknown) => {
      if (!isForeignKeyViolation(err)) throw err;
      // The user or the app was deleted while the grant was in flight: a deletion ends access like a
      // revocation, so nothing is handed out (and the audit entry written beside the tokens goes too).
      if (options.audit) {
        await this.db.deleteFrom('audit_log').where('action', '=', options.audit.action).where('at', '=', options.audit.at)
          .where('details', '=', JSON.stringify(options.audit.details)).execute();
      }
      return 'revoked' as const;
    });
  }

  private async insertTokens(tokens: TokenRecord[], options: { now: Millis; maxDeviceFamilies: number; audit?: Omit<AuditEntry, 'id' | 'repeated'> }): Promise<'saved' | 'revoked'> {
    const first = tokens[0]!;
    const rows = tokens.map((t) => fromToken(t, t.generation ?? generationOf(t.userId, t.clientId)));
    const capped = first.deviceId !== null && first.userId !== null;
    const audit = options.audit && auditRow(options.audit);
    if (!capped) {
      // Fixed statements (hot-writes.ts) when every token carries the generation it is issued under, as a
      // grant's do; else Kysely's, whose insert reads the current generation itself (`generationOf`).
      const fixed = tokens.every((t) => t.generation !== undefined);
      if (fixed && this.grants !== null && this.units.current() === null) {
        // PostgreSQL's pool: with the grants asked for beside it, one statement and one commit for all, then
        // one check for all, sent as `issuedAfter` sends one grant's (grant-batches.ts).
        return this.settleIssued(tokens, await this.grants.issue({ rows, audit }), options.now);
      }
      // PostgreSQL: one statement, the audit entry written by a data-modifying CTE of the insert. SQLite: two,
      // run together in one group commit (one fsync).
      let writes: CompiledQuery[];
      if (this.postgres) {
        if (fixed) writes = [this.grantWrite({ rows, audit })];
        else if (audit === undefined) writes = [this.base.insertInto('tokens').values(rows).compile()];
        else writes = [this.base.with('audit_entry', (db) => db.insertInto('audit_log').values(audit)).insertInto('tokens').values(rows).compile()];
      } else {
        writes = [fixed ? this.writes.tokens(rows) : this.base.insertInto('tokens').values(rows).compile()];
        if (audit !== undefined) writes.push(this.writes.audit(audit));
      }
      if (this.units.current() === null && this.prepared.pipelines) {
        // The check's read right behind the writes (`PreparedReads.firstAfter`): on PostgreSQL sent in the
        // same round trip, running once they have committed; on SQLite in their group commit, holding the
        // write lock. Either way nothing committed before the tokens escapes it, which is what makes the
        // check sound (`checkIssued`).
        return this.settleIssued(tokens, await this.prepared.issuedAfter(writes, first.hash), options.now);
      }
      // In a unit (through its transaction), or without a driver that can: the writes, then the check.
      await Promise.all(writes.map((w) => this.db.executeQuery(w)));
      return this.checkIssued(tokens, options.now);
    }
    await transact(this.db, async (trx) => {
      await trx.insertInto('tokens').values(rows).execute();
      if (audit !== undefined) await trx.insertInto('audit_log').values(audit).execute();
      // docs/protocol.md §4: at most N device-bound token families per user and app; the oldest go first.
      // The family just issued always stays, even when others share its millisecond (or a
      // skewed clock made them look newer): it is never handed out already revoked.
      const live = await trx
        .selectFrom('tokens')
        .select(['family_id', (eb) => eb.fn.max('created_at').as('newest')])
        .where('user_id', '=', first.userId).where('client_id', '=', first.clientId)
        .where('device_id', 'is not', null).where('revoked_at', 'is', null).where('expires_at', '>', options.now)
        .where('family_id', '!=', first.familyId)
        .groupBy('family_id')
        .orderBy('newest', 'desc')
        .execute();
      const excess = live.slice(Math.max(0, options.maxDeviceFamilies - 1)).map((r) => r.family_id);
      if (excess.length > 0) {
        await trx.updateTable('tokens').set({ revoked_at: options.now })
          .where('family_id', 'in', excess).where('revoked_at', 'is', null).execute();
      }
    });
    return this.checkIssued(tokens, options.now);
  }

  /**
   * Checked after every insert, in one query: whoever revokes a family, a
   * user, an app or a grant records it (`revoked_families`, a generation, a
   * status) before revoking tokens, and whoever issues looks after inserting:
   * once the insert has committed (here; on PostgreSQL under READ COMMITTED),
   * or inside the insert's own transaction while it holds SQLite's write lock
   * (`issuedAfter`), so that no revocation can commit between the insert and
   * the look without the look seeing it. So in every interleaving, on SQLite
   * and on PostgreSQL alike, either this read sees the revocation and revokes
   * the new tokens, or the revocation's UPDATE started after they were
   * committed and revoked them itself.
   */
  private async checkIssued(tokens: TokenRecord[], now: Millis): Promise<'saved' | 'revoked'> {
    // One fixed statement (hot-reads.ts): the token joined with its user, app, grant generation and family mark.
    return this.settleIssued(tokens, await this.hot.issued(tokens[0]!.hash), now);
  }

  /** `checkIssued`'s verdict on what its read saw, `seen` (null: the token is not there). */
  private async settleIssued(tokens: TokenRecord[], seen: IssuedRow | null, now: Millis): Promise<'saved' | 'revoked'> {
    const first = tokens[0]!;
    if (seen !== null && seen.familyRevoked !== null) await this.revokeFamilyTokens(first.familyId, num(seen.familyRevoked));
    const ended = !seen || num(seen.generation) !== num(seen.currentGeneration) || seen.appStatus !== 'active' || (first.userId !== null && seen.userStatus !== 'active');
    if (!ended) return 'saved';
    await this.db.updateTable('tokens').set({ revoked_at: now })
      .where('hash', 'in', tokens.map((t) => t.hash)).where('revoked_at', 'is', null).execute();
    return 'revoked';
  }

  private async revokeFamilyTokens(familyId: string, at: Millis): Promise<void> {
    await this.db.updateTable('tokens').set({ revoked_at: at })
      .where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
  }

  async findToken(hash: SecretHash): Promise<TokenRecord | null> {
    return (await this.findTokenWithOwners(hash))?.token ?? null;
  }

  async findTokenWithOwners(hash: SecretHash): Promise<TokenWithOwners | null> {
    // The revocation marks and the owners' row versions in the same statement: every use of a token
    // (/info, /userinfo, /introspect, /token, /revoke) sees them.
    const hot = this.hot;
    const row = await hot.token(hash);
    return row === null ? null : this.withOwners(hot, row);
  }

  async findTokenForClient(hash: SecretHash, clientId: ClientId): Promise<TokenForClient> {
    const hot = this.hot;
    const { row, callerVersion } = await hot.tokenFor(hash, clientId);
    const found = row === null ? null : await this.withOwners(hot, row);
    const client = callerVersion === null ? null : this.cachedApps.get(clientId, callerVersion) ?? await this.readApp(hot, clientId);
    return { found, client };
  }

  get answersAtOnce(): boolean {
    return this.prepared.answersAtOnce;
  }

  findTokenWithOwnersNow(hash: SecretHash): TokenWithOwners | null | undefined {
    const row = this.hot.tokenNow(hash);
    return row === undefined || row === null ? row : this.withCachedOwners(row);
  }

  findTokenForClientNow(hash: SecretHash, clientId: ClientId): TokenForClient | undefined {
    const read = this.hot.tokenForNow(hash, clientId);
    if (read === undefined) return undefined;
    const found = read.row === null ? null : this.withCachedOwners(read.row);
    const client = read.callerVersion === null ? null : this.cachedApps.get(clientId, read.callerVersion);
    return found === undefined || client === undefined ? undefined : { found, client };
  }

  /** A token's row with its user and app from the cache at the versions the row names; undefined when one is not there. */
  private withCachedOwners(row: TokenRow): TokenWithOwners | undefined {
    const { user_id: userId, client_id: clientId } = row.token;
    const user = userId === null || row.userVersion === null ? null : this.cachedUsers.get(userId, row.userVersion);
    const app = row.appVersion === null ? null : this.cachedApps.get(clientId, row.appVersion);
    return user === undefined || app === undefined ? undefined : { token: toToken(row.token, row.currentGeneration), user, app };
  }

  /** A token's row with its user and app: from the cache at the versions the row names, else read whole. */
  private async withOwners(hot: HotReads, row: TokenRow): Promise<TokenWithOwners> {
    const { user_id: userId, client_id: clientId } = row.token;
    const user = userId === null || row.userVersion === null ? null
      : this.cachedUsers.get(userId, row.userVersion) ?? await this.readUser(hot, userId);
    const app = row.appVersion === null ? null : this.cachedApps.get(clientId, row.appVersion) ?? await this.readApp(hot, clientId);
    return { token: toToken(row.token, row.currentGeneration), user, app };
  }

  async rotateRefreshToken(hash: SecretHash, now: Millis): Promise<ConsumeResult<TokenRecord>> {
    // Never a revoked one: a refresh read just before a revocation must not rotate after it. One fixed
    // statement (hot-writes.ts): building and compiling this update through Kysely cost more than running it.
    const won = (await this.db.executeQuery<Selectable<TokensTable>>(this.writes.rotateRefresh(hash, now))).rows[0];
    if (won) return { outcome: 'consumed', record: toToken(won) };
    const seen = await this.findToken(hash);
    return seen && seen.type === 'refresh' ? { outcome: 'already_consumed', record: seen } : { outcome: 'not_found' };
  }

  async revokeFamily(familyId: string, now: Millis): Promise<void> {
    await this.db.insertInto('revoked_families').values({ family_id: familyId, revoked_at: now })
      .onConflict((oc) => oc.column('family_id').doNothing()).execute();
    await this.revokeFamilyTokens(familyId, now);
  }

  async revokeAccess(scope: RevocationScope, now: Millis): Promise<void> {
    const { userId, clientId } = scope;
    // The mark first, in a statement of its own: once it is committed nothing issued before
    // works, and what a racing request stores after it is revoked by that request's own check.
    if (userId !== undefined && clientId !== undefined) {
      await this.db.insertInto('grant_generations').values({ user_id: userId, client_id: clientId, generation: 1 })
        .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({ generation: sql`grant_generations.generation + 1` }))
        .execute();
    } else if (userId !== undefined) {
      await this.db.updateTable('users').set({ token_generation: sql`token_generation + 1` }).where('id', '=', userId).execute();
    } else if (clientId !== undefined) {
      await this.db.updateTable('apps').set({ token_generation: sql`token_generation + 1` }).where('client_id', '=', clientId).execute();
    }
    let codes = this.db.deleteFrom('auth_codes').where('consumed_at', 'is', null);
    let devices = this.db.deleteFrom('device_codes').where('consumed_at', 'is', null);
    let live = this.db.updateTable('tokens').set({ revoked_at: now }).where('revoked_at', 'is', null);
    if (userId !== undefined) {
      codes = codes.where('user_id', '=', userId);
      devices = devices.where('user_id', '=', userId);
      live = live.where('user_id', '=', userId);
    }
    if (clientId !== undefined) {
      codes = codes.where('client_id', '=', clientId);
      devices = devices.where('client_id', '=', clientId);
      live = live.where('client_id', '=', clientId);
    }
    await codes.execute();
    await devices.execute();
    await live.execute();
  }

  async listTokens(q: TokenQuery): Promise<TokenRecord[]> {
    let query = this.db.selectFrom('tokens').selectAll();
    if (q.clientId !== undefined) query = query.where('client_id', '=', q.clientId);
    if (q.userId !== undefined) query = query.where('user_id', '=', q.userId);
    if (q.type !== undefined) query = query.where('type', '=', q.type);
    if (q.isDebug !== undefined) query = query.where('is_debug', '=', q.isDebug ? 1 : 0);
    if (q.deviceBound !== undefined) query = query.where('device_id', q.deviceBound ? 'is not' : 'is', null);
    if (q.activeAt !== undefined) query = query.where('revoked_at', 'is', null).where('expires_at', '>', q.activeAt);
    const rows = await query.orderBy('created_at', 'desc').orderBy('hash').limit(q.limit ?? 1000).execute();
    return rows.map(toToken);
  }

  async appTokenStats(clientId: ClientId, now: Millis): Promise<AppTokenStats> {
    const live = this.db.selectFrom('tokens')
      .where('client_id', '=', clientId).where('revoked_at', 'is', null).where('expires_at', '>', now);
    const [tokens, users] = await Promise.all([
      live.select((eb) => eb.fn.countAll().as('n')).where('type', '=', 'access').executeTakeFirstOrThrow(),
      live.select((eb) => eb.fn.count('user_id').distinct().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { activeTokens: num(tokens.n as number | string), users: num(users.n as number | string) };
  }

  // Device authorization

  async createDeviceCode(d: DeviceCodeRecord): Promise<void> {
    await this.db
      .insertInto('device_codes')
      .values({
        hash: d.hash, user_code_hash: d.userCodeHash, client_id: d.clientId, scopes: joinScopes(d.scopes),
        optional_scopes: joinScopes(d.optionalScopes), device_id: d.deviceId, device_name: d.deviceName,
        status: d.status, user_id: d.userId, granted_scopes: d.grantedScopes === null ? null : joinScopes(d.grantedScopes),
        auth_time: d.authTime, amr: joinScopes(d.amr), interval_seconds: d.intervalSeconds, last_polled_at: d.lastPolledAt, slow_down: 0,
        family_id: d.familyId, created_at: d.createdAt, expires_at: d.expiresAt, consumed_at: d.consumedAt,
      })
      .execute();
  }

  async findPendingDeviceCode(userCodeHash: SecretHash, now: Millis): Promise<DeviceCodeRecord | null> {
    const row = await this.db
      .selectFrom('device_codes').selectAll()
      .where('user_code_hash', '=', userCodeHash).where('status', '=', 'pending').where('expires_at', '>', now)
      .executeTakeFirst();
    return row ? toDeviceCode(row) : null;
  }

  async decideDeviceCode(userCodeHash: SecretHash, d: DeviceDecision, now: Millis): Promise<boolean> {
    const result = await this.db
      .updateTable('device_codes')
      .set({
        status: d.approved ? 'approved' : 'denied', user_id: d.userId, granted_scopes: joinScopes(d.grantedScopes), auth_time: d.authTime, amr: joinScopes(d.amr),
        generation: generationOf(d.userId, sql.ref('device_codes.client_id')),
      })
      .where('user_code_hash', '=', userCodeHash).where('status', '=', 'pending').where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async pollDeviceCode(hash: SecretHash, clientId: ClientId, now: Millis): Promise<PollResult | null> {
    // One statement: every SET expression sees the row as it was, so the
    // too-soon test and the interval growth cannot race with another poll.
    const tooSoon = sql<boolean>`last_polled_at is not null and cast(${now} as bigint) - last_polled_at < interval_seconds * 1000`;
    const row = await this.db
      .updateTable('device_codes')
      .set({
        slow_down: sql`case when ${tooSoon} then 1 else 0 end`,
        interval_seconds: sql`case when ${tooSoon} then interval_seconds + 5 else interval_seconds end`,
        last_polled_at: now,
      })
      .where('hash', '=', hash).where('client_id', '=', clientId)
      .returningAll()
      .executeTakeFirst();
    return row ? { record: toDeviceCode(row), slowDown: num(row.slow_down) === 1 } : null;
  }

  async consumeDeviceCode(hash: SecretHash, now: Millis): Promise<ConsumeResult<DeviceCodeRecord>> {
    const won = await this.db
      .updateTable('device_codes').set({ consumed_at: now })
      .where('hash', '=', hash).where('status', '=', 'approved').where('consumed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (won) return { outcome: 'consumed', record: toDeviceCode(won) };
    const seen = await this.db.selectFrom('device_codes').selectAll().where('hash', '=', hash).executeTakeFirst();
    return seen ? { outcome: 'already_consumed', record: toDeviceCode(seen) } : { outcome: 'not_found' };
  }

  // Attempt counters

  async countAttempt(key: string, windowMs: number, now: Millis): Promise<number> {
    const [count] = await this.countAttempts([{ key, windowMs }], now);
    return count!;
  }

  async countAttempts(attempts: readonly AttemptKey[], now: Millis): Promise<number[]> {
    // One statement for every key, with the keys in one order: a second request
    // counting the same keys waits for this one on the first row it shares, so
    // two requests never each pass one limit and fail the other.
    const keys = [...new Map(attempts.map((a) => [a.key, a.windowMs])).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length === 0) return [];
    const windows = keys.flatMap(([key, windowMs]) => [key, now - windowMs]);
    const query = this.statements.countAttempts(now, ...windows);
    const { rows } = this.postgres && !this.inUnit() ? await this.countedAhead(query) : await this.db.executeQuery(query);
    const counts = new Map(rows.map((r) => [r.key, num(r.count)]));
    return attempts.map((a) => counts.get(a.key)!);
  }

  /**
   * On PostgreSQL, the counters' statement in a transaction of its own whose
   * commit does not wait for the log to reach the disk (`synchronous_commit`
   * off for it alone). A counter many requests share (one address's, and
   * behind a proxy every request has the proxy's) is locked from the
   * statement to the end of its commit; waiting for the disk there made
   * every request counted under it wait in line, one sync each, holding a
   * pooled connection that the token checks were then queued behind. The
   * count is visible to every process once this returns, as before, so the
   * limits hold across processes. It reaches the disk with the next commit
   * that waits for it (the log is written in order; PostgreSQL's log writer
   * also flushes within a fraction of a second by itself). A sign-in writes
   * such a commit (its session or its audit entry) before it is answered, so
   * its counts are on disk by then; for a limit counted without a write
   * after it, a crash of the database in that fraction of a second could
   * forget the last counts, as an attempt the limit never saw. SQLite's
   * group commit locks nothing per row: there it is one statement, as it
   * is inside a caller's unit, which commits it with the rest.
   */
  private countedAhead<R>(query: CompiledQuery<R>): Promise<QueryResult<R>> {
    return this.base.transaction().execute(async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      return trx.executeQuery(query);
    });
  }

  async peekAttempts(key: string, windowMs: number, now: Millis): Promise<number> {
    const row = await this.db
      .selectFrom('attempt_counters').select('count')
      .where('key', '=', key).where('window_start', '>', now - windowMs)
      .executeTakeFirst();
    return row ? num(row.count) : 0;
  }

  async resetAttempts(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.executeQuery(this.statements.resetAttempts(...keys));
  }

  async forgiveAttempt(key: string): Promise<void> {
    await this.db.executeQuery(this.statements.forgiveAttempt(key));
  }

  // Signing keys

  // Personalisation grants

  async createSuggestGrant(g: SuggestGrantRecord): Promise<void> {
    await this.db
      .insertInto('suggest_grants')
      .values({
        hash: g.hash, user_id: g.userId, client_id: g.clientId, origin: g.origin, session_hash: g.sessionHash,
        created_at: g.createdAt, expires_at: g.expiresAt,
      })
      .execute();
  }

  async findSuggestGrant(hash: SecretHash, now: Millis): Promise<SuggestGrantRecord | null> {
    const r = await this.db
      .selectFrom('suggest_grants').selectAll()
      .where('hash', '=', hash).where('expires_at', '>', now)
      .executeTakeFirst();
    if (!r) return null;
    return {
      hash: r.hash as SecretHash, userId: r.user_id as UserId, clientId: r.client_id as ClientId, origin: r.origin,
      sessionHash: r.session_hash as SecretHash, createdAt: num(r.created_at), expiresAt: num(r.expires_at),
    };
  }

  async deleteSuggestGrants(userId: UserId, clientId?: ClientId): Promise<void> {
    let query = this.db.deleteFrom('suggest_grants').where('user_id', '=', userId);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    await query.execute();
  }

  // Audit log

  async appendAudit(e: Omit<AuditEntry, 'id' | 'repeated'>, repeatKey?: string, events: readonly WebhookEventRecord[] = []): Promise<AppendedAudit> {
    const values = auditRow(e, repeatKey);
    const insert = (db: Kysely<Database>) => db
      .insertInto('audit_log')
      .values(values)
      // One statement, so parallel repeats from any process are all counted (the unique index decides).
      // The index holds only entries with a key (0031-partial-owner-indexes.ts): the conflict target names its condition.
      .$if(repeatKey !== undefined, (q) => q.onConflict((oc) => oc.column('repeat_key').where('repeat_key', 'is not', null).doUpdateSet((eb) => ({
        count: eb('audit_log.count', '+', 1),
        last_at: e.at,
      }))))
      .returning('id');
    // An entry without a repeat key is written as it is (the fixed statement grants use, hot-writes.ts): its id is its own.
    const plain = repeatKey === undefined;
    if (events.length === 0) {
      if (plain) {
        await this.db.executeQuery(this.writes.audit(values));
        return { id: values.id, deliveries: 0 };
      }
      return { id: (await insert(this.db).executeTakeFirstOrThrow()).id, deliveries: 0 };
    }
    // The webhook events this entry causes, and their deliveries, exist exactly when the entry does
    // (src/storage/webhook-store.ts): no crash can keep one without the other.
    const eventRows = events.map(eventValues);
    if (this.postgres) {
      const row = plain
        // As every sign-in writes one: compiled once, and kept prepared.
        ? (await this.db.executeQuery(this.auditWithEvents(...AUDIT_COLUMNS.map((c) => values[c]), ...eventRows.flatMap(eventArguments)))).rows[0]!
        : await withEvents(this.db, eventRows, insert).executeTakeFirstOrThrow();
      return { id: row.id, deliveries: Number(row.deliveries) };
    }
    // Issued in the same turn of the event loop, they all join the same group commit (src/storage/sqlite-group-commit.ts).
    const statements = this.eventStatements;
    const [id, , ...delivered] = await Promise.all([
      plain ? this.db.executeQuery(this.writes.audit(values)).then(() => values.id) : insert(this.db).executeTakeFirstOrThrow().then((row) => row.id),
      this.db.executeQuery(statements.events(...eventRows.flatMap((v) => [v.id, v.type, v.at, v.body]))),
      ...eventRows.map((v) => this.db.executeQuery(statements.deliveries(v.idPrefix, v.id, v.at, v.quotedType))),
    ]);
    return { id, deliveries: delivered.reduce((n, r) => n + Number(r.numAffectedRows ?? 0n), 0) };
  }

  async listAudit(q: AuditQuery = {}): Promise<AuditEntry[]> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (q.userId !== undefined) query = query.where('user_id', '=', q.userId);
    if (q.clientId !== undefined) query = query.where('client_id', '=', q.clientId);
    if (q.action !== undefined) query = query.where('action', '=', q.action);
    if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
    const limit = Math.max(1, Math.min(10_000, Math.floor(q.limit ?? 100)));
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toAuditEntry);
  }

  // Pictures

  async saveImages(images: ImageRecord[]): Promise<void> {
    if (images.length === 0) return;
    await transact(this.db, async (trx) => {
      for (const i of images) {
        await trx.insertInto('images')
          .values({ id: i.id, variant: i.variant, content_type: i.contentType, data: i.data, created_at: i.createdAt })
          .onConflict((oc) => oc.columns(['id', 'variant']).doUpdateSet({ content_type: i.contentType, data: i.data, created_at: i.createdAt }))
          .execute();
      }
    });
  }

  async findImage(id: string, variant: string): Promise<ImageRecord | null> {
    const r = await this.db.selectFrom('images').selectAll().where('id', '=', id).where('variant', '=', variant).executeTakeFirst();
    if (!r) return null;
    return { id: r.id, variant: r.variant, contentType: r.content_type, data: Buffer.from(r.data), createdAt: num(r.created_at) };
  }

  async deleteImages(id: string): Promise<void> {
    await this.db.deleteFrom('images').where('id', '=', id).execute();
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
    return rows.map((r) => ({
      kid: r.kid, alg: r.alg, privateJwkSealed: r.private_jwk_sealed, publicJwk: r.public_jwk,
      createdAt: num(r.created_at), activatesAt: num(r.activates_at), retiredAt: numOrNull(r.retired_at),
    }));
  }

  async addSigningKey(k: SigningKeyRecord): Promise<boolean> {
    // The unique index on open keys (migration 0012) refuses a second one: the loser of a race stores nothing.
    const result = await this.db.insertInto('signing_keys').values(fromSigningKey(k)).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async rotateSigningKey(next: SigningKeyRecord): Promise<void> {
    await transact(this.db, async (trx) => {
      await trx.updateTable('signing_keys').set({ retired_at: next.activatesAt })
        .where('alg', '=', next.alg).where('retired_at', 'is', null).execute();
      await trx.insertInto('signing_keys').values(fromSigningKey(next)).execute();
    });
  }

  async deleteExpired(now: Millis, o: { tokensBefore: Millis; familiesBefore: Millis; countersBefore: Millis; auditBefore?: Millis }): Promise<number> {
    const results = await Promise.all([
      this.db.deleteFrom('auth_codes').where('expires_at', '<', now).executeTakeFirst(),
      this.db.deleteFrom('device_codes').where('expires_at', '<', now).executeTakeFirst(),
      this.db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst(),
      this.db.deleteFrom('suggest_grants').where('expires_at', '<', now).executeTakeFirst(),
      this.db.deleteFrom('tokens').where('expires_at', '<', o.tokensBefore).executeTakeFirst(),
      this.db.deleteFrom('attempt_counters').where('window_start', '<', o.countersBefore).executeTakeFirst(),
      this.db.deleteFrom('revoked_families').where('revoked_at', '<', o.familiesBefore).executeTakeFirst(),
      this.db.deleteFrom('client_assertion_ids').where('expires_at', '<', now).executeTakeFirst(),
      this.db.deleteFrom('initial_access_tokens').where('expires_at', '<', now).executeTakeFirst(),
      this.db.deleteFrom('dpop_proofs').where('expires_at', '<', now).executeTakeFirst(),
      this.db.deleteFrom('pushed_requests').where('expires_at', '<', now).executeTakeFirst(),
      ...(o.auditBefore !== undefined ? [this.db.deleteFrom('audit_log').where('at', '<', o.auditBefore).executeTakeFirst()] : []),
    ]);
    return results.reduce((sum, r) => sum + Number(r.numDeletedRows), 0);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  writesRefusedUntilRestart(): string | null {
    return this.writesRefused()?.message ?? null;
  }

  async close(): Promise<void> {
    try {
      await this.base.destroy();
    } finally {
      await this.reads?.close?.();
    }
  }
}
