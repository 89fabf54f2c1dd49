/**
 * GET /sdk/<file>: the instant-login SDK (docs/protocol.md §8) and its source maps.
 * `/sdk/suggest.js` and `/sdk/suggest-token.js` are the addresses sites
 * include: cached for a day and revalidated by ETag, so a new Gatehouse
 * reaches them soon. `/sdk/v/<version>/<file>` never changes and is cached
 * for a year (Gatehouse's own pages use it). Scripts may be loaded from any
 * site, with CORS for `crossorigin` script tags and subresource integrity.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { sdkFiles, sdkNotBuilt } from '../sdk-files.js';

const DAY = 24 * 60 * 60;

function send(request: FastifyRequest, reply: FastifyReply, name: string, cacheControl: string) {
  const sdk = sdkFiles();
  if (!sdk) return sdkNotBuilt(reply);
  const file = sdk.files.get(name);
  if (!file) return reply.code(404).send({ error: 'not_found', error_description: 'there is nothing at this address' });
  reply
    .header('ETag', file.etag)
    .header('Cache-Control', cacheControl)
    .header('Access-Control-Allow-Origin', '*')
    .header('Cross-Origin-Resource-Policy', 'cross-origin');
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.type(file.type).send(file.body);
}

export const sdkRoutes = (_ctx: Context): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { name: string } }>('/sdk/:name', (request, reply) =>
    send(request, reply, request.params.name, `public, max-age=${DAY}, stale-while-revalidate=${7 * DAY}`));

  app.get<{ Params: { version: string; name: string } }>('/sdk/v/:version/:name', (request, reply) => {
    if (request.params.version !== sdkFiles()?.version) {
      return reply.code(404).send({ error: 'not_found', error_description: 'no such version of the SDK: use its unversioned address under /sdk/' });
    }
    return send(request, reply, request.params.name, `public, max-age=${365 * DAY}, immutable`);
  });
};
