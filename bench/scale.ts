/**
 * `npm run seed:scale` (issue 9): Gatehouse on PostgreSQL with 10 million
 * tokens and 1 million users. Measures /info and refresh (p50, p99,
 * requests/s) on the nearly empty database, fills it in bulk
 * (generate_series, one statement per batch; sessions, codes, counters,
 * revoked families and withdrawn grants in proportion to the users),
 * measures again, and shows the plan of every query the hot endpoints run
 * (`EXPLAIN ANALYZE`, each inside a rolled-back transaction): each must be an
 * index lookup.
 *
 * The database is `GATEHOUSE_DATABASE_URL` when set (it is seeded and kept),
 * else a throwaway cluster made with the PostgreSQL server binaries (deleted
 * afterwards unless `--keep`).
 *
 *   npm run seed:scale -- [--tokens 10000000] [--users 1000000] [--batch 500000] [--duration 10] [--connections 32] [--pool 10] [--read-pool 4] [--keep]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { startPostgres, type RunningPostgres } from '../test/helpers/postgres.js';
import { sha256Hex } from '../src/crypto/random.js';
import { ACCESS_TOKEN_PREFIX, newFamilyId, newOpaqueToken, REFRESH_TOKEN_PREFIX, tokenKey } from '../src/oauth/tokens.js';
import type { Database } from '../src/storage/sql/schema.js';
import { SqlStorage } from '../src/storage/sql/sql-storage.js';
import type { ClientId, Millis, UserId } from '../src/types.js';
import { chooseDriver, type LoadDriver } from './load/load.js';
import { gitCommit, uptime } from './machine.js';
import { assertClean, loadRun, probe } from './measure.js';
import { count, countFillerUsers, seedFillerApps, seedFillerSidecars, seedFillerTokens, seedFillerUsers } from './seed.js';
import { mintCodes, startGatehouse, type GatehouseTarget } from './targets/gatehouse.js';
import type { EndpointId } from './targets/target.js';

const log = (line: string) => process.stderr.write(`scale: ${line}\n`);

interface Point {
  endpoint: EndpointId;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

interface Plan {
  verb: string;
  sql: string;
  plan: string;
  indexed: boolean;
}

export interface ScaleReport {
  startedAt: string;
  finishedAt: string;
  commit: string;
  database: string;
  uptime: string[];
  settings: { driver: string; connections: number; durationSec: number; poolSize: number; readPoolSize?: number };
  target: { tokens: number; users: number };
  reached: { tokens: number; users: number };
  seedSeconds: number;
  tableBytes: Record<string, number>;
  before: Point[];
  after: Point[];
  /**
   * Measured in alternation after seeding, each the median of the rounds: a
   * server on an empty sibling database and the one on the full database, so
   * that both see the same machine load.
   */
  side: { empty: Point[]; full: Point[]; rounds: number } | null;
  plans: Plan[];
}

async function measure(driver: LoadDriver, target: GatehouseTarget, connections: number, duration: number, endpoints: EndpointId[] = ['info', 'refresh']): Promise<Point[]> {
  const points: Point[] = [];
  for (const endpoint of endpoints) {
    const scenario = (await target.scenario(endpoint, 0))!;
    await probe(target, scenario);
    assertClean(`${endpoint} warm-up`, await loadRun(driver, target, scenario, connections, 2), scenario, { warmup: true });
    const r = await loadRun(driver, target, scenario, connections, duration);
    assertClean(endpoint, r, scenario);
    points.push({ endpoint, rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms });
    log(`${endpoint}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`);
  }
  return points;
}

const medianPoint = (points: Point[]): Point => [...points].sort((a, b) => a.rps - b.rps)[Math.floor((points.length - 1) / 2)]!;

/** Rounds of info and refresh on both servers, alternating; the median round of each. */
async function sideBySide(driver: LoadDriver, empty: GatehouseTarget, full: GatehouseTarget, connections: number, duration: number, rounds: number) {
  const runs = { empty: [] as Point[], full: [] as Point[] };
  for (let round = 0; round < rounds; round++) {
    for (const endpoint of ['info', 'refresh'] as const) {
      const order = round % 2 === 0 ? (['empty', 'full'] as const) : (['full', 'empty'] as const);
      for (const which of order) {
        log(`round ${round + 1}, ${which} database`);
        runs[which].push(...(await measure(driver, which === 'empty' ? empty : full, connections, duration, [endpoint])));
      }
    }
  }
  const pick = (points: Point[]) => (['info', 'refresh'] as const).map((e) => medianPoint(points.filter((p) => p.endpoint === e)));
  return { empty: pick(runs.empty), full: pick(runs.full), rounds };
}

