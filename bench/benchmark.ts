/**
 * The benchmark of issue 11: Gatehouse on SQLite (and PostgreSQL when its
 * server binaries exist), node-oidc-provider and a bare node:http server,
 * started in one run on one machine and driven one at a time with the same
 * load; one table of requests/s and latencies, the ratios, and the files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freshDatabase, startPostgres, type RunningPostgres } from '../test/helpers/postgres.js';
import { argon2Rate } from './argon2.js';
import { measureFootprint, rssMb, type Footprint } from './footprint.js';
import { chooseDriver, type LoadDriver, type LoadResult } from './load/load.js';
import { assertClean, BenchFailure, loadRun, probe, type Measured } from './measure.js';
import { onInterrupt, stopNow } from './interrupt.js';
import { autogroup, gitCommit, setAutogroup, uptime } from './machine.js';
import type { BenchOptions } from './options.js';
import { buildRows, toMarkdown, toSvg, type LoginResult, type Report } from './report.js';
import { startFloor, startSignInFloor } from './targets/floor.js';
import { loginScenario, startGatehouse, type GatehouseTarget } from './targets/gatehouse.js';
import { startOidcProvider } from './targets/oidc-provider.js';
import type { EndpointId, Target } from './targets/target.js';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/**
 * Ids and labels of a Gatehouse target: one process keeps the ids of earlier
 * runs (`gatehouse-sqlite`), more are marked with their count (`gatehouse-sqlite-2w`).
 */
function gatehouseIds(engine: 'sqlite' | 'postgres', workers: number): { id: string; label: string } {
  const name = engine === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  return workers === 1
    ? { id: `gatehouse-${engine}`, label: `Gatehouse (${name}, 1 process)` }
    : { id: `gatehouse-${engine}-${workers}w`, label: `Gatehouse (${name}, ${workers} worker processes)` };
}

/**
 * Fresh values to mint for a single-use run: 2.5× what the fastest token grant
 * of this server managed, or a floor. (1.5× ran out on the node:http floor,
 * whose rate moves by more than half from one endpoint to the next on a busy machine.)
 */
function freshNeeded(runs: Measured[], target: string, seconds: number, connections: number): number {
  const seen = runs.filter((r) => r.target === target && (r.endpoint === 'client_credentials' || r.endpoint === 'refresh' || r.endpoint === 'code')).map((r) => r.rps);
  const rate = Math.max(1000, ...seen);
  return Math.ceil(rate * 2.5 * seconds) + connections * 4;
}

async function measureEndpoint(driver: LoadDriver, o: BenchOptions, target: Target, endpoint: EndpointId, round: number, runs: Measured[]): Promise<Measured | null> {
  const fresh = (seconds: number) => (endpoint === 'code' ? freshNeeded(runs, target.id, seconds, o.connections) : 0);
  const what = `${target.id} ${endpoint} (round ${round + 1})`;
  if (o.warmup > 0) {
    const warm = await target.scenario(endpoint, fresh(o.warmup));
    if (!warm) return null;
    assertClean(`${what} warm-up`, await loadRun(driver, target, warm, o.connections, o.warmup), warm, { warmup: true });
  }
  const scenario = await target.scenario(endpoint, fresh(o.duration));
  if (!scenario) return null;
  const result = await loadRun(driver, target, scenario, o.connections, o.duration);
  assertClean(what, result, scenario);
  const servedBy = scenario.servedBy ?? '';
  log(`${what}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`);
  return { ...result, target: target.id, endpoint, servedBy, round };
}

/** The server's own word on what an acknowledged commit survives: printed beside the figures it explains. */
async function durability(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const names = ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', 'server_version'];
    const { rows } = await client.query<{ name: string; setting: string }>(
      "select name, current_setting(name) as setting from unnest($1::text[]) as name", [names]);
    return rows.map((r) => `${r.name} ${r.setting}`).join(', ');
  } finally {
    await client.end();
  }
}

/**
 * Sign-ins at full concurrency beside /info. The goal's measurement has /info
 * as resource servers call it, at a steady `o.loginInfoRate` requests/s on a
 * fixed schedule (wrk.ts `schedule`) over STEADY_CONNECTIONS connections,
 * measured alone first and then while the sign-ins run; requests the server
 * made late are counted, and more than 1 % of them fail the goal. A second
 * run floods /info instead (4 connections, each sending as soon as it is
 * answered): then /info and argon2 split the cores between them, so the
 * sign-in rate says how the machine was shared, not what Gatehouse costs; it
 * is reported beside the goal, not as it.
 */
/**
 * Connections of the steady /info: each waits for a slot of the schedule up
 * to this many slots ahead, so an answer slower than that (32 ms at 1,000
 * requests/s) is the first to make a request late.
 */
const STEADY_CONNECTIONS = 32;

