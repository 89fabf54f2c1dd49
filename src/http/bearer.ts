/**
 * Finding the access token in a resource request: `Authorization: OAuth …`
 * (Yandex), `Authorization: Bearer …` (RFC 6750 §2.1), or an `oauth_token`
 * parameter (Yandex; passport-yandex and the Yandex mobile SDKs send it).
 * More than one way at once is refused (RFC 6750 §2).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest, type OAuthError } from '../oauth/errors.js';
import type { Params } from './params.js';
import { sendOAuthError } from './render.js';

/**
 * The `WWW-Authenticate` challenges of a protected resource (RFC 6750 §3),
 * made only of fixed text: a header value built from a request could carry
 * CR/LF (a failed response, or a header of the attacker's) or quotes. The JSON
 * body carries the error's own description.
 */
const CHALLENGES = {
  none: 'Bearer realm="gatehouse"',
  invalid_request: 'Bearer realm="gatehouse", error="invalid_request", error_description="the request is malformed"',
  invalid_token: 'Bearer realm="gatehouse", error="invalid_token", error_description="the access token is missing, unknown, expired or revoked"',
} as const;

/** Answers a resource request with an OAuth error and its challenge: bare when no credentials came at all (RFC 6750 §3.1). */
export function sendBearerError(reply: FastifyReply, error: OAuthError, options: { credentialsSent: boolean }): FastifyReply {
  const challenge = !options.credentialsSent ? CHALLENGES.none : error.code === 'invalid_request' ? CHALLENGES.invalid_request : CHALLENGES.invalid_token;
  return sendOAuthError(reply.header('WWW-Authenticate', challenge), error);
}

export function extractAccessToken(request: FastifyRequest, params: Params): string | null {
  const found: string[] = [];
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^(?:OAuth|Bearer) +([\x21-\x7e]+) *$/i.exec(header);
    if (!match) throw new InvalidRequest('the Authorization header must be "OAuth <token>" or "Bearer <token>"');
    found.push(match[1]!);
  }
  if (params.oauth_token !== undefined) found.push(params.oauth_token);
  if (params.access_token !== undefined) found.push(params.access_token);
  if (found.length > 1) throw new InvalidRequest('send the access token one way only');
  return found[0] ?? null;
}