/**
 * The queries the hot endpoints run, captured from Gatehouse's own storage
 * code (a second SqlStorage whose Kysely logs every statement), each then
 * explained with its real parameters.
 */
async function explainHotQueries(url: string, target: GatehouseTarget): Promise<Plan[]> {
  const captured: { verb: string; sql: string; parameters: readonly unknown[] }[] = [];
  let verb = '';
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query' && !captured.some((c) => c.sql === event.query.sql)) captured.push({ verb, sql: event.query.sql, parameters: event.query.parameters });
    },
  });
  const storage = new SqlStorage(db);
  const f = target.fixtures;
  const now = Date.now() as Millis;
  const as = async (name: string, fn: () => Promise<unknown>) => {
    verb = name;
    await fn();
  };
  const [code] = await mintCodes(f, 1, 600);
  const access = f.access[0]!;
  const family = newFamilyId();
  const fresh = { hash: tokenKey(newOpaqueToken(ACCESS_TOKEN_PREFIX, now)), type: 'access' as const, clientId: f.app.clientId, userId: f.user.id, scopes: ['login:info'], familyId: family, deviceId: null, deviceName: null, isDebug: false, authTime: null, amr: [], createdAt: now, expiresAt: (now + 3_600_000) as Millis, revokedAt: null, rotatedAt: null, jkt: null, generation: 0, resources: [] as string[] };
  await as('findToken (/info, /userinfo, /introspect, refresh)', () => storage.findToken(tokenKey(access)));
  await as('findTokenForClient (/introspect, refresh)', () => storage.findTokenForClient(tokenKey(access), f.app.clientId));
  await as('findUserById (/info, grants)', () => storage.findUserById(f.user.id));
  await as('findApp (/info, client authentication)', () => storage.findApp(f.app.clientId));
  await as('peekAttempts (/token failure limit, issue 10)', () => storage.peekAttempts(`token:client:${f.app.clientId}`, 60_000, now));
  await as('saveTokens (every grant)', () => storage.saveTokens([fresh], { now, maxDeviceFamilies: 30 }));
  await as('saveTokens with a device (30-device cap)', () => storage.saveTokens([{ ...fresh, hash: tokenKey(newOpaqueToken(ACCESS_TOKEN_PREFIX, now)), familyId: newFamilyId(), deviceId: 'bench-device' }], { now, maxDeviceFamilies: 30 }));
  await as('consumeCode (authorization_code)', () => storage.consumeCode(sha256Hex(code!), now));
  // A refresh token of its own to rotate: the pool's must stay usable for the measurements.
  const spare = { ...fresh, hash: tokenKey(newOpaqueToken(REFRESH_TOKEN_PREFIX, now)), type: 'refresh' as const, familyId: newFamilyId() };
  await f.storage.saveTokens([spare], { now, maxDeviceFamilies: 30 });
  await as('rotateRefreshToken (public clients)', () => storage.rotateRefreshToken(spare.hash, now));
  await as('revokeFamily (replays, /revoke)', () => storage.revokeFamily(family, now));
  await as('revokeAccess (consent withdrawn)', () => storage.revokeAccess({ userId: '900000000000001' as UserId, clientId: '00000000000000000000000000000001' as ClientId }, now));
  await as('findSession (pages)', () => storage.findSession(sha256Hex('no such session'), now));
  await as('countAttempt (failed /token, logins)', () => storage.countAttempt('scale:probe', 60_000, now));
  await db.destroy();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const plans: Plan[] = [];
  try {
    for (const c of captured) {
      if (/^\s*(begin|commit|rollback|set)\b/i.test(c.sql)) continue;
      await client.query('begin');
      try {
        // Inserts are planned, not run again (their keys exist now); everything else runs, and is rolled back.
        const options = /^\s*insert/i.test(c.sql) ? 'costs off' : 'analyze, buffers, costs off, timing off, summary off';
        const result = await client.query(`explain (${options}) ${c.sql}`, c.parameters as unknown[]);
        const plan = result.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
        // An insert of one row or a lookup by key: never a sequential scan of a big table.
        const indexed = !/Seq Scan on (tokens|users|auth_codes|attempt_counters|revoked_families|grant_generations|sessions|audit_log)\b/.test(plan);
        plans.push({ verb: c.verb, sql: c.sql, plan, indexed });
      } finally {
        await client.query('rollback');
      }
    }
  } finally {
    await client.end();
  }
  return plans;
}

