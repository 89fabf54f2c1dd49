/**
 * A real Gatehouse for tests: a fresh SQLite file in a temporary directory,
 * the real HTTP server on a free loopback port, and helpers to create users
 * and apps through the same services the CLI uses.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { loadConfig, type ConfigInput } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { buildServer } from '../../src/http/server.js';
import type { AppInput } from '../../src/apps/apps.js';
import type { AppRecord, UserRecord } from '../../src/storage/storage.js';
import type { WalSyncer } from '../../src/storage/sqlite-group-commit.js';
import type { Clock } from '../../src/types.js';
import { freshDatabase } from './postgres.js';

export interface TestGatehouse {
  /** Base URL, also the issuer. */
  url: string;
  ctx: Context;
  server: FastifyInstance;
  dataDir: string;
  createUser(login?: string, password?: string, extra?: Partial<{ email: string; firstName: string; lastName: string }>): Promise<UserRecord & { password: string }>;
  createApp(input?: Partial<AppInput>): Promise<{ app: AppRecord; clientId: string; clientSecret: string | null }>;
  close(): Promise<void>;
}

let counter = 0;

/** A controllable clock: `clock.advance(ms)` moves time forward without sleeping. */
export function testClock(start = Date.now()): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  const clock = (() => now) as Clock & { advance(ms: number): void; set(ms: number): void };
  clock.advance = (ms) => { now += ms; };
  clock.set = (ms) => { now = ms; };
  return clock;
}

/**
 * The engine integration tests run on: SQLite, or PostgreSQL when the test
 * project sets `GATEHOUSE_TEST_ENGINE=postgres` (vitest.config.ts runs the
 * integration folders once per engine).
 */
export function testEngine(): 'sqlite' | 'postgres' {
  return process.env.GATEHOUSE_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * `issuerHost`: the host the issuer names, when it is not the address listened
 * on: `localhost` for WebAuthn, which accepts no IP address as an RP ID and
 * plain http only on localhost.
 */
/**
 * `firstRun`: leave the database without an operator, as a fresh install is
 * (sign-up and app registration closed, src/setup/first-run.ts). Otherwise an
 * operator nobody signs in as (`helper-operator`, a random password) is made
 * first, so tests sign up and register apps as on an installation in use.
 * `walSyncer`: what syncs SQLite's log, for a test that makes a sync fail.
 */
export async function startGatehouse(options: { config?: ConfigInput; clock?: Clock; host?: string; issuerHost?: string; firstRun?: boolean; walSyncer?: WalSyncer } = {}): Promise<TestGatehouse> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-test-'));
  const database = testEngine() === 'postgres' && options.config?.databaseUrl === undefined ? await freshDatabase(inject('postgresUrl')) : null;
  const host = options.host ?? '127.0.0.1';
  // Find a free port first, so the issuer can name it.
  const probe = (await import('node:net')).createServer();
  const port: number = await new Promise((resolve) => probe.listen(0, host, () => resolve((probe.address() as { port: number }).port)));
  await new Promise((resolve) => probe.close(resolve));
  const issuer = options.config?.issuer ?? `http://${options.issuerHost ?? host}:${port}`;
  const config = loadConfig({ dataDir, port, host, logLevel: 'silent', ...(database ? { databaseUrl: database.url } : {}), ...options.config, issuer }, {});
  const ctx = await createContext(config, { ...(options.clock ? { clock: options.clock } : {}), ...(options.walSyncer ? { walSyncer: options.walSyncer } : {}), requireUnits: true });
  // Once per database: a test that restarts on the same database (another config) finds its operator there.
  if (!options.firstRun && !(await ctx.firstRun.operatorExists())) {
    await ctx.users.create({ login: 'helper-operator', password: randomBytes(18).toString('base64url'), isAdmin: true });
  }
  const server = await buildServer(ctx, { logger: false });
  await server.listen({ port, host });

  return {
    url: issuer,
    ctx,
    server,
    dataDir,
    async createUser(login, password = 'correct horse battery', extra = {}) {
      // As the operator creates users (`gatehouse user create --email`): the address counts as confirmed.
      const user = await ctx.users.create({ login: login ?? `user${++counter}x${process.pid}`, password, emailConfirmed: true, ...extra });
      return { ...user, password };
    },
    async createApp(input = {}) {
      const created = await ctx.apps.create({
        name: `Test app ${++counter}`,
        redirectUris: ['http://127.0.0.1:9999/callback'],
        scopes: ['login:info', 'login:email'],
        ...input,
      });
      return { app: created.app, clientId: created.app.clientId, clientSecret: created.clientSecret };
    },
    async close() {
      await server.close();
      await ctx.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
