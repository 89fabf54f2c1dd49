/**
 * Gatehouse as a target: `node dist/main.js`, as operators run it, on a
 * database seeded beforehand through Gatehouse's own services (a user, a
 * confidential app, pools of tokens) and, before each code-exchange run, with
 * fresh authorization codes written in bulk straight to storage, hashed as
 * Gatehouse hashes them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { randomToken, sha256Hex } from '../../src/crypto/random.js';
import { newFamilyId } from '../../src/oauth/tokens.js';
import { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import { sql } from 'kysely';
import type { AppRecord, UserRecord } from '../../src/storage/storage.js';
import { freePort } from './child.js';
import { basic, BENCH_PASSWORD, expectJson, type EndpointId, type Scenario, type Target } from './target.js';
import { POOL } from './oidc-provider.js';

export const BENCH_LOGIN = 'bench';
export { BENCH_PASSWORD };
/**
 * Accounts the sign-in measurement spreads its attempts over, each with
 * BENCH_PASSWORD: many users signing in at once, as a server sees them. Not
 * 32 connections on one account: attempts from browsers an account has not
 * seen count against it until their password is checked, and from the fifth
 * at once each waits longer before its check (up to 5 s), the progressive delay
 * that slows guessing (src/accounts/sign-in-guard.ts). On one account the p99
 * measured that delay, not the password check.
 */
export const SIGN_IN_ACCOUNTS = 64;
const signInLogin = (i: number) => `bench-signin-${i}`;
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
/** Yandex-style scopes for /info and the OpenID Connect ones for /userinfo and id_tokens. */
export const SCOPES = ['login:info', 'login:email', 'openid', 'profile', 'email'];

export interface Fixtures {
  ctx: Context;
  storage: SqlStorage;
  user: UserRecord;
  app: AppRecord;
  clientSecret: string;
  access: string[];
  refresh: string[];
}

/** The configuration the benchmark's server and its seeding share (one database, one server key). */
export function benchConfig(o: { dataDir: string; databaseUrl: string; port: number; secretKey: string; logLevel: string }): Config {
  return loadConfig({
    dataDir: o.dataDir,
    databaseUrl: o.databaseUrl,
    port: o.port,
    issuer: `http://127.0.0.1:${o.port}`,
    secretKey: o.secretKey,
    logLevel: o.logLevel as Config['logLevel'],
  }, {});
}

/** A user, a confidential app with every scope the endpoints need, and pools of tokens issued the normal way. */
export async function seedFixtures(config: Config, pool = POOL): Promise<Fixtures> {
  const ctx = await createContext(config);
  if (!(ctx.storage instanceof SqlStorage)) throw new Error('the benchmark seeds SQL storage');
  const user = (await ctx.storage.findUserByLogin(BENCH_LOGIN)) ?? await ctx.users.create({
    login: BENCH_LOGIN, password: BENCH_PASSWORD, email: 'bench@example.org', emailConfirmed: true, firstName: 'Bench', lastName: 'User',
  });
  // An operator, as every server has after its first run: until one exists, GATEHOUSE_WORKERS starts a single process.
  if (!(await ctx.storage.findUserByLogin('bench-operator'))) await ctx.users.create({ login: 'bench-operator', password: BENCH_PASSWORD, isAdmin: true });
  // Their hashes queue on the hashing threads, as a server's sign-ups would.
  if (!(await ctx.storage.findUserByLogin(signInLogin(SIGN_IN_ACCOUNTS - 1)))) {
    await Promise.all(Array.from({ length: SIGN_IN_ACCOUNTS }, (_, i) => ctx.users.create({ login: signInLogin(i), password: BENCH_PASSWORD })));
  }
  const { app, clientSecret } = await ctx.apps.create({ name: 'Benchmark', redirectUris: [REDIRECT_URI], scopes: SCOPES, platforms: ['web'] });
  const access: string[] = [];
  const refresh: string[] = [];
  for (let i = 0; i < pool; i++) {
    const issued = await ctx.tokens.issue({ app, userId: user.id, scopes: SCOPES, withRefresh: true });
    access.push(issued.access_token);
    refresh.push(issued.refresh_token!);
  }
  return { ctx, storage: ctx.storage, user, app, clientSecret: clientSecret!, access, refresh };
}

