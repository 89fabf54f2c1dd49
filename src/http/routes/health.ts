/** Liveness and readiness probes (docs/protocol.md §12). */
import type { FastifyPluginAsync } from 'fastify';
import type { Context } from '../../context.js';

export const healthRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await ctx.storage.ping();
      return { status: 'ok' };
    } catch (err) {
      request.log.warn({ err }, 'database is not reachable');
      return reply.code(503).send({ status: 'unavailable', error_description: 'the database is not reachable' });
    }
  });
};
