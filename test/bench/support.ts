/** Running an entry of the benchmark's bundle (bench/run.mjs `bundleBench`) the way the smoke tests do. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** `entry` of the bundle in `bundle` with `args`, from the repository's root; its exit code and everything it printed. */
export function runBundled(bundle: string, entry: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // The suite's PostgreSQL stands in for the throwaway cluster the benchmark would start.
    const child = spawn(process.execPath, [path.join(bundle, `${entry}.mjs`), ...args], {
      cwd: ROOT,
      env: { ...process.env, GATEHOUSE_TEST_DATABASE_URL: inject('postgresUrl'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}
