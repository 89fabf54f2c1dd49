/**
 * `npm run bench:cpu`: what one request costs, rather than how many a
 * second come back. Requests/s on two shared cores move by ±20 % from run to
 * run; the CPU a request takes moves far less, so this is the figure to
 * compare a change by. For each endpoint, each build (this checkout's
 * `dist/main.js`, and `--baseline` builds) is loaded in turn, the builds
 * interleaved and their order reversed every other round, and measured from
 * `/proc`:
 *
 * - Gatehouse's CPU per request: user and system time of its process and its
 *   worker processes (`GATEHOUSE_WORKERS`), every thread of them (the event
 *   loop, the log's syncer and checkpointer, the thread pool);
 * - PostgreSQL's CPU per request, on PostgreSQL: its postmaster and every
 *   process under it (the backends doing the work, the WAL writer);
 * - what Gatehouse wrote per request: bytes (`wchar`) and write calls
 *   (`syscw`) — responses, log lines, and on SQLite the log's pages and the
 *   checkpoint's copies of them.
 *
 * The median of the rounds is shown, with every round's CPU beside it. Every
 * response is checked, as in `npm run bench`.
 *
 * `--endpoints login` measures password sign-ins the same way (the
 * benchmark's 64 accounts, each from a browser it has not seen), after 5 s of
 * unmeasured ones, and shows apart the CPU of the hashing threads (the
 * threads at their lowered priority, src/crypto/password-pool.ts): what a
 * sign-in costs besides its hash is what a change to the sign-in's own work
 * moves.
 *
 *   npm run bench:cpu -- --endpoints introspect,code --engine postgres --baseline ../other/dist/main.js
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freshDatabase, startPostgres, type RunningPostgres } from '../test/helpers/postgres.js';
import { chooseDriver } from './load/load.js';
import { onInterrupt, stopNow } from './interrupt.js';
import { autogroup, gitCommit, setAutogroup, uptime } from './machine.js';
import { assertClean, loadRun, probe } from './measure.js';
import { hashingNice } from '../src/crypto/password-pool.js';
import { loginScenario, startGatehouse, type GatehouseTarget } from './targets/gatehouse.js';
import { ENDPOINTS, type EndpointId } from './targets/target.js';
import { procStat, TICKS_PER_SECOND, treeUsage, usedBetween } from './proc-usage.js';
import { median } from './stats.js';

/** The benchmark's endpoints, and password sign-ins. */
const CPU_ENDPOINTS = [...ENDPOINTS, 'login'] as const;
type CpuEndpoint = (typeof CPU_ENDPOINTS)[number];
/** Unmeasured sign-ins before each measured run: V8 compiles a sign-in's path over its first seconds. */
const LOGIN_WARMUP_SECONDS = 5;

const USAGE = `npm run bench:cpu -- [options]
  --endpoints a,b    subset of ${CPU_ENDPOINTS.join(',')} (default: all but login)
  --engine E         sqlite or postgres (default sqlite); PostgreSQL is a durable throwaway cluster
  --workers N        GATEHOUSE_WORKERS of every server (default 1)
  --baseline FILE    also a Gatehouse built elsewhere (its dist/main.js); may be given more than once
  --rounds N         rounds, builds interleaved (default 3)
  --duration S       measured seconds per endpoint, build and round (default 5; 1 s of warm-up before)
  --connections N    concurrent connections (default 32)
  --out DIR          where cpu.json and cpu.md go (default bench/results/cpu-<time>)
  --no-autogroup     turn Linux's autogroup scheduling off for the run, and back on after (root; docs/benchmarks.md)
  --smoke            one round of one second at 8 connections: checks the harness`;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    endpoints: { type: 'string' }, engine: { type: 'string' }, workers: { type: 'string' }, baseline: { type: 'string', multiple: true },
    rounds: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' }, out: { type: 'string' },
    smoke: { type: 'boolean' }, help: { type: 'boolean' }, 'no-autogroup': { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const smoke = values.smoke ?? false;
const endpoints = (values.endpoints?.split(',') ?? [...ENDPOINTS]) as CpuEndpoint[];
for (const e of endpoints) if (!(CPU_ENDPOINTS as readonly string[]).includes(e)) throw new Error(`--endpoints: ${e} is not one of ${CPU_ENDPOINTS.join(', ')}`);
/** The hashing threads' priority in the servers measured (they inherit GATEHOUSE_HASHING_NICE): how their CPU is told apart. */
const hashingPriority = hashingNice();
if (endpoints.includes('login') && hashingPriority === 0) {
  throw new Error('--endpoints login tells the hashing threads apart by their lowered priority, and GATEHOUSE_HASHING_NICE=0 leaves them at the others\'');
}
const engine = values.engine ?? 'sqlite';
if (engine !== 'sqlite' && engine !== 'postgres') throw new Error('--engine must be sqlite or postgres');
const workers = Number(values.workers ?? 1);
const rounds = smoke ? 1 : Number(values.rounds ?? 3);
const duration = smoke ? 1 : Number(values.duration ?? 5);
const connections = smoke ? 8 : Number(values.connections ?? 32);
const builds = [path.resolve('dist/main.js'), ...(values.baseline ?? []).map((b) => path.resolve(b))];
const out = path.resolve(values.out ?? path.join('bench', 'results', `cpu-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`));
const log = (line: string) => process.stderr.write(`cpu: ${line}\n`);

/** The PostgreSQL server's postmaster: the parent of a backend. */
async function postmasterOf(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const backend = Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
    const stat = procStat(backend);
    if (!stat) throw new Error('the PostgreSQL server runs on another machine: its CPU cannot be read from /proc');
    return stat.ppid;
  } finally {
    await client.end();
  }
}

