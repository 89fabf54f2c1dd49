/**
 * Logs (issue 10, docs/protocol.md §12): a full run against Gatehouse as its own process
 * with GATEHOUSE_LOG_LEVEL=debug — sign-up, a wrong and a right password, the
 * code flow with PKCE and OpenID Connect, refresh, the login info API (also
 * with the token in the query string and a jwt_secret), userinfo,
 * introspection, revocation, the device flow and client_credentials — then
 * every line the process wrote is JSON, every request line carries a request
 * id, and no secret, token, code, password, session id or CSRF token that the
 * run used or was given appears anywhere in the output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
let dataDir: string;
let server: GatehouseProcess;
let web: { clientId: string; secret: string };
let tv: { clientId: string };

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-logs-'));
  const ctx = await createContext(loadConfig({ dataDir, logLevel: 'silent' }, {}));
  const created = await ctx.apps.create({ name: 'Logged app', redirectUris: [REDIRECT], scopes: ['login:info', 'login:email', 'openid'] });
  web = { clientId: created.app.clientId, secret: created.clientSecret! };
  tv = { clientId: (await ctx.apps.create({ name: 'Logged TV', platforms: ['tv'], scopes: ['login:info'] })).app.clientId };
  await ctx.close();
  server = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'debug' }, { operator: true });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Everything secret this run handles; the log must contain none of it. */
const secrets = new Map<string, string>();
const keep = (what: string, value: string | undefined | null) => {
  if (value) secrets.set(value, what);
  return value ?? '';
};

