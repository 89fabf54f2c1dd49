/**
 * A client generated from the management API's document (issue 21):
 * `openapi-typescript` turns the live /api/v1/openapi.json into the types
 * committed beside this test (management-api.d.ts; a stale copy fails here —
 * regenerate with UPDATE_API_TYPES=1), and `openapi-fetch` calls the API with
 * them to create a user and an app. What the API made shows on /admin and in
 * `gatehouse user list`, `gatehouse app list`: one service behind every door.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import createClient from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { gatehouseCli } from '../cli/support.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import type { paths } from './management-api.js';
import { automationApp, clientCredentials } from './support.js';

const TYPES = path.join(import.meta.dirname, 'management-api.d.ts');
let gh: TestGatehouse;
let env: Record<string, string>;

beforeAll(async () => {
  gh = await startGatehouse();
  env = { GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_ISSUER: gh.url, ...(testEngine() === 'postgres' ? { GATEHOUSE_DATABASE_URL: gh.ctx.config.databaseUrl! } : {}) };
});
afterAll(async () => {
  await gh?.close();
});

test('the committed client types are what openapi-typescript makes of the document', async () => {
  const doc = await (await fetch(`${gh.url}/api/v1/openapi.json`)).json();
  const generated = astToString(await openapiTS(doc));
  if (process.env.UPDATE_API_TYPES === '1') writeFileSync(TYPES, generated);
  expect(generated).toBe(readFileSync(TYPES, 'utf8'));
});

test('an app made with `gatehouse app create --scope gatehouse:admin` creates a user and an app with the generated client; /admin and the CLI show them', async () => {
  const made = await gatehouseCli(env, ['app', 'create', '--name', 'ops', '--scope', 'gatehouse:admin', '--json']);
  expect(made.code, made.stderr).toBe(0);
  const ops = JSON.parse(made.stdout) as { client_id: string; client_secret: string; scopes: string[] };
  expect(ops.scopes).toEqual(['gatehouse:admin']);
  const token = await clientCredentials(gh, ops.client_id, ops.client_secret);

  const client = createClient<paths>({ baseUrl: `${gh.url}/api/v1`, headers: { authorization: `Bearer ${token}` } });
  const user = await client.POST('/users', { body: { login: 'from-hr', email: 'from-hr@example.org', first_name: 'Hana', last_name: 'Reyes' }, headers: { 'Idempotency-Key': 'hr-1' } });
  expect(user.response.status).toBe(201);
  expect(user.data?.login).toBe('from-hr');
  const app = await client.POST('/apps', { body: { name: 'Deployed app', redirect_uris: ['https://deployed.example/cb'], scopes: ['login:info'] } });
  expect(app.response.status).toBe(201);
  expect(app.data?.client_secret).toMatch(/^[0-9a-f]{64}$/);
  const fetched = await client.GET('/users/{id}', { params: { path: { id: user.data!.id } } });
  expect(fetched.data?.display_name).toBe('Hana Reyes');
  const refused = await client.POST('/users', { body: { login: 'from-hr' } });
  expect(refused.error?.status).toBe(422);

  const cliUsers = await gatehouseCli(env, ['user', 'list', '--json']);
  expect((JSON.parse(cliUsers.stdout) as { login: string }[]).map((u) => u.login)).toContain('from-hr');
  const cliApps = await gatehouseCli(env, ['app', 'list', '--json']);
  expect((JSON.parse(cliApps.stdout) as { client_id: string }[]).map((a) => a.client_id)).toContain(app.data!.client_id);

  await gh.ctx.users.create({ login: 'root', password: 'correct horse battery', isAdmin: true });
  const root = new HttpUser(gh, 'root', 'correct horse battery');
  await root.signIn('/admin');
  const list = await (await root.get('/admin?q=from-hr')).text();
  expect(list).toContain('from-hr');
  const page = await (await root.get(`/admin/users/${user.data!.id}`)).text();
  // The audit log on /admin names the app that made the user.
  expect(page).toContain(ops.client_id);
}, 240_000);
