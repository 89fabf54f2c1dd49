/**
 * GET /button-generator (docs/protocol.md §8.1): the instant-login button's generator.
 * A signed-in developer picks one of their apps; anyone else types a
 * client_id. The query carries the choice, so the page works without
 * JavaScript too.
 */
import type { FastifyPluginAsync } from 'fastify';
import { mayUseConsole } from '../../apps/console.js';
import { isClientId } from '../../apps/apps.js';
import type { Context } from '../../context.js';
import { buttonGeneratorPage, type GeneratorApp } from '../../pages/button-generator-page.js';
import { BUTTON_LANGS, parseButtonOptions } from '../../suggest/button-options.js';
import { csrfToken } from '../csrf.js';
import { lenientParams } from '../params.js';
import { messagesFor, sendPage } from '../render.js';
import { sdkFiles, sdkNotBuilt } from '../sdk-files.js';
import { currentSession } from '../session.js';

/** The page frames Gatehouse's own button (frame-src 'self'); nothing else changes from the default policy. */
const GENERATOR_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const buttonGeneratorRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  app.get('/button-generator', async (request, reply) => {
    const sdk = sdkFiles();
    if (!sdk) return sdkNotBuilt(reply);
    const p = lenientParams(request.query);
    const msgs = messagesFor(request);
    const signedIn = await currentSession(ctx, request);
    const apps: GeneratorApp[] | null = signedIn
      ? (await ctx.storage.listApps({ ownerId: signedIn.user.id })).map((a) => ({
          clientId: a.clientId, name: a.name, redirectUri: a.redirectUris[0] ?? null, hostnames: a.suggestHostnames,
        }))
      : null;
    const asked = p.client_id && isClientId(p.client_id) ? p.client_id : '';
    const clientId = apps ? (apps.find((a) => a.clientId === asked) ?? apps[0])?.clientId ?? '' : asked;
    const lang = (BUTTON_LANGS as readonly string[]).includes(p.language ?? '') ? p.language! : msgs.lang;
    reply.header('Content-Security-Policy', GENERATOR_CSP);
    return sendPage(reply, buttonGeneratorPage({
      msgs,
      issuer: ctx.config.issuer,
      apps,
      choice: { clientId, kind: p.kind === 'widget' ? 'widget' : 'button', button: parseButtonOptions(p), lang },
      nav: signedIn
        ? { current: null, csrf: csrfToken(ctx, request, reply), showConsole: mayUseConsole(signedIn.user, ctx.config), showAdmin: signedIn.user.isAdmin }
        : null,
      here: request.url,
      script: sdk.url('button-generator.js'),
    }));
  });
};