function markdown(r: ScaleReport): string {
  const row = (label: string, points: Point[]) =>
    points.map((p) => `| ${label} | ${p.endpoint === 'info' ? 'GET /info' : 'POST /token refresh_token'} | ${Math.round(p.rps).toLocaleString('en-US')} | ${p.p50Ms.toFixed(2)} | ${p.p99Ms.toFixed(1)} |`);
  return [
    `# Gatehouse on PostgreSQL at scale`,
    '',
    `- ${r.startedAt} · commit ${r.commit} · ${r.database}`,
    `- reached ${r.reached.tokens.toLocaleString('en-US')} tokens and ${r.reached.users.toLocaleString('en-US')} users (target ${r.target.tokens.toLocaleString('en-US')} / ${r.target.users.toLocaleString('en-US')}) in ${(r.seedSeconds / 60).toFixed(1)} min of seeding`,
    `- ${r.settings.driver}, ${r.settings.connections} connections, ${r.settings.durationSec} s per point, pool of ${r.settings.poolSize} connections per process${r.settings.readPoolSize === undefined ? '' : ` and ${r.settings.readPoolSize} for token checks`}`,
    ...r.uptime.map((u) => `- ${u}`),
    `- table sizes (with indexes): ${Object.entries(r.tableBytes).map(([t, b]) => `${t} ${(b / 1e9).toFixed(2)} GB`).join(', ')}`,
    '',
    '| database | endpoint | req/s | p50 ms | p99 ms |',
    '|---|---|---:|---:|---:|',
    ...row('nearly empty, before seeding', r.before),
    ...row(`${(r.reached.tokens / 1e6).toFixed(1)} M tokens, after seeding`, r.after),
    ...(r.side ? [...row(`empty sibling database (median of ${r.side.rounds}, alternating)`, r.side.empty), ...row(`${(r.reached.tokens / 1e6).toFixed(1)} M tokens (median of ${r.side.rounds}, alternating)`, r.side.full)] : []),
    '',
    '## Plans of the hot queries',
    '',
    ...r.plans.flatMap((p) => [`### ${p.verb}${p.indexed ? '' : ' — NOT AN INDEX LOOKUP'}`, '', '```sql', p.sql, '```', '', '```', p.plan, '```', '']),
  ].join('\n');
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    tokens: { type: 'string' }, users: { type: 'string' }, batch: { type: 'string' }, duration: { type: 'string' },
    connections: { type: 'string' }, pool: { type: 'string' }, 'read-pool': { type: 'string' }, rounds: { type: 'string' }, keep: { type: 'boolean' }, out: { type: 'string' }, 'log-level': { type: 'string' },
  },
});
const wantTokens = Number(values.tokens ?? 10_000_000);
const wantUsers = Number(values.users ?? 1_000_000);
const batch = Number(values.batch ?? 500_000);
const duration = Number(values.duration ?? 10);
const connections = Number(values.connections ?? 32);
/** GATEHOUSE_DATABASE_POOL_SIZE of the server measured. */
const poolSize = Number(values.pool ?? 10);
/** GATEHOUSE_DATABASE_READ_POOL_SIZE of the server measured. */
const readPoolSize = Number(values['read-pool'] ?? 4);
const rounds = Number(values.rounds ?? 3);
const out = path.resolve(values.out ?? path.join('bench', 'results', `scale-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`));
const startedAt = new Date().toISOString();
const uptimes = [uptime()];
log(uptimes[0]!);

let cluster: RunningPostgres | null = null;
let url = process.env.GATEHOUSE_DATABASE_URL ?? '';
/** A sibling database left nearly empty, for the side-by-side measurement (throwaway clusters only). */
let emptyUrl = '';
if (url === '') {
  cluster = await startPostgres({ own: true, durable: true });
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  // Settings a server holding ten million tokens would have; memory for index builds and fewer checkpoints while seeding.
  for (const setting of ["shared_buffers = '1GB'", "effective_cache_size = '8GB'", "maintenance_work_mem = '512MB'", "max_wal_size = '8GB'", 'random_page_cost = 1.1']) {
    await admin.query(`alter system set ${setting}`);
  }
  await admin.query('create database gatehouse_scale');
  await admin.query('create database gatehouse_empty');
  await admin.end();
  cluster.pause!();
  cluster.resume!();
  const u = new URL(cluster.url);
  u.pathname = '/gatehouse_empty';
  emptyUrl = u.toString();
  u.pathname = '/gatehouse_scale';
  url = u.toString();
  log(`throwaway PostgreSQL at ${u.host}`);
}

