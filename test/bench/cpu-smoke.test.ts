/**
 * `npm run bench:cpu` in its smoke mode, so that it cannot rot: on each
 * engine, two builds (this checkout's, given again as a baseline) measured
 * on a token check and a grant, and sign-ins. Speed is not asserted; what is, is that every
 * request was answered as expected and that the harness read real figures
 * from /proc — the CPU of Gatehouse's processes, of PostgreSQL's backends on
 * PostgreSQL, and a grant's writes to the database's files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
// @ts-expect-error -- a plain ES module without type declarations
import { bundleBench } from '../../bench/run.mjs';
import { ROOT, runBundled } from './support.js';

const bundle = path.join(ROOT, '.tmp', `bench-cpu-smoke-${process.pid}`);
const out = mkdtempSync(path.join(tmpdir(), 'gatehouse-cpu-smoke-'));

beforeAll(async () => {
  await bundleBench(bundle);
});

afterAll(() => {
  rmSync(bundle, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

interface Sample {
  endpoint: string;
  build: string;
  rps: number;
  gatehouseCpuUs: number;
  hashingCpuUs: number | null;
  postgresCpuUs: number | null;
  bytesWritten: number;
  writeCalls: number;
}

describe('npm run bench:cpu --smoke', () => {
  for (const engine of ['sqlite', 'postgres'] as const) {
    test(`${engine}: every build measured on every endpoint, with CPU and writes read from /proc`, async () => {
      const dir = path.join(out, engine);
      const baseline = path.join(ROOT, 'dist', 'main.js');
      const { code, output } = await runBundled(bundle, 'cpu', ['--smoke', '--engine', engine, '--endpoints', 'info,client_credentials', '--baseline', baseline, '--out', dir]);
      expect(code, output).toBe(0);
      const report = JSON.parse(readFileSync(path.join(dir, 'cpu.json'), 'utf8')) as { samples: Sample[] };
      expect(report.samples.map((s) => `${s.endpoint} ${s.build}`).sort()).toEqual(['client_credentials baseline 1', 'client_credentials this checkout', 'info baseline 1', 'info this checkout']);
      for (const s of report.samples) {
        expect(s.rps, `${s.endpoint} ${s.build}`).toBeGreaterThan(0);
        expect(s.gatehouseCpuUs, `${s.endpoint} ${s.build}`).toBeGreaterThan(0);
        // Every answer is written to its socket, and one access-log line per request to the log file.
        expect(s.writeCalls, `${s.endpoint} ${s.build}`).toBeGreaterThanOrEqual(1);
        if (engine === 'postgres') expect(s.postgresCpuUs, `${s.endpoint} ${s.build}`).toBeGreaterThan(0);
        else expect(s.postgresCpuUs).toBeNull();
      }
      // On SQLite a grant writes the database's log in Gatehouse's own process: more than a token check writes.
      if (engine === 'sqlite') {
        const bytes = (endpoint: string) => Math.min(...report.samples.filter((s) => s.endpoint === endpoint).map((s) => s.bytesWritten));
        expect(bytes('client_credentials')).toBeGreaterThan(bytes('info'));
      }
      const markdown = readFileSync(path.join(dir, 'cpu.md'), 'utf8');
      expect(markdown).toContain('| client_credentials | this checkout (dist/main.js) |');
      expect(markdown).toContain('| client_credentials | baseline 1 (dist/main.js) |');
      if (engine === 'postgres') expect(markdown).toContain('PostgreSQL CPU µs/request');
    }, 180_000);
  }

  test('sign-ins: each answered as a right password is, and their hashing threads\' CPU read apart from the rest', async () => {
    const dir = path.join(out, 'login');
    // The suite runs hashes at the event loop's priority (vitest.config.ts); the servers measured here run them as
    // Gatehouse does by default, below it, which is how their CPU is told apart.
    const { code, output } = await runBundled(bundle, 'cpu', ['--smoke', '--endpoints', 'login,info', '--out', dir], { GATEHOUSE_HASHING_NICE: '10' });
    expect(code, output).toBe(0);
    const report = JSON.parse(readFileSync(path.join(dir, 'cpu.json'), 'utf8')) as { samples: Sample[] };
    const signIns = report.samples.find((s) => s.endpoint === 'login')!;
    expect(signIns.rps).toBeGreaterThan(0);
    // A sign-in is mostly its hash (about 15 ms of CPU here), made on the hashing threads; the rest is the request's own work.
    expect(signIns.hashingCpuUs).toBeGreaterThan(signIns.gatehouseCpuUs / 2);
    expect(signIns.hashingCpuUs).toBeLessThan(signIns.gatehouseCpuUs);
    expect(report.samples.find((s) => s.endpoint === 'info')!.hashingCpuUs).toBeNull();
    expect(readFileSync(path.join(dir, 'cpu.md'), 'utf8')).toMatch(/\| login \| this checkout \(dist\/main\.js\) \| [\d.]+ \| [\d.]+ \| \d+ \(\d+\) \| \d+ \(\d+\) \|/);
  }, 180_000);
});
