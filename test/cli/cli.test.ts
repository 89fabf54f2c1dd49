/**
 * The `gatehouse` command (docs/protocol.md §11), run exactly as an operator runs it: the
 * built package through `npx --no-install gatehouse …` from the repository
 * root, with GATEHOUSE_DATA_DIR naming a temporary directory. Bad input gives
 * one line on stderr and a non-zero exit, never a stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of an operator's shell with only GATEHOUSE_DATA_DIR set among Gatehouse's variables. */
function operatorEnv(dataDir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  return { ...env, GATEHOUSE_DATA_DIR: dataDir };
}

function gatehouse(dataDir: string, args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'gatehouse', ...args], { cwd: ROOT, env: operatorEnv(dataDir), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

function succeeded(run: Run): Run {
  expect(run.stderr, run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run;
}

/** A clear refusal: non-zero exit, nothing on stdout, no stack trace. */
function refused(run: Run, message: RegExp, options: { oneLine?: boolean } = { oneLine: true }): void {
  expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).not.toBe(0);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  if (options.oneLine) expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^gatehouse: /)]);
}

// dist/ is brought up to date before any test runs (test/global-setup.ts); the
// first `npx` links the package into npm's cache, running its `prepare` build.
let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-cli-'));
});
afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const run = (args: string[], input?: string) => gatehouse(dataDir, args, input);

// Each command is a Node process plus npm's own start-up: allow for a busy machine.
const SLOW = { timeout: 60_000 };

