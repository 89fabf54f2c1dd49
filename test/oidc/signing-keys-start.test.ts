/**
 * Signing keys made on first start: several processes started together on a
 * new database (a container orchestrator starting replicas, a server and a
 * CLI) end with exactly one key per algorithm, which all of them sign with
 * and publish — not one key per process, with id_tokens that a relying party
 * validating against another process's /jwks would refuse.
 *
 * Real operating-system processes (`node dist/main.js`) on one new SQLite
 * data directory, or on one new PostgreSQL database in the PostgreSQL run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { SIGNING_ALGS } from '../../src/oidc/keys.js';
import { openStorage } from '../../src/storage/open.js';
import { testEngine } from '../helpers/gatehouse.js';
import { freshDatabase } from '../helpers/postgres.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

const PROCESSES = 4;
let processes: GatehouseProcess[] = [];
let dataDir: string;
let database: { url: string; drop(): Promise<void> } | null = null;

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('signing keys on first start', () => {
  test(`${PROCESSES} processes started together on a new database make exactly one current key per algorithm`, async () => {
    dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'gatehouse-keys-')), 'data');
    database = testEngine() === 'postgres' ? await freshDatabase(inject('postgresUrl')) : null;
    const env: Record<string, string> = { GATEHOUSE_DATA_DIR: dataDir };
    if (database) Object.assign(env, { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_SECRET_KEY: randomBytes(32).toString('base64') });
    const started = await Promise.allSettled(Array.from({ length: PROCESSES }, () => spawnGatehouse(env)));
    processes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    expect(started.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);

    // What relying parties see: every process publishes the same one key per algorithm.
    const published = await Promise.all(processes.map(async (p) =>
      ((await (await fetch(`${p.url}/jwks`)).json()) as { keys: { kid: string; alg: string }[] }).keys.map((k) => `${k.alg} ${k.kid}`).sort()));
    expect(published[0]!.map((k) => k.split(' ')[0])).toEqual([...SIGNING_ALGS].sort());
    for (const keys of published) expect(keys).toEqual(published[0]);

    // What the database holds: one key per algorithm, none retired.
    const storage = await openStorage(loadConfig({ dataDir, ...(database ? { databaseUrl: database.url } : {}) }, {}));
    try {
      const keys = await storage.listSigningKeys();
      expect(keys.map((k) => [k.alg, k.retiredAt]).sort()).toEqual(SIGNING_ALGS.map((alg) => [alg, null]).sort());
    } finally {
      await storage.close();
    }
  }, 120_000);
});
