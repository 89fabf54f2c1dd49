/**
 * The instant-login frames and their personalisation (docs/protocol.md §8):
 * - GET /suggest/button, GET /suggest: the button and the widget, inside a
 *   site's page, embeddable only by the app's suggest hostnames;
 * - POST /suggest/grant: Gatehouse's page in the pop-up (first party, signed
 *   in) asks for a personalisation grant for the frame that opened it;
 * - POST /suggest/keep: the frame has the grant stored as its partitioned
 *   cookie, which later visits to the same site send back.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isClientId } from '../../apps/apps.js';
import type { Context } from '../../context.js';
import { randomToken } from '../../crypto/random.js';
import { AUTHORIZE_PARAMS } from '../../oauth/authorize/request.js';
import { catalogue } from '../../pages/messages/index.js';
import { buttonFrame, errorFrame, frameIdentity, widgetFrame, type FrameConfig } from '../../pages/suggest-frames.js';
import type { AppRecord, UserRecord } from '../../storage/storage.js';
import { parseButtonOptions } from '../../suggest/button-options.js';
import { checkFrameRequest, frameCsp, pageOrigin } from '../../suggest/frame-policy.js';
import { mayGreet, mintSuggestGrant, userOfGrant } from '../../suggest/grants.js';
import type { ClientId } from '../../types.js';
import { csrfValid } from '../csrf.js';
import { lenientParams, singleValued, type Params } from '../params.js';
import { messagesFor, sendPage } from '../render.js';
import { sdkFiles, sdkNotBuilt } from '../sdk-files.js';
import { currentSession } from '../session.js';
import { authorizeUrl } from './authorize.js';

/** One partitioned cookie per app: the frames of several apps on one site keep their own grants. */
const grantCookie = (clientId: string) => `gatehouse_suggest_${clientId}`;

/**
 * CHIPS (`Partitioned`): the browser keeps the cookie under the embedding
 * site and sends it only to Gatehouse's frames on that site. Partitioned
 * cookies must be Secure; browsers accept that on https and on localhost.
 */
const grantCookieOptions = (maxAgeSeconds?: number) => ({
  path: '/suggest',
  httpOnly: true,
  secure: true,
  sameSite: 'none' as const,
  partitioned: true,
  ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
});

const CHANNEL = /^[A-Za-z0-9_-]{1,64}$/;

