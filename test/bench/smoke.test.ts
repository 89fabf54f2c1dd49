/**
 * The benchmark harness (issue 11) in its smoke mode — about a second per
 * endpoint — so that it cannot rot. Speed is not asserted: only that every
 * server in it answered every benchmark request correctly, because a fast
 * error is not a result.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
// @ts-expect-error -- a plain ES module without type declarations
import { bundleBench } from '../../bench/run.mjs';
import { autogroup } from '../../bench/machine.js';
import type { Report } from '../../bench/report.js';
import { ENDPOINTS } from '../../bench/targets/target.js';
import { ROOT, runBundled } from './support.js';

const bundle = path.join(ROOT, '.tmp', `bench-smoke-${process.pid}`);
const out = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-smoke-'));

afterAll(() => {
  rmSync(bundle, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

test('every server answers every benchmark request with the expected status, and the table, JSON and chart are written', async () => {
  await bundleBench(bundle);
  const { code, output } = await runBundled(bundle, 'main', ['--smoke', '--no-install', '--out', out]);
  expect(code, output).toBe(0);

  const report = JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8')) as Report;
  expect(report.failures).toEqual([]);
  // Gatehouse with one process and with two workers (GATEHOUSE_WORKERS=2) on each engine, each clearly labelled.
  expect(report.targets.map((t) => t.id)).toEqual(['gatehouse-sqlite', 'gatehouse-sqlite-2w', 'gatehouse-postgres', 'gatehouse-postgres-2w', 'oidc-provider', 'node-http']);
  expect(report.targets.find((t) => t.id === 'gatehouse-postgres-2w')!.label).toBe('Gatehouse (PostgreSQL, 2 worker processes)');
  // What the PostgreSQL server said of its durability is printed beside the figures (here the tests' cluster, which has it off).
  expect(report.settings.postgres).toMatch(/^fsync (on|off), synchronous_commit \w+, full_page_writes (on|off), /);
  expect(readFileSync(path.join(out, 'bench.md'), 'utf8')).toContain(`PostgreSQL: ${report.settings.postgres}`);
  expect(report.rows.map((r) => r.endpoint)).toEqual([...ENDPOINTS]);
  for (const row of report.rows) {
    for (const target of report.targets) {
      const cell = row.cells[target.id];
      expect(cell, `${target.id} ${row.endpoint}`).not.toBeNull();
      expect(cell!.rps).toBeGreaterThan(0);
    }
    for (const g of ['gatehouse-sqlite', 'gatehouse-sqlite-2w', 'gatehouse-postgres', 'gatehouse-postgres-2w']) {
      expect(row.ratioToPeer[g], `${g} ${row.endpoint}`).toBeGreaterThan(0);
      expect(row.shareOfFloor[g], `${g} ${row.endpoint}`).toBeGreaterThan(0);
    }
  }
  // Every measured request was checked: no run had an unexpected status or a connection error.
  for (const r of report.runs) expect([r.target, r.endpoint, r.bad, r.socketErrors]).toEqual([r.target, r.endpoint, 0, 0]);
  expect(report.hashRate!.perSecond).toBeGreaterThan(0);
  // Gatehouse's sign-ins on each engine, then the same measurement of a server that only hashes (the sign-in floor).
  expect(report.login.map((l) => l.target)).toEqual(['gatehouse-sqlite', 'gatehouse-postgres', 'sign-in-floor']);
  for (const l of report.login) expect(l.rps).toBeGreaterThan(0);
  // Sign-ins have a warm-up of their own (none in smoke mode), and the report says how long it was.
  expect(report.settings.loginWarmupSec).toBe(0);
  // The steady /info beside them keeps a schedule and says how much of it was sent late (wrk.ts `schedule`).
  for (const l of report.login) {
    expect(l.infoConnections).toBe(32);
    if (report.settings.driver.startsWith('wrk')) expect(l.infoDuringLate).toBeGreaterThanOrEqual(0);
  }

  // Start-up, memory and SDK size are measured and reported (not judged: speed is never asserted).
  const f = report.footprint!;
  for (const v of [f.firstStartMs, f.restartMs, f.idleRssMb, f.suggestGzipBytes]) expect(v).toBeGreaterThan(0);
  expect(f.suggestGzipBytes).toBeLessThan(f.suggestBytes);
  for (const target of report.targets) expect(report.rss![target.id]!.afterLoadMb).toBeGreaterThan(0);

  const markdown = readFileSync(path.join(out, 'bench.md'), 'utf8');
  expect(markdown).toContain('| POST /token authorization_code |');
  expect(markdown).toContain('sign-ins measured after 0 s of unmeasured sign-ins');
  expect(markdown).toMatch(/sign-in-floor POST \/login: [\d.]+\/s = \d+ % of the hash rate/);
  expect(markdown).toMatch(/gatehouse-sqlite: sign-ins ≥ 90 % of the argon2 rate[^\n]*a server that only hashes: \d+ %/);
  // Linux's autogroup scheduling, which lengthens PostgreSQL's tails when the cores are full, as the machine has it.
  expect(report.machine.autogroup).toBe(autogroup());
  if (report.machine.autogroup != null) expect(markdown).toContain(`Linux's autogroup scheduling ${report.machine.autogroup ? 'on' : 'off'}`);
  expect(markdown).toMatch(/## Goals\n\n(- (met|NOT MET) · .+\n){10,}/);
  // Issue 17's goals, in the list and on the chart (a tick per bar, in place of the old 5× line).
  expect(markdown).toContain('gatehouse-sqlite: token checks ≥ 3× node-oidc-provider');
  expect(markdown).toContain('gatehouse-postgres-2w: grants ≥ 1× node-oidc-provider');
  const svg = readFileSync(path.join(out, 'bench.svg'), 'utf8');
  expect(svg).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
  expect(svg).toContain('Gatehouse (SQLite, 2 worker processes)');
  expect(svg).not.toContain('5× goal');
  expect(existsSync(path.join(out, 'bench.json'))).toBe(true);
}, 300_000);
