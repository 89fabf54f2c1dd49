/**
 * The CLI's rough edges, smoothed: `user update` (roles, blocking,
 * passwords), a hidden password prompt in a terminal, one error style
 * (commander's own errors included) that lists valid values, warnings for a
 * new empty database and for an app that cannot work as made, `--env` output
 * and `app url`, and help that never cites documents.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { gatehouseCli, type Run } from './support.js';
import { inTerminal } from './terminal.js';
import type { Command } from 'commander';
import { program } from '../../src/cli/program.js';

const PASSWORD = 'correct horse battery';
let gh: TestGatehouse;
let env: Record<string, string>;

beforeAll(async () => {
  gh = await startGatehouse();
  env = { GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_ISSUER: gh.url };
});
afterAll(async () => {
  await gh?.close();
});

const cli = (args: string[], input = '') => gatehouseCli(env, args, input);

function ok(run: Run): Run {
  expect(run.code, run.stderr).toBe(0);
  return run;
}

/** One line on stderr in the `gatehouse: …` style, a non-zero exit, nothing on stdout. */
function refused(run: Run, message: RegExp): void {
  expect(run.code).not.toBe(0);
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^gatehouse: /)]);
  expect(run.stderr).toMatch(message);
}

describe('gatehouse user update', { timeout: 120_000 }, () => {
  test('grants and removes the operator and developer roles, blocks and unblocks, all in the audit log', async () => {
    const bob = await gh.createUser('bob', PASSWORD);
    const made = JSON.parse(ok(await cli(['user', 'update', 'bob', '--admin', '--developer', '--json'])).stdout);
    expect(made).toMatchObject({ login: 'bob', is_admin: true, is_developer: true, status: 'active' });

    const session = new HttpUser(gh, 'bob', PASSWORD);
    await session.signIn('/account');
    expect(ok(await cli(['user', 'update', 'bob', '--block'])).stdout).toContain('updated user bob (blocked, operator, developer)');
    // Blocking ends what they hold, as on /admin.
    expect((await session.get('/account')).status).toBe(302);
    expect((await gh.ctx.storage.findUserById(bob.id))!.status).toBe('blocked');

    const back = JSON.parse(ok(await cli(['user', 'update', 'bob', '--unblock', '--no-admin', '--no-developer', '--json'])).stdout);
    expect(back).toMatchObject({ is_admin: false, is_developer: false, status: 'active' });
    const actions = (await gh.ctx.storage.listAudit({ userId: bob.id, limit: 20 })).map((e) => [e.action, e.actorType]);
    expect(actions).toEqual(expect.arrayContaining([['user_blocked', 'operator'], ['user_updated', 'operator']]));
  });

  test('sets a new password from standard input: the old one stops working', async () => {
    await gh.createUser('carol', PASSWORD);
    ok(await cli(['user', 'update', 'carol', '--password-stdin'], 'a much better password\n'));
    await expect(new HttpUser(gh, 'carol', PASSWORD).signIn()).rejects.toThrow(/failed/);
    await new HttpUser(gh, 'carol', 'a much better password').signIn();
    refused(await cli(['user', 'update', 'carol', '--password-stdin'], 'short\n'), /password must be at least 8 characters/);
  });

  test('refuses nothing to change, contradictions and unknown users, naming what it takes', async () => {
    refused(await cli(['user', 'update', 'carol']), /nothing to change: give --admin, --no-admin, --developer, .*--block, --unblock, --password/);
    refused(await cli(['user', 'update', 'carol', '--block', '--unblock']), /--block or --unblock, not both/);
    refused(await cli(['user', 'update', 'nobody', '--admin']), /no user with the login nobody/);
  });

  test('asks for the password at a hidden prompt in a terminal, twice, and refuses two different ones', async () => {
    const term = inTerminal(['dist/cli/main.js', 'user', 'update', 'carol', '--password'], env);
    await term.waitFor(/Password: $/m);
    term.type('typed in secret\r');
    await term.waitFor(/Repeat the password: $/m);
    term.type('typed in secret\r');
    expect(await term.exit()).toBe(0);
    expect(term.screen()).not.toContain('typed in secret');
    await new HttpUser(gh, 'carol', 'typed in secret').signIn();

    const differ = inTerminal(['dist/cli/main.js', 'user', 'create', '--login', 'dora'], env);
    await differ.waitFor(/Password: $/m);
    differ.type('first password\r');
    await differ.waitFor(/Repeat the password: $/m);
    differ.type('second password\r');
    expect(await differ.exit()).toBe(1);
    expect(differ.screen()).toContain('gatehouse: the two passwords differ: nothing was changed');
    expect(await gh.ctx.storage.findUserByLogin('dora')).toBeNull();
    // Without a terminal and without --password-stdin, it says how to give one.
    refused(await cli(['user', 'create', '--login', 'dora']), /no password: pipe it in with --password-stdin, or run the command in a terminal/);
  });
});

