/**
 * The operator's commands of the modern profile, run as the operator runs them
 * (the built CLI): `app create --auth-method private_key_jwt --jwks-file`,
 * `registration token|list|revoke` and `resource add|list|remove`, each
 * checked against what the server then does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { sha256Hex } from '../../src/crypto/random.js';
import { gatehouseCli } from './support.js';

const SLOW = { timeout: 240_000 };
const ISSUER = 'https://id.example.org';
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-modern-cli-'));
  await (await createContext(loadConfig({ dataDir, issuer: ISSUER, logLevel: 'silent' }, {}))).close();
});
afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const run = (args: string[]) => gatehouseCli({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_REGISTRATION: 'token' }, args);
const withContext = async <T>(fn: (ctx: Awaited<ReturnType<typeof createContext>>) => Promise<T>): Promise<T> => {
  const ctx = await createContext(loadConfig({ dataDir, issuer: ISSUER, logLevel: 'silent', registration: 'token' }, {}));
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
};

test('app create --auth-method private_key_jwt --jwks-file stores the public keys; a private key or a missing file is one line', SLOW, async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const file = path.join(dataDir, 'keys.json');
  writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }));
  const made = await run(['app', 'create', '--name', 'Billing', '--redirect-uri', 'https://billing.example/cb', '--scope', 'login:info', '--auth-method', 'private_key_jwt', '--jwks-file', file, '--json']);
  expect(made.code, made.stderr).toBe(0);
  const app = JSON.parse(made.stdout) as Record<string, unknown>;
  expect(app).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kid: 'k1', kty: 'EC' }] } });
  const human = await run(['app', 'update', app.client_id as string, '--jwks-file', '', '--jwks-uri', 'https://billing.example/jwks.json']);
  expect(human.code, human.stderr).toBe(0);
  expect(human.stdout).toContain('auth method:   private_key_jwt (keys at https://billing.example/jwks.json)');

  writeFileSync(file, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
  const leaky = await run(['app', 'create', '--name', 'Leaky', '--auth-method', 'private_key_jwt', '--jwks-file', file]);
  expect(leaky.code).toBe(1);
  expect(leaky.stderr).toMatch(/^gatehouse: jwks must hold public keys only/);
  const missing = await run(['app', 'create', '--name', 'Nowhere', '--auth-method', 'private_key_jwt', '--jwks-file', path.join(dataDir, 'none.json')]);
  expect(missing.stderr).toMatch(/^gatehouse: cannot read --jwks-file/);
});

test('registration token issues a token that registers one app; list shows it used; revoke withdraws another', SLOW, async () => {
  const issued = await run(['registration', 'token', '--expires', '2h', '--uses', '1', '--label', 'partner', '--json']);
  expect(issued.code, issued.stderr).toBe(0);
  const { initial_access_token: token, id } = JSON.parse(issued.stdout) as { initial_access_token: string; id: string };
  expect(token).toMatch(/^gate_iat_/);
  expect(id).toBe(sha256Hex(token).slice(0, 12));
  await withContext(async (ctx) => {
    const response = await ctx.registrations.register({ redirect_uris: ['https://partner.example/cb'] }, { ip: '192.0.2.1', initialAccessToken: token });
    expect(response.client_id).toMatch(/^[0-9a-f]{32}$/);
    await expect(ctx.registrations.register({ redirect_uris: ['https://partner.example/cb'] }, { ip: '192.0.2.1', initialAccessToken: token })).rejects.toMatchObject({ code: 'invalid_token' });
  });
  const list = await run(['registration', 'list']);
  expect(list.stdout).toMatch(new RegExp(`${id}  1/1 used  until .*  partner`));

  const other = JSON.parse((await run(['registration', 'token', '--json'])).stdout) as { id: string };
  expect((await run(['registration', 'revoke', other.id])).code).toBe(0);
  expect((await run(['registration', 'list', '--json'])).stdout).not.toContain(other.id);
  const again = await run(['registration', 'revoke', other.id]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/^gatehouse: no initial access token/);
  expect((await run(['registration', 'token', '--expires', 'soon'])).stderr).toMatch(/^gatehouse: --expires must be/);
});

test('resource add, list and remove; a bad URI or an unknown app is one line', SLOW, async () => {
  const api = JSON.parse((await run(['app', 'create', '--name', 'Files API', '--json'])).stdout) as { client_id: string };
  const added = await run(['resource', 'add', '--uri', 'https://files.example/', '--jwt', '--app', api.client_id, '--json']);
  expect(added.code, added.stderr).toBe(0);
  expect(JSON.parse(added.stdout)).toMatchObject({ uri: 'https://files.example/', name: 'files.example', jwt: true, app: api.client_id });
  expect((await run(['resource', 'list'])).stdout).toContain(`https://files.example/  jwt     files.example  (app ${api.client_id})`);
  expect((await run(['resource', 'add', '--uri', 'https://files.example/'])).stderr).toMatch(/^gatehouse: a resource server with URI .* exists already/);
  expect((await run(['resource', 'add', '--uri', 'http://files.example/'])).stderr).toMatch(/^gatehouse: the resource URI must use https/);
  expect((await run(['resource', 'add', '--uri', 'https://x.example/', '--app', 'f'.repeat(32)])).stderr).toMatch(/^gatehouse: no app with client_id/);
  expect((await run(['resource', 'remove', '--uri', 'https://files.example/'])).code).toBe(0);
  expect((await run(['resource', 'list'])).stdout.trim()).toBe('no resource servers');
});
