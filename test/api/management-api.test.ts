/**
 * The management API (issue 21): an OpenAPI 3.1 document checked by an
 * independent validator, every answer here checked against it, who may call
 * (scopes, app tokens only), problems, paging, idempotency, the audit log, and
 * the same services as /admin and the CLI. Stored state: runs on both engines.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adminOf } from '../../src/admin/admin.js';
import { InputError } from '../../src/errors.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';
import { apiClient, automationApp, clientCredentials, DocumentChecker, type ApiAnswer } from './support.js';

const REDIRECT = 'https://app.example/callback';
let gh: TestGatehouse;
let doc: any;
let checker: DocumentChecker;
let api: ReturnType<typeof apiClient>;
let ops: { clientId: string; secret: string; token: string };

function expectProblem(answer: ApiAnswer, status: number, kind: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toContain('application/problem+json');
  expect(answer.body).toMatchObject({ status, type: `${gh.url}/api/v1/docs#problem-${kind}` });
}

beforeAll(async () => {
  gh = await startGatehouse();
  doc = await (await fetch(`${gh.url}/api/v1/openapi.json`)).json();
  checker = new DocumentChecker(doc);
  api = apiClient(gh, checker);
  ops = await automationApp(gh, ['gatehouse:admin']);
});
afterAll(async () => {
  await gh?.close();
});

describe('the document (issue 21)', () => {
  test('is valid OpenAPI 3.1 by an independent validator', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  test('lists every resource with the scope each operation needs', () => {
    const ops = Object.values(doc.paths).flatMap((methods: any) => Object.values(methods)) as any[];
    for (const id of ['listUsers', 'getUser', 'createUser', 'updateUser', 'blockUser', 'unblockUser', 'resetUserPassword', 'resetTwoStepUser', 'deleteUser',
      'listApps', 'getApp', 'createApp', 'updateApp', 'rotateAppSecret', 'blockApp', 'unblockApp', 'deleteApp', 'listUserTokens', 'revokeUserToken',
      'listUserSessions', 'endUserSession', 'listUserConsents', 'revokeUserConsent', 'listKeys', 'rotateKeys', 'listAudit']) {
      const op = ops.find((o) => o.operationId === id);
      expect(op, id).toBeDefined();
      expect(op['x-required-scope']).toMatch(/^gatehouse:[a-z]+:(read|write)$/);
    }
  });

  test('is browsable at /api/v1/docs, from Gatehouse alone', async () => {
    const res = await fetch(`${gh.url}/api/v1/docs`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('POST /users');
    expect(page).toContain('gatehouse:users:write');
    expect(page).toContain('id="problem-idempotency-key-reused"');
    expect(page).not.toMatch(/(src|href)="https?:/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page).not.toContain('<script');
  });
});

describe('who may call (issue 21)', () => {
  test('no token: 401 with a bare Bearer challenge; an unknown one: invalid_token', async () => {
    const none = await api('GET', '/users');
    expectProblem(none, 401, 'unauthorized');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
    const unknown = await api('GET', '/users', { token: 'gate_at_nonsense' });
    expectProblem(unknown, 401, 'unauthorized');
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  test('a users:read token reads users but cannot write them: 403 naming the scope', async () => {
    const reader = await automationApp(gh, ['gatehouse:users:read'], 'reader');
    expect((await api('GET', '/users', { token: reader.token })).status).toBe(200);
    const write = await api('POST', '/users', { token: reader.token, body: { login: 'not-made' } });
    expectProblem(write, 403, 'forbidden');
    expect(write.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="gatehouse:users:write"');
    expectProblem(await api('GET', '/apps', { token: reader.token }), 403, 'forbidden');
    expect(await gh.ctx.storage.findUserByLogin('not-made')).toBeNull();
  });

  test('a write scope holds its read scope, and nothing else', async () => {
    const writer = await automationApp(gh, ['gatehouse:apps:write'], 'writer');
    expect((await api('GET', '/apps', { token: writer.token })).status).toBe(200);
    expectProblem(await api('GET', '/audit', { token: writer.token }), 403, 'forbidden');
  });

  test('an ordinary app\'s own token gets 403', async () => {
    const ordinary = await gh.createApp({ name: 'Ordinary', redirectUris: [REDIRECT], scopes: ['login:info'] });
    const token = await clientCredentials(gh, ordinary.clientId, ordinary.clientSecret!);
    expectProblem(await api('GET', '/users', { token }), 403, 'forbidden');
  });

  test('a user\'s token from the code flow gets 403, even from an app holding gatehouse:admin', async () => {
    const user = await gh.createUser('coder');
    const made = await adminOf(gh.ctx).createApp({ type: 'operator' }, { name: 'Mixed', redirectUris: [REDIRECT], scopes: ['login:info', 'gatehouse:admin'] }, null);
    const http = new HttpUser(gh, user.login, user.password);
    const pkce = pkcePair();
    const code = await http.code({ response_type: 'code', client_id: made.app.clientId, redirect_uri: REDIRECT, code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce.verifier }, { authorization: basicAuth(made.app.clientId, made.clientSecret!) });
    const tokens = await res.json() as Record<string, string>;
    // The user consented to login:info only: the management scope is the app's own, never the user's to give.
    expect(tokens.scope).toBe('login:info');
    expectProblem(await api('GET', '/users', { token: tokens.access_token }), 403, 'forbidden');
  });

  test('management scopes are never asked for at /authorize or the device flow, and only an operator grants them', async () => {
    const made = await adminOf(gh.ctx).createApp({ type: 'operator' }, { name: 'Asker', redirectUris: [REDIRECT], scopes: ['login:info', 'gatehouse:admin'], platforms: [{ type: 'web' }, { type: 'tv' }] }, null);
    const user = await gh.createUser('asker');
    const http = new HttpUser(gh, user.login, user.password);
    const pkce = pkcePair();
    const { location } = await http.authorize({ response_type: 'code', client_id: made.app.clientId, redirect_uri: REDIRECT, scope: 'gatehouse:admin', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    const device = await postForm(`${gh.url}/device/code`, { client_id: made.app.clientId, client_secret: made.clientSecret!, scope: 'gatehouse:users:read' });
    expect(device.status).toBe(400);
    expect(((await device.json()) as Record<string, string>).error).toBe('invalid_scope');
    // A developer on /console (the owner's door of the same service) cannot give an app one.
    await expect(gh.ctx.apps.create({ name: 'Sneaky', scopes: ['gatehouse:admin'] })).rejects.toThrow(InputError);
    await expect(gh.ctx.apps.update(made.app.clientId, { scopes: ['login:info', 'gatehouse:admin', 'gatehouse:keys:write'] })).rejects.toThrow(/only an operator/);
  });
});

describe('users (issue 21)', () => {
  test('created, read, changed, blocked, given a new password and erased through the Admin service', async () => {
    const created = await api('POST', '/users', { token: ops.token, body: { login: 'Hr.Alice', password: 'first password 1', email: 'alice@example.org', first_name: 'Alice' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ login: 'hr.alice', display_name: 'Alice', default_email: 'alice@example.org', confirmed_emails: ['alice@example.org'], status: 'active' });
    const id = created.body.id as string;
    expect((await api('GET', `/users/${id}`, { token: ops.token })).body.login).toBe('hr.alice');
    const found = await api('GET', '/users?search=ALICE', { token: ops.token });
    expect(found.body.items.map((u: any) => u.id)).toEqual([id]);

    const changed = await api('PATCH', `/users/${id}`, { token: ops.token, body: { is_developer: true, phone: '+44 20 7946 0958', phone_confirmed: true } });
    expect(changed.body).toMatchObject({ is_developer: true, phone_confirmed: true });

    const blocked = await api('POST', `/users/${id}/block`, { token: ops.token });
    expect(blocked.body.status).toBe('blocked');
    expect(await gh.ctx.users.authenticate('hr.alice', 'first password 1')).toBeNull();
    expect((await api('POST', `/users/${id}/unblock`, { token: ops.token })).body.status).toBe('active');

    const reset = await api('POST', `/users/${id}/reset-password`, { token: ops.token });
    expect(reset.body.password).toMatch(/^[a-zA-Z2-9]{16}$/);
    expect(await gh.ctx.users.authenticate('hr.alice', reset.body.password)).not.toBeNull();

    const taken = await api('POST', '/users', { token: ops.token, body: { login: 'hr.alice' } });
    expectProblem(taken, 422, 'invalid-input');
    expect(taken.body.detail).toBe('the login hr.alice is taken');

    const erased = await api('DELETE', `/users/${id}`, { token: ops.token });
    expect(erased.body).toEqual({ id, login: 'hr.alice', apps_without_owner: [] });
    expectProblem(await api('GET', `/users/${id}`, { token: ops.token }), 404, 'not-found');
  });

  test('every call is audited with the calling app as the actor', async () => {
    const created = await api('POST', '/users', { token: ops.token, body: { login: 'audited' } });
    const entries = await gh.ctx.storage.listAudit({ userId: created.body.id, limit: 10 });
    expect(entries.find((e) => e.action === 'user_created')).toMatchObject({ actorType: 'app', actorId: ops.clientId });
    const calls = await api('GET', `/audit?action=api_request&client_id=${ops.clientId}&limit=5`, { token: ops.token });
    expect(calls.body.items[0]).toMatchObject({ action: 'api_request', actor: { type: 'app', id: ops.clientId }, details: { operation: 'createUser', status: 201 } });
    const reader = await automationApp(gh, ['gatehouse:users:read'], 'refused-reader');
    await api('DELETE', `/users/${created.body.id}`, { token: reader.token });
    const refused = await gh.ctx.storage.listAudit({ clientId: reader.clientId as never, action: 'api_request', limit: 1 });
    expect(refused[0]).toMatchObject({ outcome: 'refused', actorType: 'app', details: { operation: 'deleteUser', status: 403 } });
  });

  test('lists page by cursor through more users than a page, each once', async () => {
    for (let i = 0; i < 7; i++) await api('POST', '/users', { token: ops.token, body: { login: `paged-${i}` } });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer: ApiAnswer = await api('GET', `/users?search=paged-&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: ops.token });
      seen.push(...answer.body.items.map((u: any) => u.login));
      cursor = answer.body.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `paged-${i}`));
    expectProblem(await api('GET', '/users?cursor=not-a-cursor', { token: ops.token }), 400, 'invalid-request');
  });
});

describe('problems (issue 21)', () => {
  test('unknown routes, bad bodies, bad JSON and the wrong media type are problems', async () => {
    const missing = await fetch(`${gh.url}/api/v1/nowhere`, { headers: { authorization: `Bearer ${ops.token}` } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 404, instance: '/api/v1/nowhere' });

    const invalid = await api('POST', '/users', { token: ops.token, body: { login: 42, shoe_size: 9 } });
    expectProblem(invalid, 400, 'invalid-request');
    expect(invalid.body.errors.map((e: any) => e.pointer)).toEqual(expect.arrayContaining(['/body/login']));

    expectProblem(await api('POST', '/users', { token: ops.token, body: '{"login":' }), 400, 'invalid-request');
    expectProblem(await api('POST', '/users', { token: ops.token, body: 'login=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported-media-type');
    expectProblem(await api('GET', '/users?limit=1000', { token: ops.token }), 400, 'invalid-request');
  });
});

describe('idempotency (issue 21)', () => {
  test('the same key and body get the first answer again, once; another body with the key is refused', async () => {
    const headers = { 'idempotency-key': 'hr-import-0001' };
    const first = await api('POST', '/users', { token: ops.token, body: { login: 'once' }, headers });
    const again = await api('POST', '/users', { token: ops.token, body: { login: 'once' }, headers });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await api('GET', '/users?search=once', { token: ops.token })).body.items).toHaveLength(1);

    expectProblem(await api('POST', '/users', { token: ops.token, body: { login: 'twice' }, headers }), 422, 'idempotency-key-reused');
    expect(await gh.ctx.storage.findUserByLogin('twice')).toBeNull();

    // Keys are the calling app's own: another app's same key is another request.
    const other = await automationApp(gh, ['gatehouse:users:write'], 'other-importer');
    expect((await api('POST', '/users', { token: other.token, body: { login: 'twice' }, headers })).status).toBe(201);
  });

  test('parallel requests with one key make one user: the others get the answer or 409', async () => {
    const headers = { 'idempotency-key': 'parallel-1' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => api('POST', '/users', { token: ops.token, body: { login: 'parallel' }, headers })));
    expect(answers.filter((a) => a.status === 201 && a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    for (const a of answers) expect([201, 409]).toContain(a.status);
    expect((await api('GET', '/users?search=parallel', { token: ops.token })).body.items).toHaveLength(1);
  });

  test('an app cannot block or delete itself through the API', async () => {
    expectProblem(await api('POST', `/apps/${ops.clientId}/block`, { token: ops.token }), 422, 'invalid-input');
    expectProblem(await api('DELETE', `/apps/${ops.clientId}`, { token: ops.token }), 422, 'invalid-input');
  });

  test('a refusal is replayed too, and a key expires after a day', async () => {
    const headers = { 'idempotency-key': 'refused-once' };
    const refused = await api('POST', '/users', { token: ops.token, body: { login: '-bad-' }, headers });
    expectProblem(refused, 422, 'invalid-input');
    const replay = await api('POST', '/users', { token: ops.token, body: { login: '-bad-' }, headers });
    expect(replay.body).toEqual(refused.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    // A day later the key is free again.
    const claim = await gh.ctx.storage.idempotency.claimIdempotencyKey({ clientId: ops.clientId as never, key: 'refused-once', requestHash: 'x', createdAt: Date.now() + 25 * 3600_000 }, Date.now() + 3600_000);
    expect(claim).toBeNull();
  });

  test('secrets in stored answers are sealed', async () => {
    const made = await api('POST', '/apps', { token: ops.token, body: { name: 'Sealed', redirect_uris: [REDIRECT] }, headers: { 'idempotency-key': 'sealed-app' } });
    const db = (gh.ctx.storage as unknown as { db: any }).db;
    const row = await db.selectFrom('api_idempotency').selectAll().where('key', '=', 'sealed-app').executeTakeFirst();
    expect(row.response).not.toContain(made.body.client_secret);
  });
});

describe('apps (issue 21)', () => {
  test('registered, changed, its secret rotated, blocked and deleted', async () => {
    const created = await api('POST', '/apps', { token: ops.token, body: { name: 'Pipeline app', redirect_uris: [REDIRECT], scopes: ['login:info'] } });
    expect(created.status).toBe(201);
    const { client_id: clientId, client_secret: secret } = created.body;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    await clientCredentials(gh, clientId, secret);
    expect((await api('GET', `/apps/${clientId}`, { token: ops.token })).body.name).toBe('Pipeline app');
    const changed = await api('PATCH', `/apps/${clientId}`, { token: ops.token, body: { name: 'Renamed', scopes: ['login:info', 'login:email'] } });
    expect(changed.body).toMatchObject({ name: 'Renamed', scopes: ['login:info', 'login:email'], client_secret: null });
    const rotated = await api('POST', `/apps/${clientId}/rotate-secret`, { token: ops.token });
    await expect(clientCredentials(gh, clientId, secret)).rejects.toThrow();
    await clientCredentials(gh, clientId, rotated.body.client_secret);
    expect((await api('POST', `/apps/${clientId}/block`, { token: ops.token })).body).toMatchObject({ status: 'blocked', blocked_by: 'operator' });
    expect((await api('POST', `/apps/${clientId}/unblock`, { token: ops.token })).body.status).toBe('active');
    expectProblem(await api('POST', '/apps', { token: ops.token, body: { name: 'Bad', scopes: ['no:such'] } }), 422, 'invalid-input');
    expect((await api('DELETE', `/apps/${clientId}`, { token: ops.token })).status).toBe(204);
    expectProblem(await api('GET', `/apps/${clientId}`, { token: ops.token }), 404, 'not-found');
  });

  test('lists page by cursor', async () => {
    for (let i = 0; i < 5; i++) await api('POST', '/apps', { token: ops.token, body: { name: `Paged app ${i}`, platforms: [{ type: 'desktop' }] } });
    const first = await api('GET', '/apps?search=paged%20app&limit=2', { token: ops.token });
    const second = await api('GET', `/apps?search=paged%20app&limit=2&cursor=${first.body.next_cursor}`, { token: ops.token });
    const third = await api('GET', `/apps?search=paged%20app&limit=2&cursor=${second.body.next_cursor}`, { token: ops.token });
    expect([...first.body.items, ...second.body.items, ...third.body.items].map((a: any) => a.name)).toEqual([0, 1, 2, 3, 4].map((i) => `Paged app ${i}`));
    expect(third.body.next_cursor).toBeNull();
  });
});

describe('what a user holds (issue 21)', () => {
  test('tokens, sessions and consents listed and revoked', async () => {
    const user = await gh.createUser('holder');
    const app = await gh.createApp({ name: 'Held', redirectUris: [REDIRECT], scopes: ['login:info'] });
    const http = new HttpUser(gh, user.login, user.password);
    const pkce = pkcePair();
    const code = await http.code({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce.verifier }, { authorization: basicAuth(app.clientId, app.clientSecret!) });
    const tokens = await res.json() as Record<string, string>;

    const consents = await api('GET', `/users/${user.id}/consents`, { token: ops.token });
    expect(consents.body.items).toMatchObject([{ client_id: app.clientId, scopes: ['login:info'] }]);
    const held = await api('GET', `/users/${user.id}/tokens`, { token: ops.token });
    expect(held.body.items.map((t: any) => t.type).sort()).toEqual(['access', 'refresh']);
    const sessions = await api('GET', `/users/${user.id}/sessions`, { token: ops.token });
    expect(sessions.body.items).toHaveLength(1);

    const access = held.body.items.find((t: any) => t.type === 'access');
    expect((await api('DELETE', `/users/${user.id}/tokens/${access.id}`, { token: ops.token })).status).toBe(204);
    expect((await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${tokens.access_token}` } })).status).toBe(401);
    expectProblem(await api('DELETE', `/users/${user.id}/tokens/${access.id}`, { token: ops.token }), 404, 'not-found');

    expect((await api('DELETE', `/users/${user.id}/sessions/${sessions.body.items[0].id}`, { token: ops.token })).status).toBe(204);
    expect((await http.get('/account')).status).toBe(302);
    expect((await api('DELETE', `/users/${user.id}/consents/${app.clientId}`, { token: ops.token })).status).toBe(204);
    expect((await api('GET', `/users/${user.id}/consents`, { token: ops.token })).body.items).toEqual([]);
  });

  test('signing keys listed and rotated', async () => {
    const before = await api('GET', '/keys', { token: ops.token });
    const rotated = await api('POST', '/keys/rotate', { token: ops.token });
    expect(rotated.body.items.every((k: any) => k.state === 'next')).toBe(true);
    const after = await api('GET', '/keys', { token: ops.token });
    expect(after.body.items.length).toBe(before.body.items.length + rotated.body.items.length);
  });
});

describe('limits (issue 21)', () => {
  test('calls past the app\'s limit get 429 with Retry-After, counted in the database per app', async () => {
    const limited = await startGatehouse({ config: { limits: { apiRequestsPerClient: { max: 3, windowMs: 60_000 } } } });
    try {
      const app = await automationApp(limited, ['gatehouse:audit:read'], 'busy');
      const other = await automationApp(limited, ['gatehouse:audit:read'], 'quiet');
      const call = (token: string) => fetch(`${limited.url}/api/v1/audit?limit=1`, { headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < 3; i++) expect((await call(app.token)).status).toBe(200);
      const refused = await call(app.token);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(await refused.json()).toMatchObject({ type: `${limited.url}/api/v1/docs#problem-too-many-requests` });
      expect((await call(other.token)).status).toBe(200);
      const metrics = await (await fetch(`${limited.url}/metrics`)).text();
      expect(metrics).toMatch(/gatehouse_rate_limited_total\{route="\/api\/v1\/audit"\} 1\b/);
    } finally {
      await limited.close();
    }
  });
});

test('every answer above matched the document', () => {
  expect(checker.checked.length).toBeGreaterThan(60);
});
