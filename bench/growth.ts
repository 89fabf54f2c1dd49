/**
 * `npm run bench:growth`: how /info and refresh behave as the token table of
 * a SQLite Gatehouse grows from a thousand to a million rows (issue 11).
 * One server, one database; between measurements the table is filled in bulk
 * to the next size (a recursive CTE, 100 000 rows per statement) with tokens
 * spread over filler users and apps, then both endpoints are measured.
 *
 *   npm run bench:growth -- [--sizes 1000,10000,100000,1000000] [--duration 5] [--connections 32]
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chooseDriver } from './load/load.js';
import { gitCommit, uptime } from './machine.js';
import { assertClean, loadRun, probe } from './measure.js';
import { count, countFillerUsers, seedFillerApps, seedFillerTokens, seedFillerUsers, type Engine } from './seed.js';
import { startGatehouse, type GatehouseTarget } from './targets/gatehouse.js';
import type { EndpointId } from './targets/target.js';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

export interface GrowthPoint {
  tokens: number;
  endpoint: EndpointId;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export interface GrowthReport {
  startedAt: string;
  engine: Engine;
  uptimeStart: string;
  uptimeEnd: string;
  commit: string;
  settings: { driver: string; connections: number; durationSec: number };
  seedSeconds: Record<number, number>;
  databaseBytes: Record<number, number>;
  points: GrowthPoint[];
}

/** Fills the token table of `target` up to `size` rows (users: one per ten tokens). */
export async function growTo(target: GatehouseTarget, engine: Engine, size: number, batch: number): Promise<void> {
  const db = target.fixtures.storage.db;
  const now = Date.now();
  const have = await count(db, 'tokens');
  if (have >= size) return;
  const users = Math.max(100, Math.ceil(size / 10));
  const fillerUsers = await countFillerUsers(db);
  await seedFillerApps(db, engine, now);
  for (let from = fillerUsers + 1; from <= users; from += batch) await seedFillerUsers(db, engine, from, Math.min(users, from + batch - 1), now);
  // Filler tokens are numbered after the ones already there, so families stay pairs.
  const start = have + 1;
  for (let from = start; from <= size; from += batch) {
    await seedFillerTokens(db, engine, from, Math.min(size, from + batch - 1), users, now);
  }
}

