/** Facts about the machine and the code a measurement was taken on. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { onInterrupt } from './interrupt.js';

export function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`;
  }
}

/** The commit measured: `GATEHOUSE_BENCH_COMMIT` when the tree is a copy outside git, else HEAD (marked when src/ differs). */
export function gitCommit(): string {
  if (process.env.GATEHOUSE_BENCH_COMMIT) return process.env.GATEHOUSE_BENCH_COMMIT;
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${head} (src/ has uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

const AUTOGROUP = '/proc/sys/kernel/sched_autogroup_enabled';

/**
 * Linux's autogroup scheduling (`kernel.sched_autogroup_enabled`): on, the
 * kernel shares the CPU out between sessions first, then between the threads
 * of each. Every PostgreSQL backend starts a session of its own, so under full
 * load each is weighed like all of Gatehouse's processes together
 * (docs/benchmarks.md, "PostgreSQL with two workers: the tail was the
 * scheduler's"). null where the kernel has no such setting.
 */
export function autogroup(): boolean | null {
  try {
    return readFileSync(AUTOGROUP, 'utf8').trim() !== '0';
  } catch {
    return null;
  }
}

/** Sets autogroup scheduling (root only) and returns what puts the old setting back. */
export function setAutogroup(on: boolean): () => void {
  const before = autogroup();
  if (before === null) throw new Error(`--no-autogroup: this kernel has no ${AUTOGROUP}`);
  if (before === on) return () => {};
  try {
    writeFileSync(AUTOGROUP, on ? '1' : '0');
  } catch (err) {
    throw new Error(`--no-autogroup: cannot write ${AUTOGROUP} (${(err as NodeJS.ErrnoException).code ?? err}): run as root, or set it with sysctl first`);
  }
  const restore = () => writeFileSync(AUTOGROUP, before ? '1' : '0');
  // An interrupted run puts it back too.
  const forget = onInterrupt(restore);
  return () => {
    forget();
    restore();
  };
}
