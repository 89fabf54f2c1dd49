/**
 * GET /.well-known/assetlinks.json and /.well-known/apple-app-site-association
 * (mobile App Links): public, JSON, no auth. What they list depends on the host asked
 * (apps/app-links.ts): an app's own `yx<client_id>.<issuer host>` lists that
 * app; the issuer host, and any other, the first-party apps only.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { appleAppSiteAssociation, appsForHost, assetLinks, perAppHostClientId } from '../../apps/app-links.js';
import type { Context } from '../../context.js';
import type { AppRecord } from '../../storage/storage.js';

export const appLinkRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  // Android and Apple fetch these from their own servers; a few minutes of caching keeps that cheap.
  const cache = 'public, max-age=300';

  async function listed(request: FastifyRequest): Promise<AppRecord[]> {
    const clientId = perAppHostClientId(request.host, ctx.config.issuer);
    if (clientId === null) return appsForHost(await ctx.storage.listApps(), null);
    const own = await ctx.storage.findApp(clientId);
    return own ? appsForHost([own], clientId) : [];
  }

  app.get('/.well-known/assetlinks.json', async (request, reply) =>
    reply.header('Cache-Control', cache).type('application/json').send(assetLinks(await listed(request))));
  // Apple requires application/json and no redirect, at exactly this name (no .json).
  app.get('/.well-known/apple-app-site-association', async (request, reply) =>
    reply.header('Cache-Control', cache).type('application/json').send(appleAppSiteAssociation(await listed(request))));
};
