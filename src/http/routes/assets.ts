/** Static assets of the pages: one stylesheet and the logo, no external files (docs/protocol.md §10). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { Context } from '../../context.js';
import { PACKAGE_ROOT } from '../../package-root.js';

const ASSETS = path.join(PACKAGE_ROOT, 'assets');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function load(name: string, type: string): Asset {
  const body = readFileSync(path.join(ASSETS, name));
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

export const assetRoutes = (_ctx: Context): FastifyPluginAsync => async (app) => {
  const assets = new Map<string, Asset>([
    ['gatehouse.css', load('gatehouse.css', 'text/css; charset=utf-8')],
    ['suggest.css', load('suggest.css', 'text/css; charset=utf-8')],
    ['logo.svg', load('logo.svg', 'image/svg+xml')],
    ['form-post.js', load('form-post.js', 'text/javascript; charset=utf-8')],
    ['verification-code.js', load('verification-code.js', 'text/javascript; charset=utf-8')],
    ['pages.js', load('pages.js', 'text/javascript; charset=utf-8')],
    ['decision.js', load('decision.js', 'text/javascript; charset=utf-8')],
  ]);
  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return reply.code(404).send({ error: 'not_found', error_description: 'there is nothing at this address' });
    reply.header('ETag', asset.etag).header('Cache-Control', 'public, max-age=3600');
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });
};
