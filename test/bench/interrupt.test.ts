/**
 * bench/interrupt.ts: an interrupted benchmark stops what it started and puts
 * back what it changed, then dies of its signal. Run in a child process, which
 * the test interrupts as a terminal's Ctrl-C or a supervisor's SIGTERM would.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ROOT } from './support.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-interrupt-'));
const script = path.join(dir, 'child.mjs');

beforeAll(async () => {
  // A run that registers three cleanups, forgets one (it cleaned up by itself), and waits to be interrupted.
  await build({
    stdin: {
      contents: `
        import { appendFileSync } from 'node:fs';
        import { onInterrupt } from './bench/interrupt.ts';
        const out = process.argv[2];
        onInterrupt(() => appendFileSync(out, 'cluster stopped\\n'));
        const forget = onInterrupt(() => appendFileSync(out, 'already done\\n'));
        onInterrupt(() => { throw new Error('a cleanup that fails'); });
        onInterrupt(() => appendFileSync(out, 'setting restored\\n'));
        forget();
        process.stdout.write('ready\\n');
        setInterval(() => {}, 1000);
      `,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'warning',
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`on ${signal}: every cleanup still registered runs, newest first, past one that fails; then the process dies of ${signal}`, async () => {
    const out = path.join(dir, `${signal}.txt`);
    const child = spawn(process.execPath, [script, out], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    child.kill(signal);
    expect(await ended).toBe(signal);
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('setting restored\ncluster stopped\n');
  });
}
