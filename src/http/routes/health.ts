/** Liveness and readiness probes (docs/protocol.md §12). */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Context } from '../../context.js';

export const healthRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  /**
   * A process whose SQLite driver refuses every write since a sync of the log failed recovers only by a
   * restart (src/storage/sqlite-group-commit.ts): both probes say so, liveness included, so that whatever
   * supervises it (systemd, Docker, Kubernetes) restarts it instead of leaving it up and unable to write.
   */
  const refused = (reply: FastifyReply) => {
    const reason = ctx.storage.writesRefusedUntilRestart();
    if (reason === null) return null;
    return reply.code(503).send({ status: 'writes_refused', error_description: reason });
  };
  app.get('/healthz', async (_request, reply) => refused(reply) ?? { status: 'ok' });
  app.get('/readyz', async (request, reply) => {
    const answered = refused(reply);
    if (answered !== null) return answered;
    try {
      await ctx.storage.ping();
      return { status: 'ok' };
    } catch (err) {
      request.log.warn({ err }, 'database is not reachable');
      return reply.code(503).send({ status: 'unavailable', error_description: 'the database is not reachable' });
    }
  });
};
