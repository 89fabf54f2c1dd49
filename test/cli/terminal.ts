/**
 * Running a built Gatehouse program under a pseudo-terminal, as a person at a
 * terminal runs it: util-linux `script` gives it a tty for stdin and stdout,
 * and what it prints comes back with the terminal's CR LF line ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface TerminalRun {
  child: ChildProcess;
  /** Everything printed so far, colours and CRs removed. */
  screen(): string;
  /** Waits until the screen matches `pattern` (or throws after `ms`). */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  /** Types `text` as keystrokes. */
  type(text: string): void;
  /** Waits for the program to end by itself: its exit code. */
  exit(): Promise<number | null>;
  /** Ends the program (SIGTERM to `script`'s process group) and waits for it. */
  stop(): Promise<number | null>;
}

/** Quotes one argument for `script -c`, which hands its command to a shell. */
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export function inTerminal(args: string[], env: Record<string, string>): TerminalRun {
  const command = [process.execPath, ...args].map(quote).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { output += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { output += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // eslint-disable-next-line no-control-regex
  const screen = () => output.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');
  return {
    child,
    screen,
    async waitFor(pattern, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(screen())) {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before ${pattern}:\n${screen()}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${ms} ms:\n${screen()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    exit: () => exited,
    type(text) {
      child.stdin!.write(text);
    },
    async stop() {
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      return exited;
    },
  };
}
