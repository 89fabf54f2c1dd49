/**
 * The audit log (issue 10): a run through sign-in, consent, token issuance,
 * replay and revocation leaves one entry per event — who, what, when, from
 * where — readable with `gatehouse audit` and `listAuditEntries` (the /admin
 * page's call), and no entry holds a password, secret, token or code.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanDetails, formatAuditEntry, listAuditEntries } from '../../src/audit/audit-log.js';
import type { AuditEntry } from '../../src/storage/storage.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let gh: TestGatehouse;
let app: { clientId: string; clientSecret: string };
let desktop: string;
const seen: string[] = [];

beforeAll(async () => {
  gh = await startGatehouse();
  const created = await gh.createApp({ name: 'Audited app' });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
  desktop = (await gh.createApp({ name: 'Audited desktop app', platforms: ['desktop'] })).clientId;
  seen.push(app.clientSecret);
});
afterAll(async () => {
  await gh?.close();
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['dist/cli/main.js', ...args], {
    cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_LOG_LEVEL: 'silent' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('a full run leaves a trail', () => {
  let user: { id: string; login: string };
  let entries: AuditEntry[];

  beforeAll(async () => {
    const created = await gh.createUser('audited', 'audited password 1');
    user = { id: created.id, login: created.login };
    seen.push('audited password 1', 'wrong password 2');
    const person = new HttpUser(gh, 'audited', 'audited password 1');
    const page = await person.get('/login');
    expect((await person.post('/login', { ...hiddenFields(await page.text()), login: 'audited', password: 'wrong password 2' })).status).toBe(401);
    const unknown = await person.post('/login', { ...hiddenFields(await (await person.get('/login')).text()), login: 'nobody-here', password: 'wrong password 2' });
    expect(unknown.status).toBe(401);
    // Consent, then the code for tokens, then a replay of the code.
    const code = await person.code({ response_type: 'code', client_id: app.clientId });
    seen.push(code, person.jar.get('gatehouse_session')!, person.jar.get('gatehouse_csrf')!);
    const authorization = basicAuth(app.clientId, app.clientSecret);
    const tokens = (await (await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code }, { authorization })).json()) as Record<string, string>;
    seen.push(tokens.access_token!, tokens.refresh_token!);
    expect((await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code }, { authorization })).status).toBe(400);
    // A second authorization, refreshed and revoked.
    const second = await person.code({ response_type: 'code', client_id: app.clientId });
    const more = (await (await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code: second }, { authorization })).json()) as Record<string, string>;
    seen.push(second, more.access_token!, more.refresh_token!);
    const refreshed = (await (await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: more.refresh_token! }, { authorization })).json()) as Record<string, string>;
    seen.push(refreshed.access_token!);
    expect((await postForm(`${gh.url}/revoke`, { token: refreshed.access_token! }, { authorization })).status).toBe(200);
    // A public client's refresh token used twice.
    const pkce = pkcePair();
    seen.push(pkce.verifier);
    const publicCode = await person.code({ response_type: 'code', client_id: desktop, code_challenge: pkce.challenge });
    const publicTokens = (await (await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code: publicCode, client_id: desktop, code_verifier: pkce.verifier })).json()) as Record<string, string>;
    seen.push(publicCode, publicTokens.refresh_token!);
    for (let i = 0; i < 2; i++) await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: publicTokens.refresh_token!, client_id: desktop });
    // Declined consent.
    await person.authorize({ response_type: 'code', client_id: app.clientId, force_confirm: 'yes' }, 'deny');
    entries = (await listAuditEntries(gh.ctx, { limit: 1000 })).reverse();
  }, 300_000);

  test('sign-ins: failed (naming the account only when it exists), then ok, each with the address', () => {
    const signIns = entries.filter((e) => e.action === 'sign_in');
    expect(signIns.map((e) => [e.outcome, e.userId, e.actorType])).toEqual([
      ['failed', user.id, 'anonymous'],
      ['failed', null, 'anonymous'],
      ['ok', user.id, 'user'],
    ]);
    for (const e of signIns) expect(e.ip).toBe('127.0.0.1');
    expect(JSON.stringify(signIns)).not.toContain('nobody-here');
  });

  test('consents given and declined, tokens issued by grant, the replays and the revocation', () => {
    const about = (action: string) => entries.filter((e) => e.action === action);
    expect(about('consent').map((e) => [e.outcome, e.clientId])).toEqual([
      ['ok', app.clientId], ['ok', desktop], ['refused', app.clientId],
    ]);
    expect(about('consent')[0]!.details.scopes).toEqual(['login:info', 'login:email']);
    expect(about('token_issued').map((e) => [e.details.grant, e.actorId, e.userId])).toEqual([
      ['authorization_code', app.clientId, user.id],
      ['authorization_code', app.clientId, user.id],
      ['refresh_token', app.clientId, user.id],
      ['authorization_code', desktop, user.id],
      ['refresh_token', desktop, user.id],
    ]);
    expect(about('token_replay').map((e) => [e.details.grant, e.clientId, e.outcome])).toEqual([
      ['authorization_code', app.clientId, 'refused'],
      ['refresh_token', desktop, 'refused'],
    ]);
    expect(about('token_revoked').map((e) => [e.clientId, e.userId, e.details.type])).toEqual([[app.clientId, user.id, 'access']]);
  });

  test('no entry holds a password, secret, token, code, session id or CSRF token', async () => {
    const all = JSON.stringify(await listAuditEntries(gh.ctx, { limit: 10_000 }));
    expect(seen.length).toBeGreaterThan(12);
    for (const secret of seen) expect(all.includes(secret), `a secret of ${secret.length} characters`).toBe(false);
  });

  test('listAuditEntries filters by login and app; an unknown login matches nothing', async () => {
    expect((await listAuditEntries(gh.ctx, { login: 'AUDITED' })).every((e) => e.userId === user.id)).toBe(true);
    expect((await listAuditEntries(gh.ctx, { clientId: desktop })).every((e) => e.clientId === desktop)).toBe(true);
    expect(await listAuditEntries(gh.ctx, { login: 'nobody-here' })).toEqual([]);
    expect(formatAuditEntry(entries.find((e) => e.action === 'token_issued')!)).toMatch(/Z {2}token_issued ok {2}by app [0-9a-f]{32} \(user \d+\) from 127\.0\.0\.1 {2}\{"grant":"authorization_code"/);
  });

  test('gatehouse audit prints the same entries, newest first, as JSON or one line each; filters by --user and --app', () => {
    const json = cli(['audit', '--json', '--user', 'audited', '--limit', '3']);
    expect(json.status, json.stderr).toBe(0);
    const printed = JSON.parse(json.stdout) as Array<{ action: string; user_id: string; at: string; actor: { type: string } }>;
    expect(printed).toHaveLength(3);
    expect(printed.every((e) => e.user_id === user.id)).toBe(true);
    expect(printed[0]!.action).toBe('consent');
    expect(new Date(printed[0]!.at) >= new Date(printed[2]!.at)).toBe(true);
    const text = cli(['audit', '--app', desktop]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout.trim().split('\n').every((line) => line.includes(desktop))).toBe(true);
    expect(text.stdout).toContain('token_replay refused');
  }, 300_000);

  test('gatehouse audit refuses bad options with one line and exit 1; an unknown user is an error', () => {
    for (const args of [['--limit', '0'], ['--limit', 'many'], ['--app', 'not-a-client-id'], ['--user', 'nobody-here'], ['--action', 'DROP TABLE']]) {
      const result = cli(['audit', ...args]);
      expect(result.status, args.join(' ')).toBe(1);
      expect(result.stderr).toMatch(/^gatehouse: .+\n$/);
    }
  }, 300_000);

  test('operator changes made with the CLI are recorded as the operator', () => {
    const created = cli(['app', 'create', '--name', 'CLI app', '--redirect-uri', 'https://cli.example/cb', '--json']);
    expect(created.status, created.stderr).toBe(0);
    const clientId = (JSON.parse(created.stdout) as { client_id: string }).client_id;
    expect(cli(['app', 'update', clientId, '--status', 'blocked']).status).toBe(0);
    const log = JSON.parse(cli(['audit', '--json', '--app', clientId]).stdout) as Array<{ action: string; actor: { type: string; id: string | null }; details: Record<string, unknown> }>;
    expect(log.map((e) => e.action)).toEqual(['app_blocked', 'app_created']);
    expect(log.every((e) => e.actor.type === 'operator' && e.actor.id === null)).toBe(true);
    expect(log[0]!.details.fields).toContain('status');
    expect(JSON.stringify(log)).not.toContain((JSON.parse(created.stdout) as { client_secret: string }).client_secret);
  }, 300_000);
});

test('details named or shaped like secrets are replaced', () => {
  expect(cleanDetails({ password: 'x', client_secret: 'y', refresh_token: 'z', code: '1234567', grant: 'gate_at_abc', scopes: ['gate_rt_x', 'login:info'], token_type: 'bearer', n: 1, absent: undefined }))
    .toEqual({ password: '[redacted]', client_secret: '[redacted]', refresh_token: '[redacted]', code: '[redacted]', grant: '[redacted]', scopes: ['[redacted]', 'login:info'], token_type: 'bearer', n: 1 });
});
