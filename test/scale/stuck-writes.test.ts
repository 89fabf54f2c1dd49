/**
 * Token checks go on while writes are stuck (PostgreSQL). A write can wait
 * on a lock for as long as another session holds it — a long maintenance
 * statement, a stuck transaction — and holds its pooled connection all that
 * time. Were token checks drawn from the same connections, enough stuck
 * writes would leave none for them, and every resource server relying on
 * Gatehouse would be refused while nothing was wrong with the tokens. They
 * have connections of their own (GATEHOUSE_DATABASE_READ_POOL_SIZE): this
 * test jams every writing connection of a server run with its defaults,
 * then checks a token on it, and lets the writes go.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { basicAuth, hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { freshDatabase } from '../helpers/postgres.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const password = 'correct horse battery';
/** The writing pool of a server run with its defaults (`GATEHOUSE_DATABASE_POOL_SIZE`). */
const WRITING_CONNECTIONS = 10;
let database: { url: string; drop(): Promise<void> };
let dataDir: string;
let ctx: Context;
let server: GatehouseProcess;
let clientId: string;
let clientSecret: string;

beforeAll(async () => {
  database = await freshDatabase(inject('postgresUrl'));
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-stuck-'));
  const secretKey = randomBytes(32).toString('base64');
  ctx = await createContext(loadConfig({ dataDir, databaseUrl: database.url, secretKey, logLevel: 'silent' }, {}));
  const created = await ctx.apps.create({ name: 'Resource app', redirectUris: [REDIRECT], scopes: ['login:info'] });
  clientId = created.app.clientId;
  clientSecret = created.clientSecret!;
  await ctx.users.create({ login: 'reader', password });
  server = await spawnGatehouse({ GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_SECRET_KEY: secretKey, GATEHOUSE_DATA_DIR: dataDir });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await ctx?.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const token = (form: Record<string, string>) => postForm(`${server.url}/token`, form, { authorization: basicAuth(clientId, clientSecret) });

test('with every writing connection waiting on a lock, a token is still checked, and the writes finish once it is gone', async () => {
  const code = await new HttpUser({ url: server.url } as TestGatehouse, 'reader', password).code({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT });
  const { access_token: accessToken } = (await (await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).json()) as { access_token: string };
  // Browsers at the sign-in page, each with its form (and its CSRF token) in hand.
  const browsers = await Promise.all(Array.from({ length: WRITING_CONNECTIONS + 2 }, async () => {
    const browser = new HttpUser({ url: server.url } as TestGatehouse, 'reader', password);
    return { browser, fields: hiddenFields(await (await browser.get('/login')).text()) };
  }));

  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  const adminPid = (await admin.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  // Watched from a connection of its own: inside the lock holder's transaction, pg_stat_activity would answer
  // from the snapshot its first read took, and never see a session arrive after it.
  const watcher = new pg.Client({ connectionString: database.url });
  await watcher.connect();
  let stuck: Promise<Response>[] = [];
  try {
    // No attempt can be counted while this is held: every sign-in counts its attempt before its password is checked.
    await admin.query('begin');
    await admin.query('lock table attempt_counters in exclusive mode');
    // Each sign-in counts on a writing connection of its own, and waits there.
    stuck = browsers.map(({ browser, fields }) => browser.post('/login', { ...fields, login: 'reader', password }));
    const waiting = async () => Number((await watcher.query<{ n: string }>(
      "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    )).rows[0]!.n);
    // Waited for by the clock: on a loaded machine, opening ten connections can take seconds.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await waiting()) < WRITING_CONNECTIONS) await new Promise((r) => setTimeout(r, 20));
    const sessions = (await watcher.query<{ state: string; wait: string; query: string }>(
      "select state, coalesce(wait_event_type || ':' || wait_event, '') as wait, left(query, 60) as query from pg_stat_activity where datname = current_database() and pid not in (pg_backend_pid(), $1)", [adminPid],
    )).rows;
    expect(await waiting(), `every writing connection waits at the lock; the server's sessions: ${JSON.stringify(sessions)}`).toBe(WRITING_CONNECTIONS);

    const info = await fetch(`${server.url}/info`, { headers: { authorization: `OAuth ${accessToken}` } });
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ login: 'reader' });
    const introspected = await postForm(`${server.url}/introspect`, { token: accessToken }, { authorization: basicAuth(clientId, clientSecret) });
    expect(await introspected.json()).toMatchObject({ active: true, username: 'reader' });
    const unknown = await fetch(`${server.url}/info`, { headers: { authorization: 'OAuth gate_at_unknown' } });
    expect(unknown.status).toBe(401);
  } finally {
    await admin.query('rollback');
    await admin.end();
    await watcher.end();
  }
  // Nothing was lost: every sign-in that waited goes through.
  for (const answer of await Promise.all(stuck)) expect(answer.status).toBe(303);
}, 90_000);
