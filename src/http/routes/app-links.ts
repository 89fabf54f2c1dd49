/** GET /.well-known/assetlinks.json and /.well-known/apple-app-site-association (SPEC §9): public, JSON, no auth. */
import type { FastifyPluginAsync } from 'fastify';
import { appleAppSiteAssociation, assetLinks } from '../../apps/app-links.js';
import type { Context } from '../../context.js';

export const appLinkRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  // Android and Apple fetch these from their own servers; a few minutes of caching keeps that cheap.
  const cache = 'public, max-age=300';
  app.get('/.well-known/assetlinks.json', async (_request, reply) =>
    reply.header('Cache-Control', cache).type('application/json').send(assetLinks(await ctx.storage.listApps())));
  // Apple requires application/json and no redirect, at exactly this name (no .json).
  app.get('/.well-known/apple-app-site-association', async (_request, reply) =>
    reply.header('Cache-Control', cache).type('application/json').send(appleAppSiteAssociation(await ctx.storage.listApps())));
};
