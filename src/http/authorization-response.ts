/** Sends an authorization response the way its request asked: redirect (query or fragment) or form post. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { responseUrl, type AuthorizationResponse } from '../oauth/redirect.js';
import { formPostPage } from '../pages/form-post-page.js';
import { messagesFor, sendPage } from './render.js';

export function sendAuthorizationResponse(request: FastifyRequest, reply: FastifyReply, response: AuthorizationResponse): FastifyReply {
  if (response.target.responseMode === 'form_post') {
    return sendPage(reply, formPostPage(messagesFor(request), response.target.redirectUri, response.params));
  }
  // 303 after a form post, so the browser follows with GET (RFC 9110 §15.4.4).
  return reply.redirect(responseUrl(response), request.method === 'POST' ? 303 : 302);
}
