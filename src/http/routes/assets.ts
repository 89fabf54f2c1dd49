/** Static assets of the pages: one stylesheet and the logo, no external files (docs/protocol.md §10). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { Context } from '../../context.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import { organisationCss } from '../../organisation/branding.js';
import { CONFIGURED_LOGO_PATH } from '../../organisation/organisation.js';

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

export const assetRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const assets = new Map<string, Asset>([
    ['gatehouse.css', load('gatehouse.css', 'text/css; charset=utf-8')],
    ['suggest.css', load('suggest.css', 'text/css; charset=utf-8')],
    ['logo.svg', load('logo.svg', 'image/svg+xml')],
    ['form-post.js', load('form-post.js', 'text/javascript; charset=utf-8')],
    ['verification-code.js', load('verification-code.js', 'text/javascript; charset=utf-8')],
    ['pages.js', load('pages.js', 'text/javascript; charset=utf-8')],
    ['decision.js', load('decision.js', 'text/javascript; charset=utf-8')],
  ]);
  // The brand colour as the pages' accent (src/organisation/branding.ts); pages link it with the colour in the query.
  app.get('/assets/organisation.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=300').send(organisationCss(await ctx.organisation.look())));

  // The logo file named by GATEHOUSE_ORG_LOGO; an SVG is sandboxed like every picture.
  app.get(CONFIGURED_LOGO_PATH, async (_request, reply) => {
    const file = ctx.organisation.logoFile;
    if (!file) return reply.code(404).send({ error: 'not_found', error_description: 'there is nothing at this address' });
    return reply.type(file.type).header('Cache-Control', 'public, max-age=300').header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox").send(file.body);
  });

  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return reply.code(404).send({ error: 'not_found', error_description: 'there is nothing at this address' });
    reply.header('ETag', asset.etag).header('Cache-Control', 'public, max-age=3600');
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });
};