/** `count` authorization codes for the app, as /authorize would have stored them after consent. */
export async function mintCodes(f: Fixtures, count: number, codeTtlSeconds: number): Promise<string[]> {
  const codes: string[] = [];
  const now = Date.now();
  const batch = 500;
  for (let start = 0; start < count; start += batch) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const code = randomToken(32);
      codes.push(code);
      rows.push({
        hash: sha256Hex(code), kind: 'redirect', client_id: f.app.clientId, user_id: f.user.id, redirect_uri: REDIRECT_URI,
        scopes: SCOPES.join(' '), code_challenge: null, code_challenge_method: null, nonce: null, device_id: null, device_name: null,
        auth_time: now, family_id: newFamilyId(), created_at: now, expires_at: now + codeTtlSeconds * 1000, consumed_at: null,
      });
    }
    await f.storage.db.insertInto('auth_codes').values(rows).execute();
  }
  return codes;
}

export interface GatehouseOptions {
  id: string;
  label: string;
  /** Data directory (the SQLite file, unless `databaseUrl` names PostgreSQL) and log file. */
  dir: string;
  databaseUrl: string;
  /** Gatehouse's default is `info`: one log line per request, kept as operators keep it (in a file). */
  logLevel: string;
  /** Extra node options, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** The server to run: `dist/main.js` of this checkout unless given (a baseline built elsewhere). */
  main?: string;
}

export interface GatehouseTarget extends Target {
  fixtures: Fixtures;
  logFile: string;
}

/**
 * A baseline built before a migration this checkout has refuses a database
 * that names it ("previously executed migration … is missing"). The names a
 * build knows are the keys of its migrations record, as strings in its
 * bundle (entry file and chunks); the others are struck from the seeded database's list. What they
 * added stays (new tables, columns with defaults, triggers), unused by a
 * build that does not know them.
 */
