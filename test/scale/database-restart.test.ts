/**
 * PostgreSQL going away while Gatehouse runs (issue 9): requests fail cleanly
 * with 503 (`/readyz` and `temporarily_unavailable`), the process does not
 * crash, and everything works again once the database is back.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { basicAuth, postForm } from '../helpers/http-client.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

let postgres: RunningPostgres;
let server: GatehouseProcess;
let dataDir: string;

beforeAll(async () => {
  // A cluster of its own: restarting the shared one would disturb other test files.
  postgres = await startPostgres({ own: true });
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-restart-'));
  server = await spawnGatehouse({ GATEHOUSE_DATABASE_URL: postgres.url, GATEHOUSE_SECRET_KEY: randomBytes(32).toString('base64'), GATEHOUSE_DATA_DIR: dataDir });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await postgres?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('answers 503 while the database is down and recovers by itself when it returns', async () => {
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  postgres.pause!();
  const ready = await fetch(`${server.url}/readyz`);
  expect(ready.status).toBe(503);
  const info = await fetch(`${server.url}/info`, { headers: { authorization: 'OAuth gate_at_whatever' } });
  expect(info.status).toBe(503);
  expect(await info.json()).toMatchObject({ error: 'temporarily_unavailable' });
  const tokenRes = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth('0'.repeat(32), 'x') });
  expect(tokenRes.status).toBe(503);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

  postgres.resume!();
  const deadline = Date.now() + 15_000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await fetch(`${server.url}/readyz`)).status;
    if (status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(status).toBe(200);
  expect((await fetch(`${server.url}/info`, { headers: { authorization: 'OAuth gate_at_whatever' } })).status).toBe(401);
  expect(server.child.exitCode).toBeNull();
}, 60_000);

test('a connection ended under a running statement is dropped: the read is made again on another, and the process lives on', async () => {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  try {
    // The token read of /info is held at the table's lock, then its backend is ended, as a failover would end it.
    await admin.query('begin');
    await admin.query('lock table tokens in access exclusive mode');
    const answer = fetch(`${server.url}/info`, { headers: { authorization: 'OAuth gate_at_held' } });
    let held: number[] = [];
    for (let i = 0; i < 200 && held.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      // Inside this transaction pg_stat_activity answers from its first read's snapshot unless told to take another.
      await admin.query('select pg_stat_clear_snapshot()');
      held = (await admin.query<{ pid: number }>("select pid from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()")).rows.map((r) => r.pid);
    }
    expect(held.length, 'a statement waiting at the lock').toBeGreaterThan(0);
    for (const pid of held) await admin.query('select pg_terminate_backend($1)', [pid]);
    // The ended connection is dropped, so a read made again goes to another one, which the lock would hold too.
    await admin.query('rollback');
    const res = await answer;
    // Answered as if nothing had happened: the token is unknown. Were the ended connection pooled again, the read
    // made again would fail on it and the answer would be 503.
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_token' });
  } finally {
    await admin.query('rollback').catch(() => {});
    await admin.end();
  }
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${server.url}/info`, { headers: { authorization: 'OAuth gate_at_whatever' } })).status).toBe(401);
  expect(server.child.exitCode).toBeNull();
}, 60_000);
