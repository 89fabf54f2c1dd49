/** POST /token (docs/protocol.md §4), with DPoP proofs (RFC 9449 §5, docs/modern-oauth.md). */
import type { FastifyPluginAsync } from 'fastify';
import type { Context } from '../../context.js';
import { handleTokenRequest } from '../../oauth/token-endpoint.js';
import { answerCorsFor } from '../cors.js';
import { edgeParams, PARAMS } from '../edge-params.js';
import type { HotFormRoute } from '../hot-lane.js';

/** RFC 6749 §5.1: a token answer is never stored by a cache. */
const TOKEN_ANSWER_HEADERS: Array<[string, string]> = [['cache-control', 'no-store'], ['pragma', 'no-cache']];

export const tokenRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const htu = `${ctx.config.issuer}/token`;
  app.post('/token', async (request, reply) => {
    const params = edgeParams(PARAMS.token, request.body);
    const proof = request.headers.dpop;
    let dpopJkt: string | null = null;
    if (proof !== undefined) {
      // Every answer to a DPoP client carries the nonce its next proof needs (RFC 9449 §8.2).
      reply.header('DPoP-Nonce', ctx.dpop.nonce());
      dpopJkt = (await ctx.dpop.check(Array.isArray(proof) ? proof.join(',') : proof, { method: 'POST', url: htu, requireNonce: true })).jkt;
    }
    const response = await handleTokenRequest(ctx, params, request.headers.authorization, { ip: request.ip, dpopJkt, onClient: (client) => answerCorsFor(request, client) });
    for (const [name, value] of TOKEN_ANSWER_HEADERS) reply.header(name, value);
    return reply.send(response);
  });
};

/** `POST /token` with a form and no DPoP proof, for the hot lane (hot-lane.ts); a proof's nonce and check are Fastify's. */
export const hotToken = (ctx: Context): HotFormRoute => ({
  path: '/token',
  cors: true,
  takes: (headers) => headers.dpop === undefined,
  answerHeaders: TOKEN_ANSWER_HEADERS,
  answer: async (authorization, form, meta) => handleTokenRequest(ctx, edgeParams(PARAMS.token, form), authorization, meta),
});
