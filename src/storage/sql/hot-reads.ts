/**
 * The reads every request of the hot endpoints makes, as fixed statements
 * (prepared-reads.ts).
 *
 * The token check every use of a token makes (/info, /userinfo, /introspect,
 * /token, /revoke) is one statement: the token, the row versions of its user
 * and app, and the revocation generation, on primary keys. The user and app
 * records come from the process's cache when their versions match
 * (record-cache.ts) and are read whole only when they do not, so the common
 * check converts a token row and two numbers; nothing about a token's
 * validity is ever cached. The app by its client_id is what every client
 * authentication reads, the same way. A client that authenticates to act on
 * a token (introspection, a refresh) has its app's version read in the
 * token's statement (`tokenFor`).
 */
import type { CompiledQuery, Kysely, Selectable } from 'kysely';
import type { AppsTable, Database, TokensTable, UsersTable } from './schema.js';
import { refused, WriteRefused, type PreparedReads, type Row } from './prepared-reads.js';

/** Every column of each table, as an object so that the compiler says when a migration adds one and it is missing here. */
type Columns<T> = { readonly [K in keyof T]-?: true };

const TOKEN: Columns<TokensTable> = {
  hash: true, type: true, client_id: true, user_id: true, scopes: true, family_id: true, device_id: true, device_name: true,
  is_debug: true, auth_time: true, amr: true, created_at: true, expires_at: true, revoked_at: true, rotated_at: true, generation: true,
  resources: true, jkt: true,
};
const USER: Columns<UsersTable> = {
  id: true, login: true, password_hash: true, first_name: true, last_name: true, display_name: true, sex: true, birthday: true,
  emails: true, default_email: true, default_phone: true, confirmed_emails: true, confirmed_phone: true, avatar_id: true,
  is_developer: true, is_admin: true, status: true, created_at: true, updated_at: true, token_generation: true, row_version: true,
};
const APP: Columns<AppsTable> = {
  client_id: true, secret_hash: true, secret_sealed: true, name: true, description: true, icon_url: true, owner_id: true,
  platforms: true, redirect_uris: true, suggest_hostnames: true, scopes: true, optional_scopes: true, access_token_ttl: true,
  id_token_alg: true, require_two_step: true, post_logout_redirect_uris: true, introspects: true, status: true, first_party: true,
  blocked_by: true, require_dpop: true, require_par: true, created_at: true, updated_at: true, token_generation: true,
  token_endpoint_auth_method: true, jwks: true, jwks_uri: true, registration_token_hash: true, row_version: true,
};

export const TOKEN_COLUMNS = Object.keys(TOKEN);
export const USER_COLUMNS = Object.keys(USER) as (keyof UsersTable & string)[];
const APP_COLUMNS = Object.keys(APP);

export interface TokenRow {
  token: Selectable<TokensTable>;
  /** The user's, app's and grant's generations added up now (`RevocationScope`): a token issued under another is revoked. */
  currentGeneration: number | string;
  /** The user's row version now (migration 0029); null for an app's own token, or when the user is gone. */
  userVersion: number | string | null;
  /** The app's row version now; null when the app is gone. */
  appVersion: number | string | null;
}

/** `HotReads.tokenFor`'s answer: the token's row (null when there is none) and the version of the app the caller named. */
export interface TokenForRow {
  row: TokenRow | null;
  /** The named app's row version now; null when there is no such app. */
  callerVersion: number | string | null;
}

export interface IssuedRow {
  generation: number | string;
  currentGeneration: number | string;
  userStatus: string | null;
  appStatus: string | null;
  familyRevoked: number | string | null;
}

/** One table's share of a joined row, from position `start`, as the table's own row. */
function part<T>(row: Row, start: number, columns: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) out[columns[i]!] = row[start + i];
  return out as T;
}

/** The token check's columns after the token's: the user's and the app's row versions (null when the left join found no row), the generation. */
const USER_VERSION_AT = TOKEN_COLUMNS.length;

export class HotReads {
  private readonly text: string;
  private readonly forText: string;
  private readonly appText: string;
  private readonly appVersionText: string;
  private readonly userText: string;
  private readonly issuedText: string;
  private readonly issuedAllText: string;