async function measureLogin(driver: LoadDriver, o: BenchOptions, target: Target, hashRate: number, runs: Measured[]): Promise<LoginResult> {
  const login = loginScenario();
  await probe(target, login);
  const info = (await target.scenario('info', 0))!;
  const rate = o.loginInfoRate;
  const alone = await loadRun(driver, target, info, STEADY_CONNECTIONS, o.duration, rate);
  assertClean(`${target.id} info alone`, alone, info);
  // Long enough for the sign-in path to be compiled whole: what a server that has been up a while runs (options.ts).
  if (o.loginWarmup > 0) assertClean(`${target.id} login warm-up`, await loadRun(driver, target, login, o.connections, o.loginWarmup), login, { warmup: true });
  const beside = async (infoRate: number | undefined) => {
    const [signIns, during] = await Promise.all([
      loadRun(driver, target, login, o.connections, o.duration),
      loadRun(driver, target, info, infoRate === undefined ? 4 : STEADY_CONNECTIONS, o.duration, infoRate),
    ]);
    assertClean(`${target.id} login`, signIns, login);
    assertClean(`${target.id} info during login`, during, info);
    return { signIns, during };
  };
  const steady = await beside(rate);
  const flood = await beside(undefined);
  runs.push({ ...steady.signIns, target: target.id, endpoint: 'login', servedBy: '', round: 0 });
  runs.push({ ...alone, target: target.id, endpoint: 'info-alone', servedBy: '', round: 0 });
  runs.push({ ...steady.during, target: target.id, endpoint: 'info-during-login', servedBy: '', round: 0 });
  runs.push({ ...flood.signIns, target: target.id, endpoint: 'login-beside-info-flood', servedBy: '', round: 0 });
  runs.push({ ...flood.during, target: target.id, endpoint: 'info-flood-during-login', servedBy: '', round: 0 });
  const share = (r: LoadResult) => ((r.rps / hashRate) * 100).toFixed(0);
  log(`${target.id} login beside /info at ${rate}/s: ${steady.signIns.rps.toFixed(1)}/s (${share(steady.signIns)} % of argon2); /info p99 ${alone.p99Ms.toFixed(2)} → ${steady.during.p99Ms.toFixed(2)} ms`);
  log(`${target.id} login beside an /info flood: ${flood.signIns.rps.toFixed(1)}/s (${share(flood.signIns)} % of argon2); /info ${flood.during.rps.toFixed(0)} req/s, p99 ${flood.during.p99Ms.toFixed(2)} ms`);
  return {
    target: target.id,
    rps: steady.signIns.rps,
    p50Ms: steady.signIns.p50Ms,
    p99Ms: steady.signIns.p99Ms,
    shareOfHashRate: steady.signIns.rps / hashRate,
    infoRate: rate,
    infoConnections: STEADY_CONNECTIONS,
    infoAloneP99Ms: alone.p99Ms,
    infoDuringP99Ms: steady.during.p99Ms,
    infoDuringRps: steady.during.rps,
    ...(steady.during.lateSends === undefined ? {} : { infoDuringLate: steady.during.lateSends, infoDuringRequests: steady.during.requests }),
    flood: {
      rps: flood.signIns.rps,
      shareOfHashRate: flood.signIns.rps / hashRate,
      infoRps: flood.during.rps,
      infoP99Ms: flood.during.p99Ms,
    },
  };
}

