/**
 * `npm start` / `gatehouse start`: load config, open storage (migrating it),
 * serve, and shut down gracefully on SIGTERM and SIGINT.
 */
import { loadConfig } from './config.js';
import { createContext } from './context.js';
import { buildServer } from './http/server.js';
import { startCleanup } from './storage/cleanup.js';

export async function start(): Promise<void> {
  const config = loadConfig();
  const ctx = await createContext(config);
  const app = await buildServer(ctx);
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
  app.log.info({ issuer: config.issuer, database: config.databaseUrl === '' ? `${config.dataDir}/gatehouse.db` : 'external' }, 'Gatehouse is ready');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  start().catch((err: Error) => {
    process.stderr.write(`gatehouse: ${err.message}\n`);
    process.exit(1);
  });
}