test('a quiet moment\'s request line is written within a moment, not held until more lines fill the batch', async () => {
  // Lines leave in batches of a few kilobytes; one request alone is far less, and must not wait for the next ones.
  const marker = `/info-${Date.now()}`;
  expect((await fetch(`${server.url}${marker}`)).status).toBe(404);
  const deadline = Date.now() + 2000;
  while (!server.output().includes(marker) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(server.output()).toContain(marker);
});

test('a full run at debug level logs JSON lines with request ids and none of the secrets it saw', async () => {
  const url = server.url;
  keep('client secret', web.secret);
  const password = keep('password', 'Tr0ub4dor&3-logged');
  const wrong = keep('wrong password', 'hunter2-wrong-guess');
  const person = new HttpUser({ url } as TestGatehouse, 'logged.person', password);

  // Sign-up, a wrong password, a right one.
  const signupPage = await person.get('/signup');
  const signupFields = hiddenFields(await signupPage.text());
  keep('csrf token', signupFields.csrf);
  expect((await person.post('/signup', { ...signupFields, login: 'logged.person', password, email: 'logged@example.org' })).status).toBe(303);
  keep('session cookie', person.jar.get('gatehouse_session'));
  const loginPage = await person.get('/login?switch=1');
  expect((await person.post('/login', { ...hiddenFields(await loginPage.text()), login: 'logged.person', password: wrong })).status).toBe(401);
  const again = await person.get('/login?switch=1');
  expect((await person.post('/login', { ...hiddenFields(await again.text()), login: 'logged.person', password })).status).toBe(303);
  keep('session cookie after sign-in', person.jar.get('gatehouse_session'));

  // Code flow with PKCE and OpenID Connect; the secret in the body.
  const pkce = pkcePair();
  keep('code verifier', pkce.verifier);
  const code = keep('authorization code', await person.code({
    response_type: 'code', client_id: web.clientId, redirect_uri: REDIRECT, scope: 'openid login:info', state: 'st4te-value', nonce: 'n0nce-value',
    code_challenge: pkce.challenge, code_challenge_method: 'S256',
  }));
  const exchanged = await postForm(`${url}/token`, {
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce.verifier, client_id: web.clientId, client_secret: web.secret,
  });
  const tokens = (await exchanged.json()) as Record<string, string>;
  expect(exchanged.status, JSON.stringify(tokens)).toBe(200);
  keep('access token', tokens.access_token);
  keep('refresh token', tokens.refresh_token);
  keep('id_token', tokens.id_token);
  // A replay of the code: an error path.
  expect((await postForm(`${url}/token`, { grant_type: 'authorization_code', code, client_id: web.clientId, client_secret: web.secret })).status).toBe(400);

  // A new authorization for the rest (the replay revoked the first).
  const code2 = keep('second code', await person.code({ response_type: 'code', client_id: web.clientId, redirect_uri: REDIRECT }));
  const second = (await (await postForm(`${url}/token`, { grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT }, { authorization: basicAuth(web.clientId, web.secret) })).json()) as Record<string, string>;
  keep('second access token', second.access_token);
  keep('second refresh token', second.refresh_token);
  const refreshed = (await (await postForm(`${url}/token`, { grant_type: 'refresh_token', refresh_token: second.refresh_token! }, { authorization: basicAuth(web.clientId, web.secret) })).json()) as Record<string, string>;
  keep('refreshed access token', refreshed.access_token);

  // The login info API, the token in a header and in the query string; a JWT signed with a jwt_secret.
  expect((await fetch(`${url}/info`, { headers: { authorization: `OAuth ${refreshed.access_token}` } })).status).toBe(200);
  expect((await fetch(`${url}/info?format=json&oauth_token=${refreshed.access_token}`)).status).toBe(200);
  const jwtSecret = keep('jwt_secret', 'jwt-s3cret-from-the-query');
  const jwt = await fetch(`${url}/info?format=jwt&jwt_secret=${jwtSecret}`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
  expect(jwt.status).toBe(200);
  keep('info JWT', await jwt.text());
  expect((await fetch(`${url}/userinfo`, { headers: { authorization: `Bearer ${refreshed.access_token}` } })).status).toBe(200);
  expect((await fetch(`${url}/info`, { headers: { authorization: `OAuth ${keep('unknown token', 'gate_at_' + 'Z'.repeat(43))}` } })).status).toBe(401);
  expect((await postForm(`${url}/introspect`, { token: refreshed.access_token! }, { authorization: basicAuth(web.clientId, web.secret) })).status).toBe(200);
  expect((await postForm(`${url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(web.clientId, keep('wrong secret', 'not-the-real-secret-123')) })).status).toBe(401);
  const appToken = (await (await postForm(`${url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(web.clientId, web.secret) })).json()) as Record<string, string>;
  keep('client_credentials token', appToken.access_token);
  expect((await postForm(`${url}/revoke`, { token: refreshed.access_token!, client_id: web.clientId, client_secret: web.secret })).status).toBe(200);

  // The device flow.
  const started = (await (await postForm(`${url}/device/code`, { client_id: tv.clientId })).json()) as Record<string, string>;
  keep('device code', started.device_code);
  keep('user code', started.user_code);
  const devicePage = await person.get(`/device?user_code=${started.user_code}`);
  const confirm = await person.post('/device', { ...hiddenFields(await devicePage.text()), user_code: started.user_code! });
  expect((await person.post('/device', { ...hiddenFields(await confirm.text()), decision: 'allow' })).status).toBe(200);
  const polled = (await (await postForm(`${url}/token`, { grant_type: 'device_code', code: started.device_code!, client_id: tv.clientId })).json()) as Record<string, string>;
  keep('device access token', polled.access_token);
  keep('device refresh token', polled.refresh_token);

  await server.stop();
  const output = server.output();
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  expect(lines.length).toBeGreaterThan(30);
  const parsed = lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`not a JSON log line: ${l.slice(0, 200)}`);
    }
  });
  const requestLines = parsed.filter((l) => l.req !== undefined || l.res !== undefined);
  expect(requestLines.length).toBeGreaterThan(25);
  for (const l of requestLines) expect(typeof l.reqId, JSON.stringify(l).slice(0, 200)).toBe('string');
  // One access line per request, when it completes: method, path (no query), status and time.
  const access = parsed.filter((l) => l.msg === 'request completed') as { reqId: string; req: { method: string; path: string }; res: { statusCode: number }; responseTime: number }[];
  expect(access.length).toBeGreaterThan(25);
  expect(new Set(access.map((l) => l.reqId)).size).toBe(access.length);
  for (const l of access) {
    expect(l.req.method).toMatch(/^(GET|POST|HEAD)$/);
    expect(l.req.path).toMatch(/^\/[^?]*$/);
    expect(l.res.statusCode).toBeGreaterThanOrEqual(200);
    expect(l.responseTime).toBeGreaterThanOrEqual(0);
  }
  expect(access.some((l) => l.req.path === '/info' && l.res.statusCode === 401)).toBe(true);
  expect(parsed.some((l) => l.level === 20)).toBe(true); // debug lines were written: the level took effect

  expect(secrets.size).toBeGreaterThan(20);
  for (const [value, what] of secrets) {
    for (const form of new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])) {
      expect(output.includes(form), `the log contains the ${what}`).toBe(false);
    }
  }
}, 600_000);
