/**
 * `npm start` / `gatehouse start`: load config, open storage (migrating it),
 * serve, and shut down gracefully on SIGTERM and SIGINT.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from './config.js';
import { createContext } from './context.js';
import { buildServer } from './http/server.js';
import { startupBlock } from './http/terminal.js';
import { startCleanup } from './storage/cleanup.js';

export async function start(): Promise<void> {
  const config = loadConfig();
  const keyFile = path.join(config.dataDir, 'secret.key');
  const keyIsNew = config.secretKey === '' && !existsSync(keyFile);
  const ctx = await createContext(config);
  // A person at a terminal reads the logs; anything else (systemd, Docker, a pipe) gets JSON lines.
  const terminal = process.stdout.isTTY === true;
  const app = await buildServer(ctx, { pretty: terminal });
  const stopCleanup = startCleanup(ctx.storage, ctx.clock, config, (err) => app.log.warn({ err }, 'clean-up of expired rows failed'));
  // Mails whose delivery failed (or was cut short by a restart) are tried again.
  const stopMail = ctx.mail.start();
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    stopCleanup();
    stopMail();
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
  // While no operator exists, a one-time link creates the first one (src/setup/first-run.ts).
  const setupLink = await ctx.firstRun.open();
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

if (import.meta.url === `file://${process.argv[1]}`) {
  start().catch((err: Error) => {
    process.stderr.write(`gatehouse: ${err.message}\n`);
    process.exit(1);
  });
}
