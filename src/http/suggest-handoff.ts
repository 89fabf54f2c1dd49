/**
 * The end of an authorization in the instant-login pop-up (docs/protocol.md §8): instead
 * of redirecting at once, Gatehouse shows a moment's page that hands the
 * frame which opened the pop-up a personalisation grant, then goes on to the
 * site's token page with the response. Every other authorization is sent as
 * usual.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import type { AuthorizationRequest } from '../oauth/authorize/request.js';
import { responseUrl, type AuthorizationResponse } from '../oauth/redirect.js';
import { handoffPage } from '../pages/suggest-handoff-page.js';
import { sendAuthorizationResponse } from './authorization-response.js';
import { csrfToken } from './csrf.js';
import { messagesFor, sendPage } from './render.js';
import { sdkFiles } from './sdk-files.js';

const HANDOFF_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function sendCompletedAuthorization(
  ctx: Context, request: FastifyRequest, reply: FastifyReply, req: AuthorizationRequest, response: AuthorizationResponse,
): FastifyReply {
  const sdk = sdkFiles();
  const instantLogin = req.display === 'popup' && req.app.suggestHostnames.length > 0 && !req.toVerificationPage;
  if (!instantLogin || req.responseMode === 'form_post' || !sdk) return sendAuthorizationResponse(request, reply, response);
  reply.header('Content-Security-Policy', HANDOFF_CSP);
  return sendPage(reply, handoffPage({
    msgs: messagesFor(request),
    appName: req.app.name,
    redirect: responseUrl(response),
    csrf: csrfToken(ctx, request, reply),
    clientId: req.app.clientId,
    script: sdk.url('handoff.js'),
  }));
}