describe('gatehouse CLI', SLOW, () => {
  let webClientId: string;

  test('migrate creates the database and applies every migration', async () => {
    const migrated = succeeded(await run(['migrate', '--json']));
    expect(JSON.parse(migrated.stdout).applied).toContain('0001-initial');
    expect(readdirSync(dataDir)).toContain('gatehouse.db');
  });

  test('user create reads the password from stdin and takes the profile options', async () => {
    const created = succeeded(await run(
      ['user', 'create', '--login', 'Alice', '--password-stdin', '--email', 'alice@example.org',
        '--first-name', 'Alice', '--last-name', 'Smith', '--developer', '--admin', '--json'],
      'correct horse battery\n',
    ));
    expect(JSON.parse(created.stdout)).toMatchObject({
      id: expect.stringMatching(/^\d{15}$/), login: 'alice', first_name: 'Alice', last_name: 'Smith', display_name: 'Alice Smith',
      default_email: 'alice@example.org', is_developer: true, is_admin: true, status: 'active',
    });
  });

  test('user list --json lists the users', async () => {
    const users = JSON.parse(succeeded(await run(['user', 'list', '--json'])).stdout) as { login: string; is_admin: boolean }[];
    expect(users.map((u) => [u.login, u.is_admin])).toEqual([['alice', true]]);
  });

  test('app create --json prints the client_id and, for a web app, the client_secret', async () => {
    const created = JSON.parse(succeeded(await run([
      'app', 'create', '--name', 'Notes', '--redirect-uri', 'https://notes.example/callback',
      '--scope', 'login:info', '--scope', 'login:email', '--owner', 'alice', '--json',
    ])).stdout);
    expect(created).toMatchObject({
      client_id: expect.stringMatching(/^[0-9a-f]{32}$/), client_secret: expect.stringMatching(/^[0-9a-f]{64}$/),
      name: 'Notes', confidential: true, platforms: ['web'], redirect_uris: ['https://notes.example/callback'],
      scopes: ['login:info', 'login:email'], status: 'active', owner_id: expect.stringMatching(/^\d{15}$/),
    });
    webClientId = created.client_id;
  });

  test('app create --platform desktop makes a public client with no secret', async () => {
    const created = JSON.parse(succeeded(await run([
      'app', 'create', '--name', 'Desk', '--platform', 'desktop', '--redirect-uri', 'http://127.0.0.1/callback', '--scope', 'login:info', '--json',
    ])).stdout);
    expect(created).toMatchObject({ confidential: false, platforms: ['desktop'] });
    expect(created).not.toHaveProperty('client_secret');
  });

  test('app update changes the scopes; app list --json shows them', async () => {
    const updated = JSON.parse(succeeded(await run(['app', 'update', webClientId, '--scope', 'login:email login:avatar', '--json'])).stdout);
    expect(updated).toMatchObject({ client_id: webClientId, scopes: ['login:email', 'login:avatar'] });
    expect(updated).not.toHaveProperty('client_secret');
    const apps = JSON.parse(succeeded(await run(['app', 'list', '--json'])).stdout) as { client_id: string; name: string; scopes: string[] }[];
    expect(apps.map((a) => a.name)).toEqual(['Notes', 'Desk']);
    expect(apps.find((a) => a.client_id === webClientId)?.scopes).toEqual(['login:email', 'login:avatar']);
    expect(JSON.stringify(apps)).not.toMatch(/secret"/);
  });

  test('app update --require-two-step makes the app ask for two-step sign-in; --no-require-two-step lifts it; neither leaves it as it is', async () => {
    const required = JSON.parse(succeeded(await run(['app', 'update', webClientId, '--require-two-step', '--json'])).stdout);
    expect(required).toMatchObject({ client_id: webClientId, require_two_step: true });
    const renamed = JSON.parse(succeeded(await run(['app', 'update', webClientId, '--name', 'Notes', '--json'])).stdout);
    expect(renamed.require_two_step).toBe(true);
    expect(succeeded(await run(['app', 'update', webClientId, '--name', 'Notes'])).stdout).toContain('two-step:      required at sign-in');
    const lifted = JSON.parse(succeeded(await run(['app', 'update', webClientId, '--no-require-two-step', '--json'])).stdout);
    expect(lifted.require_two_step).toBe(false);
  });

  test('app update --require-dpop and --require-par set the modern profile; --no-… lifts them (issue 19)', async () => {
    const required = JSON.parse(succeeded(await run(['app', 'update', webClientId, '--require-dpop', '--require-par', '--json'])).stdout);
    expect(required).toMatchObject({ require_dpop: true, require_par: true });
    const text = succeeded(await run(['app', 'update', webClientId, '--name', 'Notes'])).stdout;
    expect(text).toContain('DPoP:          required');
    expect(text).toContain('PAR:           required');
    const lifted = JSON.parse(succeeded(await run(['app', 'update', webClientId, '--no-require-dpop', '--no-require-par', '--json'])).stdout);
    expect(lifted).toMatchObject({ require_dpop: false, require_par: false });
  });

  test('app create --platform spa makes a browser app: public, https redirect URIs only (issue 19)', async () => {
    const created = JSON.parse(succeeded(await run([
      'app', 'create', '--name', 'Notes in the browser', '--platform', 'spa', '--redirect-uri', 'https://notes.example/app', '--scope', 'login:info', '--json',
    ])).stdout);
    expect(created).toMatchObject({ confidential: false, platforms: ['spa'] });
    expect(created).not.toHaveProperty('client_secret');
    const refused = await run(['app', 'create', '--name', 'Bad', '--platform', 'spa', '--redirect-uri', 'http://notes.example/app']);
    expect(refused.code).not.toBe(0);
  });

  test('app update --introspects makes an app the resource server of others, audited; "" withdraws it', async () => {
    const api = JSON.parse(succeeded(await run(['app', 'create', '--name', 'Notes API', '--redirect-uri', 'https://api.notes.example/cb', '--scope', 'login:info', '--json'])).stdout) as { client_id: string };
    const updated = JSON.parse(succeeded(await run(['app', 'update', api.client_id, '--introspects', webClientId, '--json'])).stdout);
    expect(updated).toMatchObject({ client_id: api.client_id, introspects: [webClientId] });
    const audit = JSON.parse(succeeded(await run(['audit', '--app', api.client_id, '--action', 'app_updated', '--json'])).stdout) as { actor_type?: string; details: Record<string, unknown> }[];
    expect(audit[0]!.details).toMatchObject({ fields: ['introspects'], introspects: [webClientId] });
    const cleared = JSON.parse(succeeded(await run(['app', 'update', api.client_id, '--introspects', '', '--json'])).stdout);
    expect(cleared.introspects).toEqual([]);
    refused(await run(['app', 'update', api.client_id, '--introspects', 'f'.repeat(32)]), /no app with client_id/);
  });

  test('keys rotate adds a key per algorithm and retires the old ones; keys list shows both', async () => {
    // Staged rotation (src/oidc/keys.ts): the new keys are published now and sign once cached /jwks copies have expired.
    const added = JSON.parse(succeeded(await run(['keys', 'rotate', '--json'])).stdout) as { kid: string; alg: string }[];
    expect(added.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    const keys = JSON.parse(succeeded(await run(['keys', 'list', '--json'])).stdout) as { kid: string; alg: string; retired_at: string | null }[];
    // The first keys were made when the first command opened the database.
    expect(keys).toHaveLength(4);
    expect(keys.filter((k) => k.retired_at === null).map((k) => k.kid).sort()).toEqual(added.map((k) => k.kid).sort());
    expect(keys.filter((k) => k.retired_at !== null).map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    const states = Object.fromEntries(keys.map((k) => [k.kid, (k as { state?: string }).state]));
    for (const k of keys) expect(states[k.kid], k.kid).toBe(k.retired_at === null ? 'next' : 'signing');
  });

  describe('bad input: one line on stderr, a non-zero exit, no stack trace', SLOW, () => {
    test('an unknown scope', async () => {
      refused(await run(['app', 'create', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--scope', 'login:nope']), /^gatehouse: unknown scope: login:nope; known: login:info login:email .*openid/m);
    });

    test('an http redirect URI on a public host', async () => {
      refused(await run(['app', 'create', '--name', 'X', '--redirect-uri', 'http://x.example/cb']), /^gatehouse: redirect URI must use https/m);
    });

    test('a login that is taken', async () => {
      refused(await run(['user', 'create', '--login', 'ALICE', '--password-stdin'], 'some password'), /^gatehouse: the login alice is taken$/m);
    });

    test('an empty password on stdin', async () => {
      refused(await run(['user', 'create', '--login', 'carol', '--password-stdin'], ''), /^gatehouse: password must be at least 8 characters$/m);
    });

    test('a malformed client_id', async () => {
      refused(await run(['app', 'update', 'not-a-client-id', '--name', 'Y']), /^gatehouse: not a client_id/m);
    });

    test('an unknown client_id', async () => {
      refused(await run(['app', 'update', 'f'.repeat(32), '--name', 'Y']), /^gatehouse: no app with client_id f{32}$/m);
    });

    test('an unknown command (commander\'s usage error)', async () => {
      refused(await run(['frobnicate']), /unknown command 'frobnicate'/, { oneLine: false });
    });
  });
});

describe('gatehouse CLI beside a running server', SLOW, () => {
  let gh: TestGatehouse;
  beforeAll(async () => { gh = await startGatehouse(); });
  afterAll(async () => { await gh?.close(); });

  test('a user created by the CLI while the server runs can sign in', async () => {
    succeeded(await gatehouse(gh.dataDir, ['user', 'create', '--login', 'erin', '--password-stdin'], 'erin\'s password\n'));

    let res = await fetch(`${gh.url}/login`);
    expect(res.status).toBe(200);
    const csrfCookie = res.headers.getSetCookie().find((c) => c.startsWith('gatehouse_csrf='))!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await res.text())![1]!;
    res = await fetch(`${gh.url}/login`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
      body: new URLSearchParams({ csrf, login: 'erin', password: 'erin\'s password', return_to: '/' }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('gatehouse_session='))).toBe(true);
  });
});