describe('one error style, valid values listed', { timeout: 120_000 }, () => {
  test("commander's own errors read like Gatehouse's", async () => {
    refused(await cli(['app', 'create', '--name', 'X', '--bogus']), /^gatehouse: unknown option '--bogus' \(see --help\)$/m);
    refused(await cli(['user', 'frob']), /^gatehouse: unknown command 'frob' \(see --help\)$/m);
    refused(await cli(['app', 'create', '--name', 'X', '--id-token-alg', 'HS256']), /^gatehouse: option '--id-token-alg <alg>' argument 'HS256' is invalid\. Allowed choices are ES256, RS256\./m);
    refused(await cli(['user', 'update']), /^gatehouse: missing required argument 'login'/m);
  });

  test('an unknown scope or platform names the known ones', async () => {
    refused(await cli(['app', 'create', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--scope', 'login:bogus']),
      /^gatehouse: unknown scope: login:bogus; known: login:info login:email login:avatar login:birthday login:default_phone openid profile email phone$/m);
    refused(await cli(['app', 'create', '--name', 'X', '--platform', 'fridge']), /fridge.*web, spa, ios, android, desktop, tv/);
  });

  test('help never cites documents', () => {
    const pages: string[] = [];
    const walk = (command: Command) => {
      pages.push(command.helpInformation());
      for (const sub of command.commands) walk(sub);
    };
    walk(program());
    expect(pages.length).toBeGreaterThan(20);
    for (const page of pages) expect(page).not.toMatch(/docs\/|§|SPEC|\.md\b/);
  });
});

describe('warnings', { timeout: 120_000 }, () => {
  test('a command on a data directory without a database says so', async () => {
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'gatehouse-elsewhere-'));
    try {
      const run = await gatehouseCli({ GATEHOUSE_DATA_DIR: elsewhere }, ['user', 'list']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe(`gatehouse: warning: no database at ${elsewhere}/gatehouse.db: a new, empty one is created. Is GATEHOUSE_DATA_DIR the server's? (set it, or run from the server's directory)\n`);
      // The server's own directory: no warning.
      expect((await cli(['user', 'list'])).stderr).toBe('');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('app create warns on stderr when a web app has no redirect URI or no scope; --env stays clean for eval', async () => {
    const run = ok(await cli(['app', 'create', '--name', 'Half done', '--env']));
    const [idLine, secretLine, ...rest] = run.stdout.trimEnd().split('\n');
    expect(idLine).toMatch(/^CLIENT_ID=[0-9a-f]{32}$/);
    expect(secretLine).toMatch(/^CLIENT_SECRET=[0-9a-f]{64}$/);
    expect(rest).toEqual([]);
    const clientId = idLine!.slice('CLIENT_ID='.length);
    expect(run.stderr).toContain(`gatehouse: warning: the web app has no redirect URI, so sign-ins to it cannot finish: gatehouse app update ${clientId} --redirect-uri`);
    expect(run.stderr).toContain(`gatehouse: warning: the app has no scope, so its users grant it nothing to read: gatehouse app update ${clientId} --scope login:info`);
    // A complete app: no warning.
    expect(ok(await cli(['app', 'create', '--name', 'Done', '--redirect-uri', 'https://done.example/cb', '--scope', 'login:info'])).stderr).toBe('');
  });
});

describe('the five-minute guide, as the README runs it', { timeout: 120_000 }, () => {
  test('--owner puts the app in the owner\'s console, and app url prints an authorization link that works', async () => {
    const alice = await gh.createUser('alice', PASSWORD);
    const created = ok(await cli(['app', 'create', '--name', 'My site', '--redirect-uri', 'http://localhost:3000/callback', '--scope', 'login:info', '--owner', 'alice', '--env']));
    const vars = Object.fromEntries(created.stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
    expect((await gh.ctx.storage.findApp(vars.CLIENT_ID as never))?.ownerId).toBe(alice.id);

    const url = ok(await cli(['app', 'url', vars.CLIENT_ID!])).stdout.trim();
    expect(url).toMatch(new RegExp(`^${gh.url}/authorize\\?response_type=code&client_id=${vars.CLIENT_ID}&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&state=[0-9a-f]{16}$`));
    const { location } = await new HttpUser(gh, 'alice', PASSWORD).authorize(Object.fromEntries(new URL(url).searchParams));
    expect(location.origin + location.pathname).toBe('http://localhost:3000/callback');
    expect(location.searchParams.get('code')).toMatch(/./);

    refused(await cli(['app', 'url', vars.CLIENT_ID!, '--redirect-uri', 'https://evil.example/cb']), /not a redirect URI of the app: https:\/\/evil\.example\/cb; registered: http:\/\/localhost:3000\/callback/);
  });
});
