#!/usr/bin/env node
/**
 * How SQLite's per-commit sync of the write-ahead log is done (issues 10 and
 * 11): tokens issued per second on this machine, through the real HTTP server
 * and /token (client_credentials: one token row and one audit row per
 * request), with 1 and 16 clients at once. Run after `npm run build`:
 *
 *   node bench/sqlite-synchronous.mjs [requests per run, default 2000]
 *
 * - `off-loop` is what Gatehouse does: `synchronous = NORMAL`, and the driver
 *   has a worker thread fsync the log after each (group) commit before any
 *   response that depends on it is sent (src/storage/sqlite-group-commit.ts).
 * - `FULL` is what it did before: SQLite fsyncs the log inside COMMIT, on the
 *   event loop (the driver sees the setting and leaves the sync to SQLite).
 * - `OFF` syncs nothing, not even at checkpoints: not durable, shown only as
 *   the ceiling the two others pay their fsync against.
 * Both durable modes answer only for tokens that survive a power cut. The
 * figures and the choice are in docs/security.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../dist/config.js';
import { createContext } from '../dist/context.js';
import { buildServer } from '../dist/http/server.js';

const REQUESTS = Number(process.argv[2]) || 2000;
const PRAGMA = { 'off-loop': 'NORMAL', FULL: 'FULL', OFF: 'OFF' };

async function run(mode, concurrency) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  const ctx = await createContext(loadConfig({ dataDir, logLevel: 'silent' }, {}));
  // Through the driver, which re-reads the setting after any pragma: NORMAL keeps the off-loop sync.
  await sql.raw(`pragma synchronous = ${PRAGMA[mode]}`).execute(ctx.storage.db);
  const created = await ctx.apps.create({ name: 'Bench', redirectUris: ['http://127.0.0.1:9999/cb'], scopes: ['login:info'] });
  const authorization = 'Basic ' + Buffer.from(`${created.app.clientId}:${created.clientSecret}`).toString('base64');
  const server = await buildServer(ctx, { logger: false });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${server.server.address().port}/token`;
  let left = REQUESTS;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) {
      const res = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      await res.arrayBuffer();
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await server.close();
  await ctx.close();
  rmSync(dataDir, { recursive: true, force: true });
  return REQUESTS / seconds;
}

// The modes take turns within each round, so that a burst of load from other programs on a shared
// machine falls on all of them rather than on one.
const MODES = ['FULL', 'off-loop', 'OFF'];
for (const concurrency of [1, 16]) {
  const rates = Object.fromEntries(MODES.map((mode) => [mode, []]));
  for (let round = 0; round < 3; round++) {
    for (const mode of MODES) rates[mode].push(await run(mode, concurrency));
  }
  for (const mode of MODES) {
    const r = rates[mode].sort((a, b) => a - b).map(Math.round);
    console.log(`sync ${mode.padEnd(8)} clients=${String(concurrency).padStart(2)}  tokens/s median ${r[1]} (min ${r[0]}, max ${r[2]})`);
  }
}
