/**
 * Revocation: Yandex's `POST /revoke_token` (docs/protocol.md §6.1) and RFC 7009's
 * `POST /revoke`. Either revokes the token, its refresh token and every other
 * token of the same authorization. Another app's token is answered like an
 * unknown one and left alone.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Context } from '../../context.js';
import { authenticateClient, clientCredentials } from '../../oauth/client-auth.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { MAX_TOKEN_LENGTH, tokenKey } from '../../oauth/tokens.js';
import type { AppRecord } from '../../storage/storage.js';
import { answerCorsFor } from '../cors.js';
import { edgeParams, PARAMS } from '../edge-params.js';

async function revoke(ctx: Context, app: AppRecord, raw: string, ip: string): Promise<void> {
  const token = raw.length <= MAX_TOKEN_LENGTH ? await ctx.storage.findToken(tokenKey(raw)) : null;
  // RFC 7009 §2.2: an unknown or already invalid token is answered as success.
  if (!token) return;
  // RFC 7009 §2.1 would let the server refuse another app's token; answering exactly as for an
  // unknown token (§2.2), with no extra work that could show in the timing, tells the caller
  // nothing about whether it exists.
  if (token.clientId !== app.clientId) return;
  if (token.revokedAt !== null) return;
  await ctx.storage.atomically(async () => {
    await ctx.storage.revokeFamily(token.familyId, ctx.clock());
    await ctx.audit.record({ action: 'token_revoked', actor: { type: 'app', id: app.clientId }, userId: token.userId, ip, details: { type: token.type, family: token.familyId } });
  });
}

export const revokeRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  app.post('/revoke_token', async (request, reply) => {
    const params = edgeParams(PARAMS.revokeToken, request.body);
    const client = await authenticateClient(ctx, clientCredentials(request.headers.authorization, params));
    answerCorsFor(request, client.app);
    if (!params.access_token) throw new InvalidRequest('access_token is required');
    await revoke(ctx, client.app, params.access_token, request.ip);
    return reply.header('Cache-Control', 'no-store').send({ status: 'ok' });
  });

  app.post('/revoke', async (request, reply) => {
    const params = edgeParams(PARAMS.revoke, request.body);
    const client = await authenticateClient(ctx, clientCredentials(request.headers.authorization, params));
    answerCorsFor(request, client.app);
    if (!params.token) throw new InvalidRequest('token is required');
    await revoke(ctx, client.app, params.token, request.ip);
    return reply.code(200).header('Cache-Control', 'no-store').send();
  });
};
