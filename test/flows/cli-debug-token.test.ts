/**
 * `gatehouse token debug --app ID --user LOGIN [--json]` (docs/protocol.md §5.3, §11) run
 * as an operator runs it, `npx --no-install gatehouse …`, on the database of a
 * running server: the token it prints works on that server's /info.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { tokenKey } from '../../src/oauth/tokens.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { info, infoStatus, PASSWORD } from './support.js';

const run = promisify(execFile);
const CACHE = path.resolve('node_modules/.cache');

/** True when some source file is newer than the built CLI. */
function distIsStale(): boolean {
  let builtAt: number;
  try {
    builtAt = statSync(path.resolve('dist/cli/main.js')).mtimeMs;
  } catch {
    return true;
  }
  const newer = (dir: string): boolean => readdirSync(dir, { withFileTypes: true }).some((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? newer(p) : statSync(p).mtimeMs > builtAt;
  });
  return newer(path.resolve('src'));
}

/**
 * `npm run build` when dist/ is stale. The build empties dist/ first, so two
 * test processes (this file runs once per storage engine) take turns, holding
 * a lock directory; one left behind by a killed run is taken over after 3 minutes.
 */
async function buildIfStale(): Promise<void> {
  const lock = path.join(CACHE, 'gatehouse-build.lock');
  mkdirSync(CACHE, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (distIsStale()) await run('npm', ['run', 'build'], { timeout: 120_000 });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * npx links this package into `<npm cache>/_npx/<hash>` the first time (slow:
 * it reads the whole tree) and reuses the link afterwards. The test keeps a
 * cache of its own per engine, so it neither depends on nor disturbs the
 * user's; an install that was interrupted (no package.json yet) makes every
 * later npx fail, so it is removed first.
 */
function npmCache(): string {
  const cache = path.join(CACHE, `gatehouse-flows-npm-${testEngine()}`);
  const npx = path.join(cache, '_npx');
  mkdirSync(npx, { recursive: true });
  for (const entry of readdirSync(npx)) {
    if (!existsSync(path.join(npx, entry, 'package.json'))) rmSync(path.join(npx, entry), { recursive: true, force: true });
  }
  return cache;
}

let gh: TestGatehouse;
let cache: string;

beforeAll(async () => {
  [gh] = await Promise.all([startGatehouse(), buildIfStale()]);
  await gh.createUser('dan', PASSWORD, { firstName: 'Dan', email: 'dan@example.org' });
  cache = npmCache();
}, 180_000);
afterAll(async () => { await gh?.close(); });

/** The operator's shell: the server's data directory and database, nothing else of Gatehouse's. */
function cli(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  return run('npx', ['--no-install', 'gatehouse', ...args], {
    env: {
      ...env,
      GATEHOUSE_DATA_DIR: gh.dataDir,
      ...(gh.ctx.config.databaseUrl ? { GATEHOUSE_DATABASE_URL: gh.ctx.config.databaseUrl } : {}),
      npm_config_cache: cache,
    },
    timeout: 90_000,
  });
}

test('prints a working debug token as JSON, marked isDebug, with no refresh token', async () => {
  const app = await gh.createApp({ name: 'Debuggable', scopes: ['login:info', 'login:email'] });
  const { stdout } = await cli(['token', 'debug', '--app', app.clientId, '--user', 'dan', '--json']);
  const printed = JSON.parse(stdout) as Record<string, unknown>;
  expect(printed).toMatchObject({ token_type: 'bearer', scope: 'login:info login:email' });
  expect(printed.access_token).toMatch(/^gate_at_/);
  expect(printed.refresh_token).toBeUndefined();
  expect(await info(gh, printed.access_token as string)).toMatchObject({ login: 'dan', client_id: app.clientId, default_email: 'dan@example.org' });
  expect(await gh.ctx.storage.findToken(tokenKey(printed.access_token as string))).toMatchObject({ isDebug: true, type: 'access' });
}, 120_000);

test('prints the bare token without --json, and one clear line with a non-zero exit for an unknown user', async () => {
  const app = await gh.createApp({ name: 'Debuggable 2', scopes: ['login:info'] });
  const { stdout } = await cli(['token', 'debug', '--app', app.clientId, '--user', 'dan']);
  expect(stdout).toMatch(/^gate_at_[0-9a-f]{12}[A-Za-z0-9_-]{43}\n$/);
  expect(await infoStatus(gh, stdout.trim())).toBe(200);

  const failed = await cli(['token', 'debug', '--app', app.clientId, '--user', 'nobody']).then(
    () => { throw new Error('expected a failure'); },
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  expect(failed.code).toBe(1);
  expect(failed.stdout).toBe('');
  expect(failed.stderr).toBe('gatehouse: no user with login nobody\n');
}, 120_000);
