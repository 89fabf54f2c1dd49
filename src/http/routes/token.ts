/** POST /token (docs/protocol.md §4). */
import type { FastifyPluginAsync } from 'fastify';
import type { Context } from '../../context.js';
import { handleTokenRequest } from '../../oauth/token-endpoint.js';
import { edgeParams, PARAMS } from '../edge-params.js';

export const tokenRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  app.post('/token', async (request, reply) => {
    const params = edgeParams(PARAMS.token, request.body);
    const response = await handleTokenRequest(ctx, params, request.headers.authorization, { ip: request.ip });
    return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send(response);
  });
};