export async function runBenchmark(o: BenchOptions): Promise<Report> {
  const startedAt = new Date().toISOString();
  const uptimeStart = uptime();
  const loadavgStart = os.loadavg();
  log(uptimeStart);
  const driver = chooseDriver({ prefer: o.driver === 'auto' ? undefined : o.driver, install: o.install, log });
  log(`load generator: ${driver.name}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  const targets: Target[] = [];
  const gatehouses: GatehouseTarget[] = [];
  let postgres: RunningPostgres | null = null;
  let postgresSettings: string | null = null;
  let database: { url: string; drop(): Promise<void> } | null = null;
  const extraDatabases: { url: string; drop(): Promise<void> }[] = [];
  const runs: Measured[] = [];
  const failures: string[] = [];
  const login: LoginResult[] = [];
  let hashRate: Report['hashRate'] = null;
  let footprint: Footprint | null = null;
  const rss: NonNullable<Report['rss']> = {};
  let completed = false;
  const restoreAutogroup = o.autogroupOff ? setAutogroup(false) : null;
  const autogroupDuring = autogroup();
  // Interrupted, the run stops what it started, which would otherwise outlive it (PostgreSQL above all).
  let signInFloor: Target | null = null;
  /** Every server started: the measured ones, and the sign-in floor once it runs. */
  const started = () => (signInFloor ? [...targets, signInFloor] : targets);
  const forgetServers = onInterrupt(() => stopNow(started().map((t) => t.pid), postgres));
  try {
    // On a quiet machine, before any server runs: start-up time, idle memory, SDK size.
    footprint = await measureFootprint(o.smoke ? { restarts: 1, idleSeconds: 1 } : {});
    log(`footprint: start ${footprint.firstStartMs.toFixed(0)} ms (restart ${footprint.restartMs.toFixed(0)} ms), idle RSS ${footprint.idleRssMb.toFixed(1)} MB, suggest.js ${footprint.suggestGzipBytes} bytes gzipped`);
    if (o.baseline !== null) {
      // The same seeding, another build of the server: what a change bought, measured beside it.
      targets.push(await startGatehouse({ id: 'baseline-sqlite', label: 'Gatehouse before the change (SQLite, 1 process; --baseline)', dir: path.join(work, 'baseline'), databaseUrl: '', logLevel: o.logLevel, main: o.baseline }));
    }
    for (const workers of o.workers) {
      const sqlite = await startGatehouse({ ...gatehouseIds('sqlite', workers), dir: path.join(work, `sqlite-${workers}`), databaseUrl: '', logLevel: o.logLevel, env: { GATEHOUSE_WORKERS: String(workers) } });
      if (workers === 1) gatehouses.push(sqlite);
      targets.push(sqlite);
    }
    if (o.postgres) {
      try {
        // Durable, as operators run it: an acknowledged token survives a crash on PostgreSQL as it does on SQLite.
        postgres = await startPostgres({ durable: true });
        database = await freshDatabase(postgres.url);
        postgresSettings = await durability(database.url);
      } catch (err) {
        log(`no PostgreSQL, measuring SQLite only: ${(err as Error).message.split('\n')[0]}`);
      }
      if (postgres) {
        for (const workers of o.workers) {
          // One database each, so neither sees the other's tokens.
          const db = workers === o.workers[0] ? database! : await freshDatabase(postgres.url);
          if (db !== database) extraDatabases.push(db);
          const pg = await startGatehouse({ ...gatehouseIds('postgres', workers), dir: path.join(work, `postgres-${workers}`), databaseUrl: db.url, logLevel: o.logLevel, env: { GATEHOUSE_WORKERS: String(workers) } });
          if (workers === 1) gatehouses.push(pg);
          targets.push(pg);
        }
      }
    }
    targets.push(await startOidcProvider());
    targets.push(await startFloor());
    log(`servers: ${targets.map((t) => `${t.id} (pid ${t.pid})`).join(', ')}`);

    // Every server must answer every scenario correctly before anything is timed.
    for (const target of targets) {
      for (const endpoint of o.endpoints) {
        const scenario = await target.scenario(endpoint, 1);
        if (scenario) await probe(target, scenario);
      }
    }

    for (const t of targets) rss[t.id] = { beforeLoadMb: rssMb(t.pid), afterLoadMb: null };

    for (let round = 0; round < o.rounds; round++) {
      for (const endpoint of o.endpoints) {
        // Rotate the order each round so no server always runs first (or just after a heavy one).
        const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
        for (const target of order) {
          const measured = await measureEndpoint(driver, o, target, endpoint, round, runs);
          if (measured) runs.push(measured);
        }
      }
    }

    for (const t of targets) rss[t.id]!.afterLoadMb = rssMb(t.pid);

    if (o.login) {
      const rate = await argon2Rate(o.duration, o.connections);
      hashRate = { perSecond: rate.perSecond, threads: rate.threads };
      log(`raw argon2id: ${rate.perSecond.toFixed(1)} verifications/s`);
      for (const g of gatehouses) login.push(await measureLogin(driver, o, g, rate.perSecond, runs));
      // The same measurement of a server that only hashes: how far the goal is from what these cores allow.
      signInFloor = await startSignInFloor();
      login.push(await measureLogin(driver, o, signInFloor, rate.perSecond, runs));
    }
    completed = true;
  } catch (err) {
    if (!(err instanceof BenchFailure)) throw err;
    failures.push(err.message);
    log(`FAILED: ${err.message}`);
  } finally {
    await Promise.allSettled(started().map((t) => t.stop()));
    await database?.drop().catch(() => {});
    for (const db of extraDatabases) await db.drop().catch(() => {});
    await postgres?.stop().catch(() => {});
    forgetServers();
    restoreAutogroup?.();
    // Keep the servers' logs and databases when something went wrong.
    if (completed) rmSync(work, { recursive: true, force: true });
    else log(`servers' data and logs kept in ${work}`);
  }

  const ids = targets.map((t) => t.id);
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model.trim() ?? 'unknown',
      node: process.versions.node,
      loadavgStart,
      loadavgEnd: os.loadavg(),
      uptimeStart,
      uptimeEnd: uptime(),
      commit: gitCommit(),
      autogroup: autogroupDuring,
    },
    settings: { driver: driver.name, connections: o.connections, durationSec: o.duration, warmupSec: o.warmup, loginWarmupSec: o.loginWarmup, rounds: o.rounds, logLevel: o.logLevel, smoke: o.smoke, ...(postgresSettings ? { postgres: postgresSettings } : {}) },
    targets: targets.map((t) => ({ id: t.id, label: t.label })),
    rows: buildRows(runs, o.endpoints, ids),
    hashRate,
    login,
    footprint,
    rss,
    runs,
    failures,
  };
}

export function writeReport(report: Report, dir: string, name = 'bench'): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(dir, `${name}.md`), toMarkdown(report));
  writeFileSync(path.join(dir, `${name}.svg`), toSvg(report));
}
