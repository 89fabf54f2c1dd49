/**
 * Finding the access token in a resource request: `Authorization: OAuth …`
 * (Yandex), `Authorization: Bearer …` (RFC 6750 §2.1), `Authorization: DPoP …`
 * with a `DPoP` proof (RFC 9449 §7.1), or an `oauth_token` parameter (Yandex;
 * passport-yandex and the Yandex mobile SDKs send it). More than one way at
 * once is refused (RFC 6750 §2).
 *
 * A token bound to a DPoP key is accepted only with the DPoP scheme and a
 * proof of that key for this request; a bearer token costs nothing more than
 * it did before DPoP (`checkBinding` returns at once).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DPOP_ALGS, InvalidDpopProof, type DpopVerifier } from '../oauth/dpop.js';
import { InvalidRequest, InvalidToken, OAuthError } from '../oauth/errors.js';
import type { TokenRecord } from '../storage/storage.js';
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

const DPOP_ALGS_PARAM = `algs="${DPOP_ALGS.join(' ')}"`;
/** RFC 9449 §7.1: the challenges for a request that used, or should have used, DPoP; fixed text too. */
const DPOP_CHALLENGES = {
  invalid_token: `DPoP ${DPOP_ALGS_PARAM}, error="invalid_token", error_description="the access token is bound to a DPoP key: send it with the DPoP scheme and a proof"`,
  invalid_dpop_proof: `DPoP ${DPOP_ALGS_PARAM}, error="invalid_dpop_proof", error_description="the DPoP proof is missing or not valid for this request and token"`,
  invalid_request: `DPoP ${DPOP_ALGS_PARAM}, error="invalid_request", error_description="the request is malformed"`,
} as const;

/** An error about DPoP: answered with a DPoP challenge instead of a Bearer one. */
export class DpopChallenge extends OAuthError {
  constructor(readonly inner: OAuthError) {
    super(inner.code, inner.description, 401);
  }
}

/** Answers a resource request with an OAuth error and its challenge: bare when no credentials came at all (RFC 6750 §3.1). */
export function sendBearerError(reply: FastifyReply, error: OAuthError, options: { credentialsSent: boolean }): FastifyReply {
  if (error instanceof DpopChallenge) {
    const code = error.code === 'invalid_dpop_proof' || error.code === 'invalid_request' ? error.code : 'invalid_token';
    return sendOAuthError(reply.header('WWW-Authenticate', DPOP_CHALLENGES[code]), error);
  }
  const challenge = !options.credentialsSent ? CHALLENGES.none : error.code === 'invalid_request' ? CHALLENGES.invalid_request : CHALLENGES.invalid_token;
  return sendOAuthError(reply.header('WWW-Authenticate', challenge), error);
}

/** An Authorization header carrying an access token: the scheme, then the token. */
export const AUTHORIZATION = /^(OAuth|Bearer|DPoP) +([\x21-\x7e]+) *$/i;

export interface Credentials {
  token: string;
  /** Sent as `Authorization: DPoP …` (RFC 9449 §7.1). */
  dpop: boolean;
}

export function extractAccessToken(request: FastifyRequest, params: Params): Credentials | null {
  const found: string[] = [];
  let dpop = false;
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = AUTHORIZATION.exec(header);
    if (!match) throw new InvalidRequest('the Authorization header must be "OAuth <token>", "Bearer <token>" or "DPoP <token>"');
    dpop = match[1]!.toLowerCase() === 'dpop';
    found.push(match[2]!);
  }
  if (params.oauth_token !== undefined) found.push(params.oauth_token);
  if (params.access_token !== undefined) found.push(params.access_token);
  if (found.length > 1) throw new InvalidRequest('send the access token one way only');
  return found[0] === undefined ? null : { token: found[0], dpop };
}

/**
 * Whether a found token may be used with these credentials: a bound token
 * only with the DPoP scheme and a valid proof of its key for this request
 * (`htm`, `htu`, `ath`); an unbound one only without DPoP. Null when it may;
 * else the error to answer, with a DPoP challenge.
 */
export async function checkBinding(
  dpop: DpopVerifier, request: FastifyRequest, htu: string, credentials: Credentials, token: Pick<TokenRecord, 'jkt'>,
): Promise<OAuthError | null> {
  if (token.jkt === null && !credentials.dpop) return null;
  if (token.jkt === null) return new DpopChallenge(new InvalidToken('this access token is not bound to a DPoP key: send it as a Bearer token'));
  if (!credentials.dpop) return new DpopChallenge(new InvalidToken('this access token is bound to a DPoP key: send it with the DPoP scheme and a proof'));
  const proof = request.headers.dpop;
  if (proof === undefined) return new DpopChallenge(new InvalidDpopProof('a DPoP proof is required with a DPoP-bound access token', 401));
  try {
    const { jkt } = await dpop.check(Array.isArray(proof) ? proof.join(',') : proof, { method: request.method, url: htu, accessToken: credentials.token }, 401);
    if (jkt !== token.jkt) return new DpopChallenge(new InvalidDpopProof('the DPoP proof was made with another key than the one the token is bound to', 401));
  } catch (err) {
    if (err instanceof OAuthError) return new DpopChallenge(err);
    throw err;
  }
  return null;
}