const driver = chooseDriver();
const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-scale-'));
const target = await startGatehouse({ id: 'gatehouse-postgres', label: 'Gatehouse (PostgreSQL)', dir: work, databaseUrl: url, logLevel: values['log-level'] ?? 'info', env: { GATEHOUSE_DATABASE_POOL_SIZE: String(poolSize), GATEHOUSE_DATABASE_READ_POOL_SIZE: String(readPoolSize) } });
const empty = emptyUrl === '' ? null : await startGatehouse({ id: 'gatehouse-postgres-empty', label: 'Gatehouse (PostgreSQL, empty)', dir: path.join(work, 'empty'), databaseUrl: emptyUrl, logLevel: values['log-level'] ?? 'info', env: { GATEHOUSE_DATABASE_POOL_SIZE: String(poolSize), GATEHOUSE_DATABASE_READ_POOL_SIZE: String(readPoolSize) } });
const db = target.fixtures.storage.db;
let report: ScaleReport | null = null;
try {
  log('measuring on the nearly empty database');
  const before = await measure(driver, target, connections, duration);

  const started = performance.now();
  const now = Date.now();
  await seedFillerApps(db, 'postgres', now);
  const haveUsers = await countFillerUsers(db);
  for (let from = haveUsers + 1; from <= wantUsers; from += batch) {
    const to = Math.min(wantUsers, from + batch - 1);
    await seedFillerUsers(db, 'postgres', from, to, now);
    log(`users ${to.toLocaleString('en-US')} / ${wantUsers.toLocaleString('en-US')}`);
  }
  await seedFillerSidecars(db, wantUsers, now);
  log('sessions, codes, counters, revoked families and withdrawn grants seeded');
  const haveTokens = await count(db, 'tokens');
  for (let from = haveTokens + 1; from <= wantTokens; from += batch) {
    const to = Math.min(wantTokens, from + batch - 1);
    const t0 = performance.now();
    await seedFillerTokens(db, 'postgres', from, to, wantUsers, now);
    const rate = (to - from + 1) / ((performance.now() - t0) / 1000);
    log(`tokens ${to.toLocaleString('en-US')} / ${wantTokens.toLocaleString('en-US')} (${Math.round(rate).toLocaleString('en-US')} rows/s, ${((wantTokens - to) / rate / 60).toFixed(1)} min to go)`);
  }
  await sql`vacuum analyze`.execute(db);
  const seedSeconds = (performance.now() - started) / 1000;
  const reached = { tokens: await count(db, 'tokens'), users: await count(db, 'users') };
  log(`seeded in ${(seedSeconds / 60).toFixed(1)} min: ${reached.tokens} tokens, ${reached.users} users`);

  const plans = await explainHotQueries(url, target);
  for (const p of plans) log(`${p.indexed ? 'index' : 'SCAN '}  ${p.verb}`);
  log('measuring on the full database');
  const after = await measure(driver, target, connections, duration);
  const side = empty ? await sideBySide(driver, empty, target, connections, duration, rounds) : null;
  const sizes = await sql<{ name: string; bytes: string }>`
    select relname as name, pg_total_relation_size(oid)::text as bytes from pg_class where relname in ('tokens', 'users', 'apps', 'audit_log')`.execute(db);
  uptimes.push(uptime());
  report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    commit: gitCommit(),
    database: cluster ? 'throwaway PostgreSQL cluster (durable: fsync, synchronous_commit and full_page_writes on; shared_buffers 1 GB)' : 'GATEHOUSE_DATABASE_URL',
    uptime: uptimes,
    settings: { driver: driver.name, connections, durationSec: duration, poolSize, readPoolSize },
    target: { tokens: wantTokens, users: wantUsers },
    reached,
    seedSeconds,
    tableBytes: Object.fromEntries(sizes.rows.map((r) => [r.name, Number(r.bytes)])),
    before,
    after,
    side,
    plans,
  };
} finally {
  await target.stop();
  await empty?.stop();
  rmSync(work, { recursive: true, force: true });
  if (cluster && !values.keep) await cluster.stop();
  else if (cluster) log(`kept: ${url}`);
}
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'scale.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(path.join(out, 'scale.md'), markdown(report));
process.stdout.write(`${markdown(report)}\nwritten: ${path.join(out, 'scale.{json,md}')}\n`);
process.exit(report.plans.every((p) => p.indexed) ? 0 : 1);
