/**
 * Post/redirect/get for forms whose answer is a secret shown once: a new
 * app's client secret, a rotated one, a password an operator reset. The POST
 * does its work, seals the secret into a short-lived HttpOnly cookie bound to
 * what it is for, and redirects; the GET that follows shows it and clears the
 * cookie. A reload then shows the page without the secret and does nothing
 * again — no second app, no second rotation.
 *
 * The cookie is sealed with the server key (AES-256-GCM, like the half-done
 * sign-in of src/http/pending-sign-in.ts), lives two minutes, and names its
 * purpose and subject, so a secret meant for one app's page is never shown on
 * another's, and one user's cookie is worthless to anybody else.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import { cookieName, cookieOptions } from './session.js';

const REVEAL = 'gatehouse_reveal';
const REVEAL_TTL_SECONDS = 120;

export type RevealPurpose = 'client_secret' | 'reset_password' | 'webhook_secret';

interface Sealed {
  p: RevealPurpose;
  /** The app's client_id or the user's id. */
  s: string;
  /** Who may see it: the signed-in user's id. */
  v: string;
  secret: string;
  e: number;
}

/** Keeps `secret` for the next page this browser opens about `subject`, seen by `viewer` alone. */
export function revealOnce(ctx: Context, reply: FastifyReply, purpose: RevealPurpose, subject: string, viewer: string, secret: string): void {
  const sealed: Sealed = { p: purpose, s: subject, v: viewer, secret, e: ctx.clock() + REVEAL_TTL_SECONDS * 1000 };
  reply.setCookie(cookieName(ctx, REVEAL), ctx.secrets.seal(JSON.stringify(sealed)), cookieOptions(ctx, REVEAL_TTL_SECONDS));
}

/** The secret kept for this page, once: it is cleared when taken (another page leaves it for its own). */
export function takeRevealed(ctx: Context, request: FastifyRequest, reply: FastifyReply, purpose: RevealPurpose, subject: string, viewer: string): string | null {
  const raw = request.cookies[cookieName(ctx, REVEAL)];
  if (raw === undefined || raw.length > 4096) return null;
  let sealed: Sealed;
  try {
    sealed = JSON.parse(ctx.secrets.open(raw)) as Sealed;
  } catch {
    return null;
  }
  const fits = sealed.p === purpose && sealed.s === subject && sealed.v === viewer && typeof sealed.e === 'number' && sealed.e > ctx.clock();
  if (!fits || typeof sealed.secret !== 'string') return null;
  reply.clearCookie(cookieName(ctx, REVEAL), cookieOptions(ctx));
  return sealed.secret;
}
