/**
 * Bulk filler rows for the growth and scale measurements: users, apps and
 * tokens written with set-based SQL (a recursive CTE on SQLite,
 * generate_series on PostgreSQL), never one INSERT per row. Filler tokens
 * are random hashes nobody holds; they only make the tables and indexes as
 * large as a busy server's.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/storage/sql/schema.js';

export type Engine = 'sqlite' | 'postgres';

/** Filler apps: 32-digit client ids (valid hex) that no real app can have, all tokens spread over them. */
export const FILLER_APPS = 100;

const YEAR = 365 * 24 * 3600 * 1000;
/** An integer parameter typed for PostgreSQL, which cannot infer one in a select list. */
const big = (n: number) => sql`cast(${n} as bigint)`;

export async function count(db: Kysely<Database>, table: 'tokens' | 'users'): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many filler users there are: the bench's own users are not counted, however many it makes. */
export async function countFillerUsers(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('users').where('login', 'like', 'filler%').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function seedFillerApps(db: Kysely<Database>, engine: Engine, now: number): Promise<void> {
  const ids = engine === 'sqlite' ? sql`printf('%032d', i)` : sql`lpad(i::text, 32, '0')`;
  const series = engine === 'sqlite'
    ? sql`with recursive s(i) as (select 1 union all select i + 1 from s where i < ${big(FILLER_APPS)}) select i from s`
    : sql`select generate_series(1, ${big(FILLER_APPS)}) as i`;
  await sql`
    insert into apps (client_id, secret_hash, secret_sealed, name, description, icon_url, owner_id, platforms, redirect_uris,
      suggest_hostnames, scopes, optional_scopes, access_token_ttl, id_token_alg, post_logout_redirect_uris, status, created_at, updated_at)
    select ${ids}, null, null, 'Filler app', '', null, null, '[]', '[]', '[]', 'login:info', '', 31536000, 'ES256', '[]', 'active', ${big(now)}, ${big(now)}
    from (${series}) as seq
    where not exists (select 1 from apps where client_id = ${ids})`.execute(db);
}

/**
 * Users `from`…`to` (1-based): 15-digit ids starting with 9, logins `filler<i>`,
 * no password (they cannot sign in). One statement per call.
 */
export async function seedFillerUsers(db: Kysely<Database>, engine: Engine, from: number, to: number, now: number): Promise<void> {
  if (to < from) return;
  const rows = engine === 'sqlite'
    ? sql`with recursive s(i) as (select ${big(from)} union all select i + 1 from s where i < ${big(to)})
          select printf('9%014d', i) as id, 'filler' || i as login, i from s`
    : sql`select '9' || lpad(i::text, 14, '0') as id, 'filler' || i as login, i from generate_series(${from}::bigint, ${to}::bigint) as i`;
  await sql`
    insert into users (id, login, password_hash, first_name, last_name, display_name, sex, birthday, emails, default_email,
      default_phone, avatar_id, is_developer, is_admin, status, created_at, updated_at)
    select id, login, null, 'Filler', 'User', 'Filler User', null, null, '[]', null, null, null, 0, 0, 'active', ${big(now)}, ${big(now)}
    from (${rows}) as seq`.execute(db);
}

/**
 * Tokens numbered `from`…`to`, half access and half refresh, each family of two
 * belonging to filler user `i mod users` and filler app `i mod 100`, live for a
 * year. One statement per call.
 */
export async function seedFillerTokens(db: Kysely<Database>, engine: Engine, from: number, to: number, users: number, now: number): Promise<void> {
  if (to < from) return;
  const hash = engine === 'sqlite' ? sql`lower(hex(randomblob(32)))` : sql`md5(random()::text || i::text) || md5(i::text || random()::text)`;
  const family = engine === 'sqlite' ? sql`printf('%032d', i / 2)` : sql`lpad((i / 2)::text, 32, '0')`;
  const user = engine === 'sqlite' ? sql`printf('9%014d', 1 + (i / 2) % ${big(users)})` : sql`'9' || lpad((1 + (i / 2) % ${big(users)})::text, 14, '0')`;
  const app = engine === 'sqlite' ? sql`printf('%032d', 1 + (i / 2) % ${big(FILLER_APPS)})` : sql`lpad((1 + (i / 2) % ${big(FILLER_APPS)})::text, 32, '0')`;
  const series = engine === 'sqlite'
    ? sql`with recursive s(i) as (select ${big(from)} union all select i + 1 from s where i < ${big(to)}) select i from s`
    : sql`select generate_series(${from}::bigint, ${to}::bigint) as i`;
  await sql`
    insert into tokens (hash, type, client_id, user_id, scopes, family_id, device_id, device_name, is_debug, auth_time,
      created_at, expires_at, revoked_at, rotated_at)
    select ${hash}, case when i % 2 = 0 then 'access' else 'refresh' end, ${app}, ${user}, 'login:info', ${family},
      null, null, 0, ${big(now)}, ${big(now)}, ${big(now + YEAR)}, null, null
    from (${series}) as seq`.execute(db);
}

/**
 * The other tables the hot endpoints read, at the sizes a server with `users`
 * users has (PostgreSQL only): a live session for a quarter of the users,
 * authorization codes from the last ten minutes, abuse counters and revoked
 * families. Without them the planner rightly scans tables of a few rows, and
 * the plans would say nothing about a busy server.
 */
export async function seedFillerSidecars(db: Kysely<Database>, users: number, now: number): Promise<void> {
  const n = (x: number) => sql`generate_series(1::bigint, ${big(Math.max(1, Math.round(x)))})`;
  const user = sql`'9' || lpad((1 + i % ${big(users)})::text, 14, '0')`;
  const app = sql`lpad((1 + i % ${big(FILLER_APPS)})::text, 32, '0')`;
  const random64 = sql`md5(random()::text || i::text) || md5(i::text || random()::text)`;
  await sql`
    insert into sessions (hash, user_id, auth_time, created_at, expires_at, user_agent, ip)
    select ${random64}, ${user}, ${big(now)}, ${big(now)}, ${big(now + 30 * 24 * 3600 * 1000)}, 'Filler/1.0', '192.0.2.1'
    from ${n(users / 4)} as i`.execute(db);
  await sql`
    insert into auth_codes (hash, kind, client_id, user_id, redirect_uri, scopes, code_challenge, code_challenge_method, nonce,
      device_id, device_name, auth_time, family_id, created_at, expires_at, consumed_at)
    select ${random64}, 'redirect', ${app}, ${user}, null, 'login:info', null, null, null, null, null, ${big(now)},
      md5(i::text || 'family'), ${big(now)}, ${big(now + 600_000)}, case when i % 2 = 0 then ${big(now)} else null end
    from ${n(users / 10)} as i`.execute(db);
  await sql`
    insert into attempt_counters (key, window_start, count)
    select 'login:account:filler' || i, ${big(now)}, 1 + i % 5 from ${n(users / 10)} as i
    on conflict (key) do nothing`.execute(db);
  await sql`
    insert into revoked_families (family_id, revoked_at)
    select md5(i::text || 'revoked'), ${big(now)} from ${n(users / 10)} as i
    on conflict (family_id) do nothing`.execute(db);
  // Consent withdrawn by one user in ten from one app: each check of a token reads its grant's generation here.
  await sql`
    insert into grant_generations (user_id, client_id, generation)
    select ${user}, ${app}, 1 from ${n(users / 10)} as i
    on conflict (user_id, client_id) do nothing`.execute(db);
}
