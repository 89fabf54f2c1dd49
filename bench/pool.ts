/**
 * `node bench/run.mjs pool`: what GATEHOUSE_DATABASE_POOL_SIZE does on
 * PostgreSQL — or, with `--read`, GATEHOUSE_DATABASE_READ_POOL_SIZE, the
 * connections kept for token checks (the other pool at its default). One
 * throwaway cluster, one Gatehouse per size (each on a database of its own),
 * measured in alternation so that all see the same machine load:
 * client_credentials (a write and its check per request) and /info (one
 * read), 32 connections of load by default. The median round of each is
 * printed, with its ratio to the server with the default size.
 *
 *   node bench/run.mjs pool -- [--pools 4,10,20] [--read] [--endpoints client_credentials,info] [--rounds 3] [--duration 4] [--connections 32]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres } from '../test/helpers/postgres.js';
import { chooseDriver } from './load/load.js';
import { assertClean, loadRun, probe } from './measure.js';
import { startGatehouse, type GatehouseTarget } from './targets/gatehouse.js';
import type { EndpointId } from './targets/target.js';
import { median } from './stats.js';

const log = (line: string) => process.stderr.write(`pool: ${line}\n`);

const { values } = parseArgs({
  options: {
    pools: { type: 'string' }, read: { type: 'boolean' }, endpoints: { type: 'string' }, rounds: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' },
  },
});
const read = values.read === true;
const setting = read ? 'GATEHOUSE_DATABASE_READ_POOL_SIZE' : 'GATEHOUSE_DATABASE_POOL_SIZE';
const name = read ? 'read pool' : 'pool';
const defaultSize = read ? 4 : 10;
const pools = (values.pools ?? (read ? '1,2,4,10' : '4,10,20')).split(',').map(Number);
const endpoints = (values.endpoints ?? 'client_credentials,info').split(',') as EndpointId[];
const rounds = Number(values.rounds ?? 3);
const duration = Number(values.duration ?? 4);
const connections = Number(values.connections ?? 32);

const cluster = await startPostgres({ own: true, durable: true });
const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pool-'));
const targets: { pool: number; target: GatehouseTarget }[] = [];
try {
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  for (const pool of pools) await admin.query(`create database gatehouse_pool_${pool}`);
  await admin.end();
  for (const pool of pools) {
    const url = new URL(cluster.url);
    url.pathname = `/gatehouse_pool_${pool}`;
    targets.push({
      pool,
      target: await startGatehouse({
        id: `gatehouse-postgres-pool-${pool}`, label: `Gatehouse (PostgreSQL, ${name} ${pool})`, dir: path.join(work, String(pool)),
        databaseUrl: url.toString(), logLevel: 'info', env: { [setting]: String(pool) },
      }),
    });
  }
  const driver = chooseDriver();
  const rps = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const endpoint of endpoints) {
      // A different server first in each round: none is always measured on a machine just warmed by another.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const { pool, target } of order) {
        const scenario = (await target.scenario(endpoint, 0))!;
        await probe(target, scenario);
        assertClean(`${endpoint} warm-up`, await loadRun(driver, target, scenario, connections, 1), scenario, { warmup: true });
        const r = await loadRun(driver, target, scenario, connections, duration);
        assertClean(endpoint, r, scenario);
        log(`round ${round + 1} ${endpoint} ${name} ${pool}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`);
        const key = `${endpoint} ${pool}`;
        rps.set(key, [...(rps.get(key) ?? []), r.rps]);
      }
    }
  }
  const reference = pools.includes(defaultSize) ? defaultSize : pools[0]!;
  console.log(`| endpoint | ${pools.map((p) => `${name} ${p}`).join(' | ')} |`);
  console.log(`|---|${pools.map(() => '---:').join('|')}|`);
  for (const endpoint of endpoints) {
    const base = median(rps.get(`${endpoint} ${reference}`)!);
    const cells = pools.map((p) => {
      const m = median(rps.get(`${endpoint} ${p}`)!);
      return `${m.toFixed(0)} req/s (${(m / base).toFixed(2)}×)`;
    });
    console.log(`| ${endpoint} | ${cells.join(' | ')} |`);
  }
  console.log(`\n${connections} connections, ${duration} s per run after 1 s of warm-up, ${rounds} rounds in alternation, medians; ratios to ${name} ${reference}.`);
} finally {
  for (const { target } of targets) await target.stop().catch(() => {});
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
