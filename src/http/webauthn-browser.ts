/**
 * Which browser a WebAuthn challenge was issued to: a random id in an
 * HttpOnly cookie, given on the first ceremony and kept for the browser
 * session. Storage keeps only its hash beside each challenge
 * (src/accounts/passkeys.ts), so an answer signed for a challenge carried off
 * to another browser, or sent from anywhere but the browser that asked, is
 * refused.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import { randomToken, sha256Hex, type SecretHash } from '../crypto/random.js';
import { cookieName, cookieOptions } from './session.js';

const BROWSER = 'gatehouse_webauthn';
const ID = /^[A-Za-z0-9_-]{43}$/;

/** This browser's id hash, for a challenge about to be issued; gives the browser an id first when it has none. */
export function ceremonyBrowser(ctx: Context, request: FastifyRequest, reply: FastifyReply): SecretHash {
  const existing = request.cookies[cookieName(ctx, BROWSER)];
  if (existing && ID.test(existing)) return sha256Hex(existing);
  const id = randomToken(32);
  reply.setCookie(cookieName(ctx, BROWSER), id, cookieOptions(ctx));
  return sha256Hex(id);
}

/** The id hash of the browser sending an answer; null when it has none (it was never given a challenge). */
export function answeringBrowser(ctx: Context, request: FastifyRequest): SecretHash | null {
  const id = request.cookies[cookieName(ctx, BROWSER)];
  return id && ID.test(id) ? sha256Hex(id) : null;
}