interface Sample {
  endpoint: CpuEndpoint;
  /** `this checkout`, or `baseline 1`, `baseline 2`… in the order given. */
  build: string;
  round: number;
  rps: number;
  p99Ms: number;
  requests: number;
  gatehouseCpuUs: number;
  /** Sign-ins: of `gatehouseCpuUs`, the hashing threads'. */
  hashingCpuUs: number | null;
  postgresCpuUs: number | null;
  bytesWritten: number;
  writeCalls: number;
}

const buildName = (i: number) => (i === 0 ? 'this checkout' : `baseline ${i}`);
const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cpu-'));
log(uptime());
const driver = chooseDriver({ log });
let postgres: RunningPostgres | null = null;
const targets: GatehouseTarget[] = [];
const samples: Sample[] = [];
const restoreAutogroup = values['no-autogroup'] ? setAutogroup(false) : null;
const autogroupDuring = autogroup();
const forgetServers = onInterrupt(() => stopNow(targets.map((t) => t.pid), postgres));
try {
  if (engine === 'postgres') postgres = await startPostgres({ durable: true });
  const postmaster = postgres ? await postmasterOf(postgres.url) : null;
  for (const [i, build] of builds.entries()) {
    const databaseUrl = postgres ? (await freshDatabase(postgres.url)).url : '';
    targets.push(await startGatehouse({
      id: `build-${i}`, label: buildName(i), dir: path.join(work, `build-${i}`), databaseUrl, logLevel: 'info', main: build,
      env: { GATEHOUSE_WORKERS: String(workers) },
    }));
  }
  for (let round = 0; round < rounds; round++) {
    for (const endpoint of endpoints) {
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const fresh = (seconds: number) => Math.ceil(seconds * 12_000) + connections * 4;
        const signIns = endpoint === 'login';
        const warm = signIns ? loginScenario() : (await target.scenario(endpoint, fresh(1)))!;
        await probe(target, { ...warm, values: warm.values?.slice(-1) });
        const warmup = await loadRun(driver, target, { ...warm, values: signIns ? warm.values : warm.values?.slice(0, -1) }, connections, signIns && !smoke ? LOGIN_WARMUP_SECONDS : 1);
        assertClean(`${endpoint} warm-up`, warmup, warm, { warmup: true });
        const scenario = signIns ? warm : (await target.scenario(endpoint, fresh(duration)))!;
        const nice = signIns ? hashingPriority : undefined;
        const before = { gatehouse: treeUsage(target.pid, nice), postgres: postmaster === null ? null : treeUsage(postmaster) };
        const result = await loadRun(driver, target, scenario, connections, duration);
        const gatehouse = usedBetween(before.gatehouse, treeUsage(target.pid, nice));
        const postgresUsed = before.postgres === null ? null : usedBetween(before.postgres, treeUsage(postmaster!));
        assertClean(`${target.label} ${endpoint}`, result, scenario);
        const perRequest = (ticks: number) => ((ticks / TICKS_PER_SECOND) * 1e6) / result.requests;
        const sample: Sample = {
          endpoint, build: target.label, round, rps: result.rps, p99Ms: result.p99Ms, requests: result.requests,
          gatehouseCpuUs: perRequest(gatehouse.ticks),
          hashingCpuUs: signIns ? perRequest(gatehouse.ticksAtNice) : null,
          postgresCpuUs: postgresUsed === null ? null : perRequest(postgresUsed.ticks),
          bytesWritten: gatehouse.bytes / result.requests,
          writeCalls: gatehouse.calls / result.requests,
        };
        samples.push(sample);
        const hashing = sample.hashingCpuUs === null ? '' : ` (${sample.hashingCpuUs.toFixed(0)} of them hashing)`;
        log(`${endpoint} round ${round + 1} ${target.label}: ${result.rps.toFixed(0)} req/s, ${sample.gatehouseCpuUs.toFixed(0)} µs of Gatehouse CPU per request${hashing}${sample.postgresCpuUs === null ? '' : `, ${sample.postgresCpuUs.toFixed(0)} µs of PostgreSQL's`}`);
      }
    }
  }
} finally {
  for (const target of targets) await target.stop().catch(() => {});
  await postgres?.stop().catch(() => {});
  forgetServers();
  restoreAutogroup?.();
  rmSync(work, { recursive: true, force: true });
}

