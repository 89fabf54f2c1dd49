/**
 * GET /authorize and the consent decision POSTed back to it (docs/protocol.md §3).
 * Steps: validate the request (page for client/redirect errors, redirect for
 * the rest) → sign in → consent unless already given → code → redirect.
 *
 * A request pushed to /par (RFC 9126) arrives as `client_id` and
 * `request_uri`: its parameters come only from what was pushed, and travel
 * through sign-in and consent as a fresh single-use `request_uri`
 * (oauth/par.ts), never as parameters.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { completeAuthorization, consentState, rememberConsent } from '../../oauth/authorize/decision.js';
import {
  AUTHORIZE_PARAMS, RedirectableError, validateAuthorizationRequest, type AuthorizationRequest,
} from '../../oauth/authorize/request.js';
import { hasSecondFactor, secondFactorsOf } from '../../accounts/second-factors.js';
import { noSecondFactorReason, unmetTwoStepDemand, type TwoStepDemand } from '../../oauth/authorize/two-step-demand.js';
import { AccessDenied, ConsentRequired, InteractionRequired, InvalidRequest, LoginRequired, OAuthError, UntrustedRedirectError } from '../../oauth/errors.js';
import { errorResponse, type AuthorizationResponse } from '../../oauth/redirect.js';
import { PushedRequests } from '../../oauth/par.js';
import { sendAuthorizationResponse } from '../authorization-response.js';
import { sendCompletedAuthorization } from '../suggest-handoff.js';
import { consentPage, siteOf } from '../../pages/consent-page.js';
import { csrfToken, csrfValid } from '../csrf.js';
import { singleValued, type Params } from '../params.js';
import { messagesFor, sendErrorPage, sendPage } from '../render.js';
import { twoStepUrl } from '../pending-sign-in.js';
import { currentSession, type SignedIn } from '../session.js';

/** The request's own parameters, in a canonical order, for the consent form and the sign-in round trip. */
function requestParams(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of AUTHORIZE_PARAMS) if (params[name] !== undefined) out[name] = params[name]!;
  return out;
}

export function authorizeUrl(params: Record<string, string>): string {
  return `/authorize?${new URLSearchParams(params).toString()}`;
}