export const suggestRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const issuerOrigin = new URL(ctx.config.issuer).origin;

  async function findApp(clientId: string | undefined): Promise<AppRecord | null> {
    return clientId && isClientId(clientId) ? ctx.storage.findApp(clientId as ClientId) : null;
  }

  /** The pop-up's address: the site's OAuth parameters, rendered for a pop-up, in the button's language. */
  function popupUrl(p: Params, appRecord: AppRecord, lang: string): string {
    const q: Record<string, string> = {};
    for (const name of AUTHORIZE_PARAMS) if (p[name] !== undefined) q[name] = p[name]!;
    q.display = 'popup';
    // docs/protocol.md §8: redirect_uri defaults to the app's first registered one.
    if (!q.redirect_uri && appRecord.redirectUris[0]) q.redirect_uri = appRecord.redirectUris[0];
    if (!q.ui_locales) q.ui_locales = lang;
    return authorizeUrl(q);
  }

  /**
   * Who the frame may greet: the user its partitioned grant names, else the
   * session where the browser sends it (a same-site page) — either way only
   * when mayGreet allows it.
   */
  async function frameUser(request: FastifyRequest, reply: FastifyReply, appRecord: AppRecord, origin: string): Promise<UserRecord | null> {
    const name = grantCookie(appRecord.clientId);
    const grant = request.cookies[name];
    if (grant) {
      const found = await userOfGrant(ctx.storage, ctx.clock, grant, appRecord, origin);
      if (found) return found.user;
      // Signed out, revoked or expired: the frame forgets it.
      reply.clearCookie(name, grantCookieOptions());
    }
    const signedIn = await currentSession(ctx, request);
    return signedIn && (await mayGreet(ctx.storage, signedIn.user, appRecord, origin)) ? signedIn.user : null;
  }

  async function frame(request: FastifyRequest, reply: FastifyReply, kind: 'button' | 'widget') {
    const sdk = sdkFiles();
    if (!sdk) return sdkNotBuilt(reply);
    const p = lenientParams(request.query);
    const msgs = catalogue(p.language) ?? messagesFor(request);
    const channel = CHANNEL.test(p.sid ?? '') ? p.sid! : '';
    const script = sdk.url('frame.js');
    const appRecord = await findApp(p.client_id);

    // A preview on Gatehouse's own button generator (docs/protocol.md §8.1): only Gatehouse may frame it, and it does nothing.
    if (p.preview === '1') {
      const signedIn = await currentSession(ctx, request);
      const who = signedIn ? frameIdentity(signedIn.user) : null;
      const config: FrameConfig = { parentOrigin: issuerOrigin, channel, clientId: appRecord?.clientId ?? '', authorize: '/', preview: true };
      if (kind === 'widget') {
        reply.header('Content-Security-Policy', frameCsp(["'self'"]));
        return sendPage(reply, widgetFrame({ msgs, appName: appRecord?.name ?? msgs.productName, who, config, script }));
      }
      const nonce = randomToken(16);
      reply.header('Content-Security-Policy', frameCsp(["'self'"], nonce));
      return sendPage(reply, buttonFrame({ msgs, options: parseButtonOptions(p), who, config, styleNonce: nonce, script }));
    }

    const check = checkFrameRequest(appRecord, p.location);
    if (!check.ok) {
      // An error says nothing secret, so any page may frame it and learn why it got no button.
      reply.header('Content-Security-Policy', frameCsp(['*']));
      return sendPage(reply, errorFrame(msgs, {
        code: check.code, description: check.description, parentOrigin: pageOrigin(p.location) ?? '*', channel, script,
      }));
    }
    const a = appRecord!;
    const user = await frameUser(request, reply, a, check.origin);
    const config: FrameConfig = { parentOrigin: check.origin, channel, clientId: a.clientId, authorize: popupUrl(p, a, msgs.lang) };
    const who = user ? frameIdentity(user) : null;
    if (kind === 'widget') {
      reply.header('Content-Security-Policy', frameCsp(a.suggestHostnames));
      return sendPage(reply, widgetFrame({ msgs, appName: a.name, who, config, script }));
    }
    const nonce = randomToken(16);
    reply.header('Content-Security-Policy', frameCsp(a.suggestHostnames, nonce));
    return sendPage(reply, buttonFrame({ msgs, options: parseButtonOptions(p), who, config, styleNonce: nonce, script }));
  }

  app.get('/suggest/button', (request, reply) => frame(request, reply, 'button'));
  app.get('/suggest', (request, reply) => frame(request, reply, 'widget'));

  const refuse = (reply: FastifyReply, status: number, error: string, description: string) =>
    reply.code(status).send({ error, error_description: description });

  app.post('/suggest/grant', async (request, reply) => {
    let form: Params;
    try {
      form = singleValued(request.body);
    } catch {
      return refuse(reply, 400, 'invalid_request', 'a parameter was repeated');
    }
    if (!csrfValid(ctx, request, form.csrf)) return refuse(reply, 403, 'invalid_request', 'the CSRF token is missing or wrong');
    const signedIn = await currentSession(ctx, request);
    if (!signedIn) return refuse(reply, 401, 'login_required', 'sign in first');
    const appRecord = await findApp(form.client_id);
    const origin = pageOrigin(form.location);
    if (!appRecord || !origin) return refuse(reply, 400, 'invalid_request', 'client_id and location must name an app and one of its sites');
    const minted = await mintSuggestGrant(ctx.storage, ctx.clock, { user: signedIn.user, session: signedIn.session, app: appRecord, origin });
    if (!minted) return refuse(reply, 403, 'access_denied', 'this app may not be personalised on that site for this user');
    return reply.send({ grant: minted.grant, expires_at: minted.expiresAt });
  });

  app.post('/suggest/keep', async (request, reply) => {
    // Only Gatehouse's own frame stores grants: a fetch from its origin.
    if (request.headers.origin !== issuerOrigin) return refuse(reply, 403, 'invalid_request', 'only Gatehouse’s frame may store a grant');
    let form: Params;
    try {
      form = singleValued(request.body);
    } catch {
      return refuse(reply, 400, 'invalid_request', 'a parameter was repeated');
    }
    const appRecord = await findApp(form.client_id);
    const origin = pageOrigin(form.location);
    const found = appRecord && origin && form.grant ? await userOfGrant(ctx.storage, ctx.clock, form.grant, appRecord, origin) : null;
    if (!found) return refuse(reply, 400, 'invalid_grant', 'the grant is unknown, expired or revoked');
    reply.setCookie(grantCookie(appRecord!.clientId), form.grant!, grantCookieOptions(Math.floor((found.expiresAt - ctx.clock()) / 1000)));
    return reply.code(204).send();
  });
};