async function forgetNewerMigrations(f: Fixtures, main: string): Promise<void> {
  // The record may sit in the entry file, in the bundle it starts or in a chunk it imports (esbuild's code splitting).
  const scripts = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => /\.c?js$/.test(f)).map((f) => path.join(dir, f)) : []);
  const files = [...scripts(path.dirname(main)), ...scripts(path.join(path.dirname(main), 'chunks'))];
  const known = new Set(files.flatMap((file) => readFileSync(file, 'utf8').match(/(?<=["'])\d{4}-[a-z0-9-]+(?=["'])/g) ?? []));
  if (known.size === 0) return;
  const rows = await sql<{ name: string }>`select name from gatehouse_migrations`.execute(f.storage.db);
  for (const { name } of rows.rows) {
    if (!known.has(name)) await sql`delete from gatehouse_migrations where name = ${name}`.execute(f.storage.db);
  }
}

export async function startGatehouse(o: GatehouseOptions): Promise<GatehouseTarget> {
  mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  const secretKey = randomBytes(32).toString('base64');
  const config = benchConfig({ dataDir: o.dir, databaseUrl: o.databaseUrl, port, secretKey, logLevel: o.logLevel });
  const fixtures = await seedFixtures(config);
  if (o.main !== undefined) await forgetNewerMigrations(fixtures, o.main);

  const logFile = path.join(o.dir, `${o.id}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), o.main ?? 'dist/main.js'], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_ISSUER: config.issuer,
      GATEHOUSE_DATA_DIR: o.dir,
      GATEHOUSE_DATABASE_URL: o.databaseUrl,
      GATEHOUSE_SECRET_KEY: secretKey,
      GATEHOUSE_LOG_LEVEL: o.logLevel,
      // The one setting of the server's that a benchmark is run to compare (`GATEHOUSE_HASHING_NICE=0 npm run
      // bench`); the rest of the environment stays out, so that a shell's own GATEHOUSE_* cannot skew a run.
      ...(process.env.GATEHOUSE_HASHING_NICE !== undefined ? { GATEHOUSE_HASHING_NICE: process.env.GATEHOUSE_HASHING_NICE } : {}),
      ...o.env,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let ended: string | null = null;
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (stopping) return;
    let tail = '';
    try {
      tail = readFileSync(logFile, 'utf8').slice(-3000);
    } catch {
      // no log
    }
    ended = `exited with ${signal ?? code}; the end of ${logFile}:\n${tail}`;
  });
  const origin = config.issuer;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${o.id} exited with ${child.exitCode}; see ${logFile}`);
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${o.id} did not answer /healthz in 60 s; see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const form = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(fixtures.app.clientId, fixtures.clientSecret) };
  const scenario = async (endpoint: EndpointId, fresh: number): Promise<Scenario> => {
    switch (endpoint) {
      case 'info':
        return { method: 'GET', path: '/info', headers: { Authorization: 'OAuth {v}' }, values: fixtures.access, expectStatus: 200, check: expectJson(200, ['id', 'login', 'default_email']) };
      case 'userinfo':
        return { method: 'GET', path: '/userinfo', headers: { Authorization: 'Bearer {v}' }, values: fixtures.access, expectStatus: 200, check: expectJson(200, ['sub', 'email']) };
      case 'introspect':
        return {
          method: 'POST', path: '/introspect', headers: form, body: 'token={v}', values: fixtures.access, expectStatus: 200,
          check: expectJson(200, ['active'], (b) => (b.active === true ? null : 'active is not true')),
        };
      case 'client_credentials':
        return { method: 'POST', path: '/token', headers: form, body: 'grant_type=client_credentials', expectStatus: 200, check: expectJson(200, ['access_token']) };
      case 'refresh':
        return { method: 'POST', path: '/token', headers: form, body: 'grant_type=refresh_token&refresh_token={v}', values: fixtures.refresh, expectStatus: 200, check: expectJson(200, ['access_token', 'id_token']) };
      case 'code':
        return {
          method: 'POST', path: '/token', headers: form, body: `grant_type=authorization_code&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code={v}`,
          values: await mintCodes(fixtures, fresh, config.codeTtlSeconds), once: true, expectStatus: 200,
          check: expectJson(200, ['access_token', 'refresh_token', 'id_token']),
        };
    }
  };

  return {
    id: o.id,
    label: o.label,
    origin,
    pid: child.pid!,
    fixtures,
    logFile,
    scenario,
    exited: () => ended,
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(force);
      }
      await fixtures.ctx.close();
    },
  };
}

/**
 * A password sign-in through the login form (argon2id), each to the next of
 * the SIGN_IN_ACCOUNTS accounts, from a browser none has seen: the
 * double-submit CSRF pair is a random token sent as both cookie and field, as
 * a browser holding the login page would. Success is the 303 to `return_to`.
 * The server's limits are its defaults: a right password resets its account's
 * count of attempts.
 */
export function loginScenario(): Scenario {
  const csrf = randomToken(32);
  return {
    method: 'POST',
    path: '/login',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `gatehouse_csrf=${csrf}` },
    body: `login={v}&password=${encodeURIComponent(BENCH_PASSWORD)}&csrf=${csrf}&return_to=%2Faccount`,
    values: Array.from({ length: SIGN_IN_ACCOUNTS }, (_, i) => signInLogin(i)),
    expectStatus: 303,
    check: (status, body) => (status === 303 ? null : `status ${status}, expected 303: ${body.slice(0, 200)}`),
  };
}
