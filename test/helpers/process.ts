/** Gatehouse as a separate operating-system process (`node dist/main.js`), as operators run it. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { freePort } from './postgres.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface GatehouseProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node dist/main.js` with `env` on a free port and waits for /healthz.
 * With `operator`, an operator (`helper-operator`) is created first with the
 * CLI, so the database is past the first-run setup (src/setup/first-run.ts)
 * and visitors may sign up.
 */
export async function spawnGatehouse(env: Record<string, string>, options: { operator?: boolean } = {}): Promise<GatehouseProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const fullEnv = { PATH: process.env.PATH ?? '', GATEHOUSE_PORT: String(port), GATEHOUSE_ISSUER: url, GATEHOUSE_LOG_LEVEL: 'warn', ...env };
  if (options.operator) {
    execFileSync(process.execPath, ['dist/cli/main.js', 'user', 'create', '--login', 'helper-operator', '--admin', '--password-stdin'], {
      cwd: ROOT, env: fullEnv, input: randomBytes(18).toString('base64url'), stdio: ['pipe', 'ignore', 'ignore'],
    });
  }
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gatehouse exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`gatehouse did not answer /healthz in 30 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
