/**
 * `npm run bench:profile -- --endpoint refresh`: Gatehouse on SQLite under
 * `node --cpu-prof`, loaded on one endpoint, then the profile summarised —
 * where the time goes by function (self time) and by package. The
 * `.cpuprofile` file opens in Chrome DevTools or speedscope for a flame graph.
 * Native code's time (SQLite, the sockets, hashing) is charged to a
 * JavaScript frame near it, not always the right one: for that, `perf`
 * (docs/benchmarks.md, "Where the time goes").
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chooseDriver } from './load/load.js';
import { assertClean, loadRun, probe } from './measure.js';
import { loginScenario, startGatehouse } from './targets/gatehouse.js';
import { ENDPOINTS, type EndpointId } from './targets/target.js';
import { summarise, summaryText, type CpuProfile } from './cpu-profile.js';
import { uptime } from './machine.js';

const USAGE = `npm run bench:profile -- [options]
  --endpoint E       one of ${ENDPOINTS.join(', ')}, login (default refresh)
  --duration S       seconds of load under the profiler (default 10)
  --connections N    concurrent connections (default 32)
  --log-level L      Gatehouse's GATEHOUSE_LOG_LEVEL (default info)
  --out DIR          where the .cpuprofile and its summary go (default bench/results/profile-<endpoint>-<time>)`;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    endpoint: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' }, 'log-level': { type: 'string' }, out: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const endpoint = (values.endpoint ?? 'refresh') as EndpointId | 'login';
if (endpoint !== 'login' && !(ENDPOINTS as readonly string[]).includes(endpoint)) throw new Error(`--endpoint must be one of ${ENDPOINTS.join(', ')}, login`);
const duration = Number(values.duration ?? 10);
const connections = Number(values.connections ?? 32);
const out = path.resolve(values.out ?? path.join('bench', 'results', `profile-${endpoint}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`));
const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-profile-'));
const profDir = path.join(work, 'prof');
process.stderr.write(`bench: ${uptime()}\n`);
const driver = chooseDriver();
const target = await startGatehouse({
  id: 'gatehouse-sqlite', label: 'Gatehouse (SQLite)', dir: path.join(work, 'data'), databaseUrl: '',
  logLevel: values['log-level'] ?? 'info', nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir],
});
let result;
try {
  const fresh = Math.ceil(duration * 6000);
  const scenario = endpoint === 'login' ? loginScenario() : (await target.scenario(endpoint, fresh + 1))!;
  await probe(target, { ...scenario, values: scenario.values?.slice(-1) });
  const measured = { ...scenario, values: scenario.values?.slice(0, -1) };
  result = await loadRun(driver, target, measured, connections, duration);
  assertClean(`${endpoint}`, result, measured);
} finally {
  await target.stop();
}
mkdirSync(out, { recursive: true });
const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('node wrote no CPU profile');
copyFileSync(path.join(profDir, file), path.join(out, `${endpoint}.cpuprofile`));
const summary = summarise(JSON.parse(readFileSync(path.join(profDir, file), 'utf8')) as CpuProfile);
const text = `${endpoint}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms at ${connections} connections (${driver.name})\n${uptime()}\n\n${summaryText(summary)}\n`;
writeFileSync(path.join(out, `${endpoint}-profile.txt`), text);
writeFileSync(path.join(out, `${endpoint}-profile.json`), `${JSON.stringify({ result, summary }, null, 2)}\n`);
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${text}\nwritten: ${out}\n`);
