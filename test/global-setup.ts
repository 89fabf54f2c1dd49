/**
 * Once per test run, before any test file: the compiled server and CLI are
 * brought up to date (tests that spawn `node dist/main.js` or `npx gatehouse`
 * run the code under test), and a throwaway PostgreSQL is started that every
 * test file reaches via `inject('postgresUrl')`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPostgres } from './helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const ROOT = path.resolve(import.meta.dirname, '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function buildIfStale(): void {
  const built = statSync(path.join(ROOT, 'dist/cli/main.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built >= newestMtime(path.join(ROOT, 'src'))) return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
}

let started: Promise<{ url: string; stop(): Promise<void> }> | null = null;
let users = 0;

export default async function setup(project: TestProject) {
  // Both test projects (SQLite and PostgreSQL) share one build and one server.
  users++;
  if (!started) {
    buildIfStale();
    started = startPostgres();
  }
  const postgres = await started;
  project.provide('postgresUrl', postgres.url);
  return async () => {
    if (--users === 0) await postgres.stop();
  };
}