  constructor(private readonly reads: PreparedReads) {
    // A missing user, app or grant counts 0, as in `generationOf` (sql-storage.ts): each counter only grows.
    const checked = [
      // Names unique across the tables, for a driver that answers with objects (`kyselyReads`).
      ...TOKEN_COLUMNS.map((c) => `t.${c} as t_${c}`),
      'u.row_version as user_version',
      'a.row_version as app_version',
      'coalesce(u.token_generation, 0) + coalesce(a.token_generation, 0) + coalesce(g.generation, 0) as current_generation',
    ].join(', ');
    const owners = `left join users u on u.id = t.user_id
      left join apps a on a.client_id = t.client_id
      left join grant_generations g on g.user_id = t.user_id and g.client_id = t.client_id`;
    this.text = `select ${checked} from tokens t ${owners} where t.hash = ${reads.parameter(1)}`;
    // One row whether or not the token exists: the named app's version is read the same way either way, so the
    // statement's cost does not depend on whose the token is.
    this.forText = `select ${checked}, c.row_version as caller_version
      from (select cast(${reads.parameter(1)} as text) as hash, cast(${reads.parameter(2)} as text) as client_id) k
      left join tokens t on t.hash = k.hash
      ${owners}
      left join apps c on c.client_id = k.client_id`;
    this.appText = `select ${APP_COLUMNS.join(', ')} from apps where client_id = ${reads.parameter(1)}`;
    this.appVersionText = `select row_version from apps where client_id = ${reads.parameter(1)}`;
    this.userText = `select ${USER_COLUMNS.join(', ')} from users where id = ${reads.parameter(1)}`;
    const issued = `select t.generation,
        coalesce(u.token_generation, 0) + coalesce(a.token_generation, 0) + coalesce(g.generation, 0) as current_generation,
        u.status as user_status, a.status as app_status, f.revoked_at as family_revoked
      from tokens t
      left join users u on u.id = t.user_id
      left join apps a on a.client_id = t.client_id
      left join grant_generations g on g.user_id = t.user_id and g.client_id = t.client_id
      left join revoked_families f on f.family_id = t.family_id`;
    this.issuedText = `${issued} where t.hash = ${reads.parameter(1)}`;
    // The same for many tokens at once (PostgreSQL only: an array parameter), each row led by its token's hash.
    // Each hash is looked up on its own, by the very plan of the statement above: the LIMIT keeps the planner
    // from folding the lookup into a join over the whole array, whose plan, made once per connection while the
    // tables were small (a new database), scanned every token at each check once they were not.
    this.issuedAllText = `select h.hash, i.* from unnest(${reads.parameter(1)}::varchar[]) as h(hash)
      cross join lateral (${issued} where t.hash = h.hash limit 1) i`;
  }

  /**
   * What a token just stored is issued under, read after it was committed
   * (`SqlStorage.checkIssued`): its generation and the current one, its
   * user's and app's status, and its family's revocation time.
   */
  async issued(hash: string): Promise<IssuedRow | null> {
    return this.toIssued(await this.reads.first('issued', this.issuedText, [hash]));
  }

  /** Whether `issuedAfter` can be used (PostgreSQL's pool, SQLite's group commit: `PreparedReads.firstAfter`). */
  get pipelines(): boolean {
    return this.reads.firstAfter !== undefined;
  }

  /**
   * `writes` (the statements that store the token), then `issued`'s read of
   * it such that nothing committed before them escapes it
   * (`PreparedReads.firstAfter`).
   */
  async issuedAfter(writes: readonly CompiledQuery[], hash: string): Promise<IssuedRow | null> {
    return this.toIssued(await this.reads.firstAfter!(writes, 'issued', this.issuedText, [hash]));
  }

  /** Whether `tokenNow` and `tokenForNow` can answer (SQLite's reading connection: `PreparedReads.firstNow`). */
  get answersAtOnce(): boolean {
    return this.reads.firstNow !== undefined;
  }

  /** Whether `issuedAllAfter` can be used (PostgreSQL's pool: `PreparedReads.rowsAfter`). */
  get batches(): boolean {
    return this.reads.rowsAfter !== undefined;
  }

  /**
   * `write` (the statement that stores several grants' tokens), then
   * `issued`'s read of each token in `hashes`, in one round trip, the read
   * starting once the write has committed: by hash, what each is issued
   * under (a token not there has no entry). Rejects with `WriteRefused` when
   * the server refused the write (`PreparedReads.rowsAfter`).
   */
  async issuedAllAfter(write: CompiledQuery, hashes: readonly string[]): Promise<Map<string, IssuedRow>> {
    const rows = await this.reads.rowsAfter!(write, 'issued_all', this.issuedAllText, [hashes]);
    const seen = new Map<string, IssuedRow>();
    for (const row of rows) seen.set(row[0] as string, this.toIssued(row.slice(1))!);
    return seen;
  }

