/**
 * `npm start` / `gatehouse start`: load config, open storage (migrating it),
 * serve, and shut down gracefully on SIGTERM and SIGINT.
 *
 * With GATEHOUSE_WORKERS above 1 (or `auto`, one per core) this process is the
 * primary of a node:cluster: it migrates the database and creates the server
 * key and the signing keys first, alone, then starts that many workers, each
 * a whole server on the same port (the primary hands out connections in turn).
 * Nothing a worker needs to agree on lives in its memory: tokens, codes,
 * limits and revocations are in the database, where the engine makes every
 * conditional step single-winner across processes (on SQLite one writer at a
 * time, with a busy timeout; src/storage/sqlite-group-commit.ts). SIGTERM to
 * the primary stops every worker the same graceful way, then the primary.
 */
import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from './config.js';
import { createContext } from './context.js';
import { buildServer } from './http/server.js';
import { startupBlock } from './http/terminal.js';
import { startCleanup } from './storage/cleanup.js';

/** Set in the worker that runs the periodic jobs (expired-row clean-up, mail retries): one process does them. */
const JOBS_ENV = 'GATEHOUSE_WORKER_JOBS';

export function workerCount(config: Pick<Config, 'workers'>): number {
  return config.workers === 'auto' ? availableParallelism() : config.workers;
}

export async function start(): Promise<void> {
  const config = loadConfig();
  const keyFile = path.join(config.dataDir, 'secret.key');
  const keyIsNew = config.secretKey === '' && !existsSync(keyFile);
  const workers = workerCount(config);
  if (workers > 1 && cluster.isPrimary) {
    // Migrations, the server key and the signing keys, made once before any worker opens the database.
    const prepared = await createContext(config);
    const operatorExists = await prepared.firstRun.operatorExists();
    await prepared.close();
    // The first-run setup link lives in one process's memory: until the first operator exists, one process serves.
    if (operatorExists) return startPrimary(config, workers);
  }
  const jobs = cluster.isPrimary || process.env[JOBS_ENV] === '1';
  const ctx = await createContext(config);
  // A person at a terminal reads the logs; anything else (systemd, Docker, a pipe) gets JSON lines.
  const terminal = process.stdout.isTTY === true && cluster.isPrimary;
  const app = await buildServer(ctx, { pretty: terminal });
  const stopCleanup = jobs ? startCleanup(ctx.storage, ctx.clock, config, (err) => app.log.warn({ err }, 'clean-up of expired rows failed')) : () => {};
  // Mails whose delivery failed (or was cut short by a restart) are tried again.
  const stopMail = jobs ? ctx.mail.start() : () => {};
  // The webhook outbox: claimed delivery by delivery, so any number of processes may send it (src/webhooks/delivery.ts).
  ctx.webhookDelivery.warn = (message, details) => app.log.warn(details, message);
  const stopWebhooks = jobs ? ctx.webhookDelivery.start() : () => {};
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    stopCleanup();
    stopMail();
    stopWebhooks();
    try {
      await app.close();
      await ctx.close();
    } finally {
      clearTimeout(force);
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  if (!cluster.isPrimary) return;
  // While no operator exists, a one-time link creates the first one (src/setup/first-run.ts).
  const setupLink = await ctx.firstRun.open();
  if (setupLink && workers > 1) app.log.warn({ workers }, 'GATEHOUSE_WORKERS applies once the first operator exists: one process serves until then');
  const database = config.databaseUrl === '' ? `${config.dataDir}/gatehouse.db` : 'external';
  if (terminal) {
    const data = config.databaseUrl === '' ? `${config.dataDir} (SQLite database gatehouse.db)` : 'PostgreSQL (GATEHOUSE_DATABASE_URL)';
    process.stdout.write(startupBlock({ issuer: config.issuer, data, createdSecretKey: keyIsNew ? keyFile : null, setupLink }));
    return;
  }
  app.log.info({ issuer: config.issuer, database }, 'Gatehouse is ready');
  if (keyIsNew) app.log.warn({ file: keyFile }, 'created the server key secret.key: back it up with the database, without it client secrets and signing keys cannot be read');
  if (setupLink) app.log.warn({ setupLink }, 'no operator account yet: open the setup link to create the first one (it works once, until restart), or run gatehouse user create --admin');
}

/** The primary of GATEHOUSE_WORKERS processes: prepares the database, starts the workers, replaces one that dies, stops them all on SIGTERM. */
async function startPrimary(config: Config, count: number): Promise<void> {
  let closing = false;
  const live = new Set<Worker>();
  let ready = 0;
  const informs = ['trace', 'debug', 'info'].includes(config.logLevel);
  const fork = (jobs: boolean) => {
    const worker = cluster.fork(jobs ? { [JOBS_ENV]: '1' } : {});
    live.add(worker);
    let listened = false;
    worker.once('listening', () => {
      listened = true;
      if (++ready === count && informs) process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, workers: count, issuer: config.issuer, msg: 'Gatehouse is ready' })}\n`);
    });
    worker.once('exit', (code, signal) => {
      live.delete(worker);
      const log = (msg: string) => process.stderr.write(`${JSON.stringify({ level: 50, time: Date.now(), pid: process.pid, worker: worker.process.pid, code, signal, msg })}\n`);
      if (closing) {
        // A worker that could not stop gracefully makes the whole stop a failure.
        // (One killed by the signal before it could handle it was still starting: it had served nothing.)
        if (code !== 0 && !(signal === 'SIGTERM' && !listened)) {
          log('a worker did not stop cleanly');
          process.exitCode = 1;
        }
        if (live.size === 0) process.exit(process.exitCode ?? 0);
        return;
      }
      // One that never started (the port taken, a bad setting) would fail again: stop them all.
      if (!listened) {
        log('a worker could not start: stopping');
        closing = true;
        for (const other of live) other.process.kill('SIGTERM');
        process.exitCode = 1;
        if (live.size === 0) process.exit(1);
        return;
      }
      // A worker that dies is replaced; its requests in flight are lost as they would be with one process.
      log('a worker exited: starting another');
      setTimeout(() => fork(jobs), 1000);
    });
  };
  for (let i = 0; i < count; i++) fork(i === 0);
  const shutdown = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(1), 12_000).unref();
    if (live.size === 0) process.exit(0);
    for (const worker of live) worker.process.kill('SIGTERM');
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  start().catch((err: Error) => {
    process.stderr.write(`gatehouse: ${err.message}\n`);
    process.exit(1);
  });
}
