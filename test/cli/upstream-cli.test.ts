/**
 * `gatehouse upstream add|update|list|remove`, run as the operator runs them
 * (the built CLI): the redirect URI to register printed by `add --json`,
 * presets with their endpoints overridden, the client secret read from
 * standard input, sealed with the server key and never printed, and bad input
 * refused in one line.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { gatehouseCli, type Run } from './support.js';

const SLOW = { timeout: 240_000 };
const ISSUER = 'https://id.example.org';
const SECRET = 'upstream-secret-that-must-never-be-printed';
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-upstream-cli-'));
  // The server's database, as an operator's commands find it (a new, empty one would be warned about).
  await (await createContext(loadConfig({ dataDir, issuer: ISSUER, logLevel: 'silent' }, {}))).close();
});
afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const run = (args: string[], input = '') => gatehouseCli({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ISSUER: ISSUER }, args, input);

function oneLineError(result: Run, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^gatehouse: /)]);
  expect(result.stderr).toMatch(message);
}

test('upstream add --json prints the upstream with its redirect URI, never its secret; the secret is stored sealed', SLOW, async () => {
  const added = await run(['upstream', 'add', '--name', 'corp', '--display-name', 'Corp SSO', '--issuer', 'https://sso.corp.example/realms/staff', '--client-id', 'gatehouse', '--client-secret-stdin', '--scope', 'openid profile email groups', '--json'], `${SECRET}\n`);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  const u = JSON.parse(added.stdout) as Record<string, unknown>;
  expect(u).toMatchObject({ name: 'corp', display_name: 'Corp SSO', kind: 'oidc', preset: null, issuer: 'https://sso.corp.example/realms/staff', client_id: 'gatehouse', scope: 'openid profile email groups', redirect_uri: `${ISSUER}/upstream/corp/callback`, link_verified_email: false });
  expect(added.stdout).not.toContain(SECRET);

  const ctx = await createContext(loadConfig({ dataDir, issuer: ISSUER }, {}));
  try {
    const stored = (await ctx.storage.upstreams.findUpstream('corp'))!;
    expect(stored.clientSecretSealed).toMatch(/^v1\./);
    expect(ctx.upstreams.settings(stored).clientSecret).toBe(SECRET);
  } finally {
    await ctx.close();
  }
  for (const file of readdirSync(dataDir)) {
    if (file.endsWith('.db') || file.endsWith('.sqlite')) expect(readFileSync(path.join(dataDir, file)).includes(SECRET)).toBe(false);
  }
});

test('--preset yandex and --preset github fill in the endpoints; --*-endpoint overrides them; list and update --json', SLOW, async () => {
  const yandex = await run(['upstream', 'add', '--name', 'ya', '--preset', 'yandex', '--client-id', 'abc', '--client-secret-stdin', '--token-endpoint', 'http://127.0.0.1:8080/token', '--json'], SECRET);
  expect(yandex.code).toBe(0);
  expect(JSON.parse(yandex.stdout)).toMatchObject({ name: 'ya', display_name: 'Yandex ID', kind: 'yandex', preset: 'yandex', issuer: 'https://oauth.yandex.ru', scope: 'login:info login:email', token_endpoint: 'http://127.0.0.1:8080/token', authorization_endpoint: null });
  const github = await run(['upstream', 'add', '--name', 'github', '--preset', 'github', '--client-id', 'Iv1.x', '--client-secret-stdin'], SECRET);
  expect(github.code).toBe(0);
  expect(github.stdout).toContain(`redirect_uri: ${ISSUER}/upstream/github/callback`);
  const updated = await run(['upstream', 'update', 'github', '--link-verified-email', '--display-name', 'GitHub (staff)', '--json']);
  expect(updated.code).toBe(0);
  expect(JSON.parse(updated.stdout)).toMatchObject({ name: 'github', display_name: 'GitHub (staff)', link_verified_email: true, scope: 'read:user user:email' });
  const list = await run(['upstream', 'list', '--json']);
  expect((JSON.parse(list.stdout) as { name: string }[]).map((x) => x.name)).toEqual(['corp', 'github', 'ya']);
  expect(list.stdout).not.toContain(SECRET);
  const removed = await run(['upstream', 'remove', 'ya', '--json']);
  expect(JSON.parse(removed.stdout)).toEqual({ removed: 'ya' });
});

test('bad input is refused in one line: a name that is no slug, plain http elsewhere than this machine, a taken name, an unknown upstream', SLOW, async () => {
  oneLineError(await run(['upstream', 'add', '--name', 'Bad Name', '--issuer', 'https://x.example', '--client-id', 'x', '--client-secret-stdin'], SECRET), /upstream name must be/);
  oneLineError(await run(['upstream', 'add', '--name', 'plain', '--issuer', 'http://sso.example', '--client-id', 'x', '--client-secret-stdin'], SECRET), /must be https/);
  oneLineError(await run(['upstream', 'add', '--name', 'corp', '--issuer', 'https://x.example', '--client-id', 'x', '--client-secret-stdin'], SECRET), /an upstream named corp exists/);
  oneLineError(await run(['upstream', 'remove', 'nothing-here']), /no upstream named/);
});
