#!/usr/bin/env node
/**
 * SQLite `synchronous = FULL` against `NORMAL` (issue 10): tokens issued per
 * second on this machine, through the real HTTP server and /token
 * (client_credentials: one token row and one audit row per request), with 1
 * and 16 clients at once. Run after `npm run build`:
 *
 *   node bench/sqlite-synchronous.mjs [requests per run, default 2000]
 *
 * In WAL mode FULL syncs the log on every commit, so a response is only sent
 * for a token that is on disk and survives power loss; NORMAL syncs only at
 * checkpoints, so a power cut (not a process crash) may lose the last commits.
 * The figures and the choice are in docs/security.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../dist/config.js';
import { createContext } from '../dist/context.js';
import { buildServer } from '../dist/http/server.js';

const REQUESTS = Number(process.argv[2]) || 2000;

async function run(mode, concurrency) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  const ctx = await createContext(loadConfig({ dataDir, logLevel: 'silent' }, {}));
  await sql.raw(`pragma synchronous = ${mode}`).execute(ctx.storage.db);
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

const rows = [];
for (const concurrency of [1, 16]) {
  for (const mode of ['FULL', 'NORMAL']) {
    const rates = [];
    for (let i = 0; i < 3; i++) rates.push(await run(mode, concurrency));
    rates.sort((a, b) => a - b);
    rows.push({ mode, concurrency, median: Math.round(rates[1]), min: Math.round(rates[0]), max: Math.round(rates[2]) });
    console.log(`synchronous=${mode.padEnd(6)} clients=${String(concurrency).padStart(2)}  tokens/s median ${Math.round(rates[1])} (min ${Math.round(rates[0])}, max ${Math.round(rates[2])})`);
  }
}
