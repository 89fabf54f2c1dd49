/**
 * The one CSRF defence for every form: a random token in an HttpOnly,
 * SameSite=Lax cookie that each form repeats in a hidden `csrf` field
 * (double submit). A cross-site page can neither read the cookie nor set it,
 * so it cannot produce a matching pair. A foreign `Origin` is refused outright.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import { constantTimeEqual, randomToken } from '../crypto/random.js';
import { cookieName, cookieOptions } from './session.js';

const CSRF = 'gatehouse_csrf';
const issued = new WeakMap<FastifyRequest, string>();

/** The token to put in this response's forms; sets the cookie on first use. */
export function csrfToken(ctx: Context, request: FastifyRequest, reply: FastifyReply): string {
  const existing = issued.get(request) ?? request.cookies[cookieName(ctx, CSRF)];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomToken(32);
  issued.set(request, token);
  reply.setCookie(cookieName(ctx, CSRF), token, cookieOptions(ctx));
  return token;
}

export function csrfValid(ctx: Context, request: FastifyRequest, submitted: string | undefined): boolean {
  const origin = request.headers.origin;
  // Browsers send `Origin: null` for forms on no-referrer pages; the token still decides.
  if (origin !== undefined && origin !== 'null' && origin !== new URL(ctx.config.issuer).origin) return false;
  const cookie = request.cookies[cookieName(ctx, CSRF)];
  return cookie !== undefined && submitted !== undefined && constantTimeEqual(cookie, submitted);
}
