/**
 * /logout: signing out of Gatehouse, also at an app's request (OpenID Connect
 * RP-Initiated Logout 1.0). The browser returns to the app only to a
 * post-logout redirect URI registered for it, checked exactly; anything else
 * ends on Gatehouse's own page (no open redirect).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isClientId } from '../../apps/apps.js';
import type { Context } from '../../context.js';
import { InvalidRequest, type OAuthError } from '../../oauth/errors.js';
import { logoutPage, messagePage } from '../../pages/account-pages.js';
import type { AppRecord } from '../../storage/storage.js';
import type { ClientId } from '../../types.js';
import { csrfToken, csrfValid } from '../csrf.js';
import { singleValued, type Params } from '../params.js';
import { messagesFor, sendErrorPage, sendPage } from '../render.js';
import { currentSession, signOut } from '../session.js';

interface LogoutRequest {
  app: AppRecord | null;
  /** Verified: registered for `app`. */
  redirectUri: string | null;
  state: string | null;
}

export const logoutRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  /** Validates the app's part of the request; throws for anything that must not redirect. */
  async function parseRequest(p: Params): Promise<LogoutRequest> {
    let clientId = p.client_id;
    if (p.id_token_hint) {
      const claims = await ctx.keys.verifyOwnJwt(p.id_token_hint, ctx.config.issuer);
      if (!claims) throw new InvalidRequest('id_token_hint is not an id_token issued by this server');
      const aud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
      if (clientId !== undefined && clientId !== aud) throw new InvalidRequest('client_id does not match the id_token_hint');
      clientId = aud;
    }
    const appRecord = clientId && isClientId(clientId) ? await ctx.storage.findApp(clientId as ClientId) : null;
    if (clientId !== undefined && !appRecord) throw new InvalidRequest('there is no app with this client_id');
    const uri = p.post_logout_redirect_uri;
    if (uri !== undefined) {
      if (!appRecord) throw new InvalidRequest('post_logout_redirect_uri needs id_token_hint or client_id');
      if (!appRecord.postLogoutRedirectUris.includes(uri)) throw new InvalidRequest('post_logout_redirect_uri is not registered for this app');
    }
    return { app: appRecord, redirectUri: uri ?? null, state: p.state?.slice(0, 1024) ?? null };
  }

  function finish(request: FastifyRequest, reply: FastifyReply, req: LogoutRequest) {
    if (req.redirectUri !== null) {
      const url = new URL(req.redirectUri);
      if (req.state !== null) url.searchParams.set('state', req.state);
      return reply.redirect(url.toString(), request.method === 'POST' ? 303 : 302);
    }
    const msgs = messagesFor(request);
    return sendPage(reply, messagePage(msgs, msgs.signedOutTitle, msgs.signedOutText));
  }

  async function handle(request: FastifyRequest, reply: FastifyReply, source: unknown, post: boolean) {
    let req: LogoutRequest;
    let p: Params;
    try {
      p = singleValued(source);
      req = await parseRequest(p);
    } catch (err) {
      return sendErrorPage(request, reply, err as OAuthError);
    }
    const signedIn = await currentSession(ctx, request);
    if (!signedIn) return finish(request, reply, req);
    if (!post) {
      // A state-changing action needs the user's click (and CSRF protection), not just a link.
      const hidden: Record<string, string> = {};
      for (const name of ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state']) if (p[name] !== undefined) hidden[name] = p[name]!;
      const user = { displayName: signedIn.user.displayName ?? signedIn.user.login, login: signedIn.user.login };
      return sendPage(reply, logoutPage(messagesFor(request), csrfToken(ctx, request, reply), user, req.app?.name ?? null, hidden));
    }
    if (!csrfValid(ctx, request, p.csrf)) return sendErrorPage(request, reply, new InvalidRequest(messagesFor(request).csrfFailed), 403);
    await signOut(ctx, request, reply);
    await ctx.audit.record({ action: 'sign_out', actor: { type: 'user', id: signedIn.user.id }, clientId: req.app?.clientId ?? null, ip: request.ip });
    return finish(request, reply, req);
  }

  app.get('/logout', (request, reply) => handle(request, reply, request.query, false));
  app.post('/logout', (request, reply) => handle(request, reply, request.body, true));
};