const signInsMeasured = endpoints.includes('login');
const header = [
  `# Gatehouse: CPU per request`,
  '',
  `- ${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'} · Node ${process.version} · commit ${gitCommit()}`,
  `- ${engine === 'postgres' ? 'PostgreSQL (durable throwaway cluster)' : 'SQLite'}, GATEHOUSE_WORKERS=${workers}; ${driver.name}, ${connections} connections, ${duration} s measured after 1 s of warm-up, ${rounds} round(s), builds interleaved; the median round is shown`,
  `- CPU of every process and thread, from /proc; bytes and write calls are Gatehouse's (responses, log lines, the database's files)`,
  ...(autogroupDuring === null ? [] : [`- Linux's autogroup scheduling ${autogroupDuring ? 'on' : 'off'} during the run (\`--no-autogroup\`; docs/benchmarks.md)`]),
  ...(signInsMeasured ? [`- login: \`POST /login\` with the right password, after ${LOGIN_WARMUP_SECONDS} s of unmeasured ones; "besides hashing" is Gatehouse's CPU less its hashing threads' (at nice ${hashingPriority})`] : []),
  '',
  `| endpoint | build | req/s | p99 ms | Gatehouse CPU µs/request (each round) | ${signInsMeasured ? 'besides hashing (each round) | ' : ''}${engine === 'postgres' ? 'PostgreSQL CPU µs/request | ' : ''}bytes written/request | write calls/request |`,
  `|---|---|---:|---:|---:|${signInsMeasured ? '---:|' : ''}${engine === 'postgres' ? '---:|' : ''}---:|---:|`,
];
const lines: string[] = [];
for (const endpoint of endpoints) {
  for (const [i, build] of builds.entries()) {
    const mine = samples.filter((s) => s.endpoint === endpoint && s.build === buildName(i));
    if (mine.length === 0) continue;
    const cpu = mine.map((s) => s.gatehouseCpuUs);
    const cells = [
      endpoint, `${buildName(i)} (${path.relative(process.cwd(), build) || build})`, median(mine.map((s) => s.rps)).toFixed(0), median(mine.map((s) => s.p99Ms)).toFixed(1),
      `${median(cpu).toFixed(0)} (${cpu.map((c) => c.toFixed(0)).join(' / ')})`,
      ...(signInsMeasured ? [besidesHashing(mine)] : []),
      ...(engine === 'postgres' ? [median(mine.map((s) => s.postgresCpuUs!)).toFixed(0)] : []),
      median(mine.map((s) => s.bytesWritten)).toFixed(0), median(mine.map((s) => s.writeCalls)).toFixed(1),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
}
/** Sign-ins' CPU less the hashing threads': the median, then each round's. */
function besidesHashing(mine: Sample[]): string {
  if (mine[0]!.hashingCpuUs === null) return '';
  const besides = mine.map((s) => s.gatehouseCpuUs - s.hashingCpuUs!);
  return `${median(besides).toFixed(0)} (${besides.map((c) => c.toFixed(0)).join(' / ')})`;
}
const markdown = `${[...header, ...lines].join('\n')}\n`;
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'cpu.md'), markdown);
writeFileSync(path.join(out, 'cpu.json'), `${JSON.stringify({ engine, workers, rounds, duration, connections, autogroup: autogroupDuring, builds: builds.map((file, i) => ({ name: buildName(i), file })), samples }, null, 2)}\n`);
process.stdout.write(`${markdown}\nwritten: ${path.join(out, 'cpu.{json,md}')}\n`);
