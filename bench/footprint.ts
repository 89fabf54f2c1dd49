/**
 * The goals of issue 11 that are not throughput: how long Gatehouse takes
 * from `node dist/main.js` to its first answer on `/healthz` (SQLite, a first
 * start that creates the database and keys, then restarts on it), how much
 * memory an idle process holds, and the size of the SDK a website loads.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePort } from './targets/child.js';
import { median } from './stats.js';

export interface Footprint {
  /** Spawn to the first 200 from /healthz, on an empty data directory (migrations, key generation). */
  firstStartMs: number;
  /** The same on the database the first start made: the median of the restarts. */
  restartMs: number;
  restarts: number[];
  /** Resident memory of a Gatehouse process started and left alone for `idleSeconds`. */
  idleRssMb: number;
  idleSeconds: number;
  /** `/sdk/suggest.js` as served, and gzipped at level 9. */
  suggestBytes: number;
  suggestGzipBytes: number;
}

/** Resident set size of a process, from /proc (Linux) or ps. */
export function rssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // not Linux, or the process is gone
  }
  return null;
}

interface Started {
  ms: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts Gatehouse on `dataDir` and times it to its first healthy answer. */
async function start(dataDir: string): Promise<Started> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: String(port), GATEHOUSE_ISSUER: `http://127.0.0.1:${port}`, GATEHOUSE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = began + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Gatehouse exited with ${child.exitCode} while starting: ${stderr.slice(-500)}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`Gatehouse did not answer /healthz in 30 s: ${stderr.slice(-500)}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const ms = performance.now() - began;
  return {
    ms,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function measureFootprint(o: { restarts?: number; idleSeconds?: number } = {}): Promise<Footprint> {
  const restarts = o.restarts ?? 5;
  const idleSeconds = o.idleSeconds ?? 5;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-footprint-'));
  try {
    const first = await start(dataDir);
    await first.stop();
    const times: number[] = [];
    let idleRssMb = 0;
    for (let i = 0; i < restarts; i++) {
      const run = await start(dataDir);
      times.push(run.ms);
      if (i === restarts - 1) {
        await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
        idleRssMb = rssMb(run.pid) ?? Number.NaN;
      }
      await run.stop();
    }
    const suggest = readFileSync(path.join('dist', 'sdk', 'suggest.js'));
    return {
      firstStartMs: first.ms,
      restartMs: median(times),
      restarts: times,
      idleRssMb,
      idleSeconds,
      suggestBytes: suggest.length,
      suggestGzipBytes: gzipSync(suggest, { level: 9 }).length,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
