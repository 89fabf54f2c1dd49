/**
 * Running `gatehouse` as an operator does, for CLI tests: the built package
 * through `npx --no-install gatehouse …` from the repository root, with only
 * the given GATEHOUSE_* variables set.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function gatehouseCli(env: Record<string, string>, args: string[], input = ''): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'gatehouse', ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
