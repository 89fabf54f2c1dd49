/**
 * POST /par, pushed authorization requests (RFC 9126 §2, docs/modern-oauth.md):
 * the app authenticates as at /token, the request is checked as /authorize
 * would check it, and the answer is a single-use `request_uri` for 60 seconds.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Context } from '../../context.js';
import { RedirectableError, validateAuthorizationRequest } from '../../oauth/authorize/request.js';
import { authenticateClient, clientCredentials } from '../../oauth/client-auth.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { PAR_TTL_SECONDS, PushedRequests, pushedParams } from '../../oauth/par.js';
import { edgeParams, PARAMS } from '../edge-params.js';

export const parRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const pushed = new PushedRequests(ctx.storage, ctx.clock);
  app.post('/par', async (request, reply) => {
    const params = edgeParams(PARAMS.par, request.body);
    const client = await authenticateClient(ctx, clientCredentials(request.headers.authorization, params));
    // RFC 9126 §2.1: a request_uri inside a pushed request is refused; so is a client_id of another app.
    if (params.request_uri !== undefined) throw new InvalidRequest('request_uri cannot be pushed');
    if (params.request !== undefined) throw new InvalidRequest('request objects are not supported: push the parameters themselves');
    if (params.client_id !== undefined && params.client_id !== client.app.clientId) throw new InvalidRequest('client_id does not match the authenticated client');
    const kept = { ...pushedParams(params), client_id: client.app.clientId };
    try {
      await validateAuthorizationRequest(ctx.storage, kept, ctx.config.issuer, { pushed: true });
    } catch (err) {
      // What /authorize would redirect or show is answered here as JSON (RFC 9126 §2.3).
      if (err instanceof RedirectableError) throw err.error;
      throw err;
    }
    const requestUri = await pushed.push(client.app, kept);
    return reply.code(201).header('Cache-Control', 'no-store').send({ request_uri: requestUri, expires_in: PAR_TTL_SECONDS });
  });
};