export const authorizeRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const completion = { storage: ctx.storage, clock: ctx.clock, issuer: ctx.config.issuer, codeTtlSeconds: ctx.config.codeTtlSeconds, tokens: ctx.tokens, idTokens: ctx.idTokens };

  const pushed = new PushedRequests(ctx.storage, ctx.clock);

  /**
   * The request's parameters: those sent, or those pushed to /par when a
   * `request_uri` is sent (used up here). Null when the reply is sent (an
   * unknown, used, expired or foreign request_uri: an error page).
   */
  async function expand(request: FastifyRequest, reply: FastifyReply, params: Params): Promise<{ params: Record<string, string>; viaPar: boolean } | null> {
    if (params.request_uri === undefined) return { params: requestParams(params), viaPar: false };
    try {
      return { params: await pushed.take(params.request_uri, params.client_id), viaPar: true };
    } catch (err) {
      if (err instanceof UntrustedRedirectError) {
        sendErrorPage(request, reply, err);
        return null;
      }
      throw err;
    }
  }

  /** What the browser carries to the next step: the parameters, or for a pushed request a fresh request_uri. */
  const carry = async (req: AuthorizationRequest, viaPar: boolean, params: Record<string, string>) => (viaPar ? pushed.continueRequest(req.app, params) : params);

  /** Validates, or answers with the error page or error redirect; null means the reply is sent. */
  async function validate(request: FastifyRequest, reply: FastifyReply, params: Params, viaPar = false): Promise<AuthorizationRequest | null> {
    try {
      return await validateAuthorizationRequest(ctx.storage, params, ctx.config.issuer, { pushed: viaPar });
    } catch (err) {
      if (err instanceof RedirectableError) {
        sendAuthorizationResponse(request, reply, errorResponse(err.target, ctx.config.issuer, err.error));
        return null;
      }
      if (err instanceof UntrustedRedirectError) {
        sendErrorPage(request, reply, err);
        return null;
      }
      throw err;
    }
  }

  /**
   * Sends the browser to sign in and come back. `reauthenticate` asks for a
   * fresh sign-in even with a session (prompt=login, select_account, max_age);
   * those prompts are dropped from the way back so the loop ends.
   */
  async function toLogin(reply: FastifyReply, params: Record<string, string>, req: AuthorizationRequest, status: 302 | 303, reauthenticate = false, viaPar = false) {
    const back = { ...params };
    const prompt = req.prompt.filter((p) => p !== 'login' && p !== 'select_account');
    if (prompt.length > 0) back.prompt = prompt.join(' ');
    else delete back.prompt;
    delete back.max_age;
    const query = new URLSearchParams({ return_to: authorizeUrl(await carry(req, viaPar, back)) });
    if (reauthenticate) query.set('switch', '1');
    if (req.loginHint) query.set('login_hint', req.loginHint);
    if (req.display === 'popup') query.set('display', 'popup');
    // OIDC Core §3.1.2.1: ui_locales is for every page of the request, the sign-in page first.
    if (req.uiLocales.length > 0) query.set('ui_locales', req.uiLocales.join(' '));
    return reply.redirect(`/login?${query.toString()}`, status);
  }

  /** Tokens handed out by /authorize itself (response_type=token) are issued tokens too. */
  async function auditImplicit(request: FastifyRequest, signedIn: SignedIn, req: AuthorizationRequest, response: AuthorizationResponse) {
    if (response.params.access_token === undefined) return;
    await ctx.audit.record({
      action: 'token_issued', actor: { type: 'user', id: signedIn.user.id }, clientId: req.app.clientId, ip: request.ip,
      details: { grant: 'implicit', scopes: (response.params.scope ?? '').split(' ').filter(Boolean) },
    });
  }

  function interactionRequired(request: FastifyRequest, reply: FastifyReply, req: AuthorizationRequest, error: OAuthError) {
    return sendAuthorizationResponse(request, reply, errorResponse(req, ctx.config.issuer, error));
  }

  /**
   * The app or `acr_values` asks for two steps and the session has one: the
   * second step when the user has a factor for it, else access_denied saying
   * why. Nothing is issued either way.
   */
  async function demandSecondStep(request: FastifyRequest, reply: FastifyReply, signedIn: SignedIn, req: AuthorizationRequest, params: Record<string, string>, demand: TwoStepDemand, status: 302 | 303, viaPar = false) {
    if (req.prompt.includes('none')) return interactionRequired(request, reply, req, new InteractionRequired('a two-step sign-in is required'));
    if (hasSecondFactor(await secondFactorsOf(ctx, signedIn.user.id))) return reply.redirect(twoStepUrl(authorizeUrl(await carry(req, viaPar, params)), req.display), status);
    const reason = noSecondFactorReason(demand, req.app.name);
    await ctx.audit.record({ action: 'consent', outcome: 'refused', actor: { type: 'user', id: signedIn.user.id }, clientId: req.app.clientId, ip: request.ip, details: { reason } });
    return sendAuthorizationResponse(request, reply, errorResponse(req, ctx.config.issuer, new AccessDenied(reason)));
  }

  async function showConsent(request: FastifyRequest, reply: FastifyReply, signedIn: SignedIn, req: AuthorizationRequest, params: Record<string, string>, preselected: string[], viaPar = false) {
    const msgs = messagesFor(request);
    const switchQuery = new URLSearchParams({ switch: '1', return_to: authorizeUrl(await carry(req, viaPar, { ...params, force_confirm: 'yes' })) });
    return sendPage(reply, consentPage({
      msgs,
      csrf: csrfToken(ctx, request, reply),
      appName: req.app.name,
      appIconUrl: req.app.iconUrl,
      user: { displayName: signedIn.user.displayName ?? signedIn.user.login, login: signedIn.user.login },
      scopes: req.scopes,
      optionalScopes: req.optionalScopes,
      preselected,
      deviceName: req.deviceName,
      params: await carry(req, viaPar, params),
      switchAccountHref: `/login?${switchQuery.toString()}`,
      display: req.display,
      site: req.toVerificationPage ? null : siteOf(req.redirectUri),
      developer: req.app.ownerId !== null ? (await ctx.storage.findUserById(req.app.ownerId))?.login ?? null : null,
    }));
  }

  app.get('/authorize', async (request, reply) => {
    let params: Params;
    try {
      params = singleValued(request.query);
    } catch (err) {
      // Duplicated parameters: the redirect URI itself is in doubt, so no redirect.
      return sendErrorPage(request, reply, err as OAuthError);
    }
    const expanded = await expand(request, reply, params);
    if (!expanded) return reply;
    const { viaPar, params: kept } = expanded;
    const req = await validate(request, reply, kept, viaPar);
    if (!req) return reply;
    const signedIn = await currentSession(ctx, request);
    // OIDC Core §3.1.2.1: prompt=login and select_account ask for the sign-in page; max_age for a recent sign-in.
    const tooOld = signedIn !== null && req.maxAge !== null && ctx.clock() - signedIn.session.authTime > req.maxAge * 1000;
    const reauthenticate = signedIn !== null && (tooOld || req.prompt.includes('login') || req.prompt.includes('select_account'));
    if (!signedIn || reauthenticate) {
      if (req.prompt.includes('none')) return interactionRequired(request, reply, req, new LoginRequired('the user is not signed in'));
      return toLogin(reply, kept, req, 302, reauthenticate, viaPar);
    }
    const demand = unmetTwoStepDemand(req.app, req.acrValues, signedIn.session.amr);
    if (demand) return demandSecondStep(request, reply, signedIn, req, kept, demand, 302, viaPar);
    const consent = await consentState(ctx.storage, signedIn.user, req);
    if (consent.required) {
      if (req.prompt.includes('none')) return interactionRequired(request, reply, req, new ConsentRequired('the user has not consented to these scopes'));
      return showConsent(request, reply, signedIn, req, kept, consent.previouslyGrantedOptional, viaPar);
    }
    const response = await completeAuthorization(completion, signedIn.user, req, [...req.scopes, ...consent.previouslyGrantedOptional], signedIn.session);
    await auditImplicit(request, signedIn, req, response);
    return sendCompletedAuthorization(ctx, request, reply, req, response);
  });

  app.post('/authorize', async (request, reply) => {
    let form: Params;
    try {
      form = singleValued(request.body, ['granted_optional']);
    } catch (err) {
      return sendErrorPage(request, reply, err as OAuthError);
    }
    if (!csrfValid(ctx, request, form.csrf)) {
      return sendErrorPage(request, reply, new InvalidRequest(messagesFor(request).csrfFailed), 403);
    }
    const expanded = await expand(request, reply, form);
    if (!expanded) return reply;
    const { viaPar, params: kept } = expanded;
    const req = await validate(request, reply, kept, viaPar);
    if (!req) return reply;
    const signedIn = await currentSession(ctx, request);
    if (!signedIn) return toLogin(reply, kept, req, 303, false, viaPar);
    // A consent form answered (or forged) with a one-factor session gets no further than the page would have.
    const demand = unmetTwoStepDemand(req.app, req.acrValues, signedIn.session.amr);
    if (demand) return demandSecondStep(request, reply, signedIn, req, kept, demand, 303, viaPar);
    const audited = { action: 'consent', actor: { type: 'user', id: signedIn.user.id }, clientId: req.app.clientId, ip: request.ip } as const;
    if (form.decision !== 'allow') {
      await ctx.audit.record({ ...audited, outcome: 'refused', details: { scopes: [...req.scopes, ...req.optionalScopes] } });
      return sendAuthorizationResponse(request, reply, errorResponse(req, ctx.config.issuer, new AccessDenied('the user declined')));
    }
    const ticked = (form.granted_optional ?? '').split(' ');
    const granted = [...req.scopes, ...req.optionalScopes.filter((s) => ticked.includes(s))];
    // The consent and its entry are one unit of work (webhooks announce it); what is issued on it comes after.
    await ctx.storage.atomically(async () => {
      await rememberConsent(ctx.storage, ctx.clock, signedIn.user, req, granted);
      await ctx.audit.record({ ...audited, details: { scopes: granted } });
    });
    const response = await completeAuthorization(completion, signedIn.user, req, granted, signedIn.session);
    await auditImplicit(request, signedIn, req, response);
    return sendCompletedAuthorization(ctx, request, reply, req, response);
  });
};
