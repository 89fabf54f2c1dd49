/**
 * Finding the access token in a resource request: `Authorization: OAuth …`
 * (Yandex), `Authorization: Bearer …` (RFC 6750 §2.1), or an `oauth_token`
 * parameter (Yandex; passport-yandex and the Yandex mobile SDKs send it).
 * More than one way at once is refused (RFC 6750 §2).
 */
import type { FastifyRequest } from 'fastify';
import { InvalidRequest } from '../oauth/errors.js';
import type { Params } from './params.js';

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
