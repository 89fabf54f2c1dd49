/** Facts about the machine and the code a measurement was taken on. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

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