async function measure(driver: ReturnType<typeof chooseDriver>, target: GatehouseTarget, endpoint: EndpointId, connections: number, duration: number, warmup: number): Promise<Omit<GrowthPoint, 'tokens'>> {
  const scenario = (await target.scenario(endpoint, 0))!;
  await probe(target, scenario);
  if (warmup > 0) assertClean(`${endpoint} warm-up`, await loadRun(driver, target, scenario, connections, warmup), scenario, { warmup: true });
  const result = await loadRun(driver, target, scenario, connections, duration);
  assertClean(endpoint, result, scenario);
  return { endpoint, rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
}

export function growthMarkdown(r: GrowthReport): string {
  const sizes = [...new Set(r.points.map((p) => p.tokens))];
  const cell = (tokens: number, e: EndpointId) => {
    const p = r.points.find((x) => x.tokens === tokens && x.endpoint === e);
    return p ? `${Math.round(p.rps).toLocaleString('en-US')} | ${p.p50Ms.toFixed(2)} | ${p.p99Ms.toFixed(1)}` : '– | – | –';
  };
  return [
    `| tokens stored | database size | /info req/s | p50 ms | p99 ms | refresh req/s | p50 ms | p99 ms |`,
    `|---:|---:|---:|---:|---:|---:|---:|---:|`,
    ...sizes.map((s) => `| ${s.toLocaleString('en-US')} | ${((r.databaseBytes[s] ?? 0) / 1e6).toFixed(0)} MB | ${cell(s, 'info')} | ${cell(s, 'refresh')} |`),
    '',
    `${r.startedAt} · commit ${r.commit} · ${r.settings.driver}, ${r.settings.connections} connections, ${r.settings.durationSec} s per point`,
    '',
    `- ${r.uptimeStart}`,
    `- ${r.uptimeEnd}`,
    '',
  ].join('\n');
}

/** Two panels, requests/s and p99, against tokens stored (log scale), one line per endpoint. */
export function growthSvg(r: GrowthReport): string {
  const sizes = [...new Set(r.points.map((p) => p.tokens))].sort((a, b) => a - b);
  const endpoints: EndpointId[] = ['info', 'refresh'];
  const colours: Record<string, string> = { info: '#2563eb', refresh: '#16a34a' };
  const w = 360;
  const h = 220;
  const pad = { l: 60, r: 16, t: 36, b: 40 };
  const lx = (s: number) => pad.l + ((Math.log10(s) - Math.log10(sizes[0]!)) / Math.max(1e-9, Math.log10(sizes.at(-1)!) - Math.log10(sizes[0]!))) * (w - pad.l - pad.r);
  const panel = (ox: number, title: string, value: (p: GrowthPoint) => number, unit: string) => {
    const max = Math.max(1, ...r.points.map(value)) * 1.15;
    const ly = (v: number) => pad.t + (1 - v / max) * (h - pad.t - pad.b);
    const out = [`<g transform="translate(${ox},0)">`, `<text x="${pad.l}" y="20" font-weight="600">${title}</text>`];
    out.push(`<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#999"/>`);
    for (const s of sizes) out.push(`<text x="${lx(s)}" y="${h - pad.b + 16}" text-anchor="middle">${s >= 1e6 ? `${s / 1e6}M` : s >= 1e3 ? `${s / 1e3}k` : s}</text>`);
    out.push(`<text x="${(pad.l + w - pad.r) / 2}" y="${h - 6}" text-anchor="middle" fill="#555">tokens stored</text>`);
    for (const t of [0, 0.5, 1]) out.push(`<text x="${pad.l - 6}" y="${ly(max * t) + 4}" text-anchor="end" fill="#555">${(max * t).toFixed(max * t < 10 ? 1 : 0)}${unit}</text>`);
    for (const e of endpoints) {
      const pts = sizes.map((s) => r.points.find((p) => p.tokens === s && p.endpoint === e)).filter((p): p is GrowthPoint => p !== undefined);
      out.push(`<polyline fill="none" stroke="${colours[e]}" stroke-width="2" points="${pts.map((p) => `${lx(p.tokens).toFixed(1)},${ly(value(p)).toFixed(1)}`).join(' ')}"/>`);
      for (const p of pts) out.push(`<circle cx="${lx(p.tokens).toFixed(1)}" cy="${ly(value(p)).toFixed(1)}" r="3" fill="${colours[e]}"/>`);
    }
    out.push('</g>');
    return out.join('\n');
  };
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * w}" height="${h + 24}" viewBox="0 0 ${2 * w} ${h + 24}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    panel(0, 'requests/s', (p) => p.rps, ''),
    panel(w, 'p99 latency', (p) => p.p99Ms, ' ms'),
    ...endpoints.map((e, i) => `<rect x="${pad.l + i * 120}" y="${h + 8}" width="10" height="10" fill="${colours[e]}"/><text x="${pad.l + 14 + i * 120}" y="${h + 17}">${e === 'info' ? 'GET /info' : 'refresh_token'}</text>`),
    '</svg>',
    '',
  ].join('\n');
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    sizes: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' },
    'log-level': { type: 'string' }, out: { type: 'string' }, driver: { type: 'string' },
  },
});
const sizes = (values.sizes ?? '1000,10000,100000,1000000').split(',').map(Number).sort((a, b) => a - b);
const duration = Number(values.duration ?? 5);
const warmup = Number(values.warmup ?? 1);
const connections = Number(values.connections ?? 32);
const out = path.resolve(values.out ?? path.join('bench', 'results', `growth-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`));
const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-growth-'));
const driver = chooseDriver(values.driver === 'autocannon' ? { prefer: 'autocannon' } : {});
const report: GrowthReport = {
  startedAt: new Date().toISOString(),
  engine: 'sqlite',
  uptimeStart: uptime(),
  uptimeEnd: '',
  commit: gitCommit(),
  settings: { driver: driver.name, connections, durationSec: duration },
  seedSeconds: {},
  databaseBytes: {},
  points: [],
};
log(report.uptimeStart);
const target = await startGatehouse({ id: 'gatehouse-sqlite', label: 'Gatehouse (SQLite)', dir: path.join(work, 'data'), databaseUrl: '', logLevel: values['log-level'] ?? 'info' });
try {
  for (const size of sizes) {
    const started = performance.now();
    await growTo(target, 'sqlite', size, 100_000);
    report.seedSeconds[size] = (performance.now() - started) / 1000;
    const stored = await count(target.fixtures.storage.db, 'tokens');
    report.databaseBytes[size] = ['', '-wal'].reduce((sum, suffix) => sum + (statSync(path.join(work, 'data', `gatehouse.db${suffix}`), { throwIfNoEntry: false })?.size ?? 0), 0);
    log(`${stored} tokens stored (filled in ${report.seedSeconds[size]!.toFixed(1)} s)`);
    for (const endpoint of ['info', 'refresh'] as const) {
      const point = { tokens: size, ...(await measure(driver, target, endpoint, connections, duration, warmup)) };
      report.points.push(point);
      log(`${size} tokens, ${endpoint}: ${point.rps.toFixed(0)} req/s, p50 ${point.p50Ms.toFixed(2)} ms, p99 ${point.p99Ms.toFixed(2)} ms`);
    }
  }
} finally {
  await target.stop();
  rmSync(work, { recursive: true, force: true });
}
report.uptimeEnd = uptime();
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'growth.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(path.join(out, 'growth.md'), growthMarkdown(report));
writeFileSync(path.join(out, 'growth.svg'), growthSvg(report));
process.stdout.write(`${growthMarkdown(report)}\nwritten: ${path.join(out, 'growth.{json,md,svg}')}\n`);
