/**
 * Running `gatehouse` as an operator does, for CLI tests: the built command
 * the package's `bin` names (dist/cli/main.js), from the repository root,
 * with only the given GATEHOUSE_* variables set. Node runs it directly: npm's
 * own start-up under `npx` cost over a second of CPU a command, most of these
 * tests' time. test/cli/cli.test.ts runs it through `npx --no-install
 * gatehouse …`, as the README does.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const COMMAND = path.join(ROOT, (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: { gatehouse: string } }).bin.gatehouse);

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function gatehouseCli(env: Record<string, string>, args: string[], input = ''): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COMMAND, ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
