/** Starting a server process that prints one JSON line when it is ready. */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Child<T> {
  child: ChildProcess;
  ready: T;
  output(): string;
  /** Null while running; else the exit code or signal. */
  exited(): string | null;
  stop(): Promise<void>;
}

/** Spawns `node args…` and waits for a line of JSON with `ready: true` on stdout. */
export async function spawnReady<T>(args: string[], options: { env?: NodeJS.ProcessEnv; ipc?: boolean; cwd?: string } = {}): Promise<Child<T>> {
  const stdio: StdioOptions = options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn(process.execPath, args, { stdio, env: options.env ?? process.env, cwd: options.cwd ?? process.cwd() });
  let output = '';
  const ready = await new Promise<T>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start in 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const parsed = JSON.parse(line) as T & { ready?: boolean };
          if (parsed.ready) {
            clearTimeout(timer);
            resolve(parsed);
          }
        } catch {
          output += `${line}\n`;
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
  let ended: string | null = null;
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) ended = `exited with ${signal ?? code}:\n${output.slice(-2000)}`;
  });
  return {
    child,
    ready,
    output: () => output,
    exited: () => ended,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    },
  };
}