  /**
   * The rows of `write`, one of hot-writes.ts's fixed statements: prepared by
   * name where the driver can (`PreparedReads.write`), else through Kysely's
   * driver, `db`.
   */
  async write<R>(db: Kysely<Database>, write: CompiledQuery): Promise<R[]> {
    if (this.reads.write !== undefined) return (await this.reads.write(write)) as R[];
    return (await db.executeQuery<R>(write)).rows as R[];
  }

  /**
   * PostgreSQL's pool only (where `write` prepares by name): the rows of
   * `write` as `write` returns them, rejecting with `WriteRefused` when the
   * server refused it (an ERROR: its implicit transaction rolled back, so
   * nothing of it was kept). Any other failure is thrown as it came.
   */
  async writeOrRefuse<R>(write: CompiledQuery): Promise<R[]> {
    if (this.reads.write === undefined) throw new Error('only a driver that prepares writes tells a refusal apart');
    try {
      return (await this.reads.write(write)) as R[];
    } catch (err) {
      throw refused(err) ? new WriteRefused(err) : err;
    }
  }

  private toIssued(row: Row | undefined): IssuedRow | null {
    if (row === undefined) return null;
    return {
      generation: row[0] as number | string, currentGeneration: row[1] as number | string,
      userStatus: row[2] as string | null, appStatus: row[3] as string | null, familyRevoked: row[4] as number | string | null,
    };
  }

  async app(clientId: string): Promise<Selectable<AppsTable> | null> {
    const row = await this.reads.first('app', this.appText, [clientId]);
    return row === undefined ? null : part(row, 0, APP_COLUMNS);
  }

  /** The app's row version now, or undefined when there is no such app. */
  async appVersion(clientId: string): Promise<number | string | undefined> {
    return (await this.reads.first('app_version', this.appVersionText, [clientId]))?.[0] as number | string | undefined;
  }

  async user(id: string): Promise<Selectable<UsersTable> | null> {
    const row = await this.reads.first('user', this.userText, [id]);
    return row === undefined ? null : part(row, 0, USER_COLUMNS);
  }

  async token(hash: string): Promise<TokenRow | null> {
    const row = await this.reads.first('token_with_owners', this.text, [hash]);
    return row === undefined ? null : toTokenRow(row);
  }

  /** `token`, answered before returning where the driver can (`PreparedReads.firstNow`); undefined where it cannot. */
  tokenNow(hash: string): TokenRow | null | undefined {
    if (this.reads.firstNow === undefined) return undefined;
    const row = this.reads.firstNow('token_with_owners', this.text, [hash]);
    return row === undefined ? null : toTokenRow(row);
  }

  /**
   * `token`, and the row version of the app `clientId` names, in one
   * statement: what a client authenticating to act on a token reads.
   */
  async tokenFor(hash: string, clientId: string): Promise<TokenForRow> {
    return toTokenForRow((await this.reads.first('token_for_client', this.forText, [hash, clientId]))!);
  }

  /** `tokenFor`, answered before returning where the driver can (`PreparedReads.firstNow`); undefined where it cannot. */
  tokenForNow(hash: string, clientId: string): TokenForRow | undefined {
    if (this.reads.firstNow === undefined) return undefined;
    return toTokenForRow(this.reads.firstNow('token_for_client', this.forText, [hash, clientId])!);
  }
}

function toTokenForRow(row: Row): TokenForRow {
  return {
    // The token's hash is its primary key: null only when the left join found no token.
    row: row[0] === null ? null : toTokenRow(row),
    callerVersion: row[USER_VERSION_AT + 3] as number | string | null,
  };
}

/**
 * The token's share of a token check's row, its columns in `TOKEN_COLUMNS`' order (test/storage/hot-reads.test.ts
 * holds the two together). Written out, not built by `part`: every check makes one, and an object built key by
 * computed key cost thirty times as much (0.29 against 0.01 µs).
 */
export function tokenOf(row: Row): Selectable<TokensTable> {
  return {
    hash: row[0], type: row[1], client_id: row[2], user_id: row[3], scopes: row[4], family_id: row[5], device_id: row[6],
    device_name: row[7], is_debug: row[8], auth_time: row[9], amr: row[10], created_at: row[11], expires_at: row[12],
    revoked_at: row[13], rotated_at: row[14], generation: row[15], resources: row[16], jkt: row[17],
  } as Selectable<TokensTable>;
}

function toTokenRow(row: Row): TokenRow {
  return {
    token: tokenOf(row),
    userVersion: row[USER_VERSION_AT] as number | string | null,
    appVersion: row[USER_VERSION_AT + 1] as number | string | null,
    currentGeneration: row[USER_VERSION_AT + 2] as number | string,
  };
}
