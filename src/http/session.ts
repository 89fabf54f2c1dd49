/**
 * Browser sessions: a random id in an HttpOnly, SameSite=Lax cookie (Secure and
 * `__Host-` prefixed when the issuer is https); only its hash is stored. Signing
 * in always starts a new session, so a planted id is worthless (no fixation).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import { randomToken, sha256Hex, type SecretHash } from '../crypto/random.js';
import type { SessionRecord, UserRecord } from '../storage/storage.js';

export interface SignedIn {
  user: UserRecord;
  session: SessionRecord;
}

export function cookieName(ctx: Context, base: string): string {
  return ctx.config.secureCookies ? `__Host-${base}` : base;
}

export function cookieOptions(ctx: Context, maxAgeSeconds?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.config.secureCookies,
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  };
}

const SESSION = 'gatehouse_session';
const loaded = new WeakMap<FastifyRequest, Promise<SignedIn | null>>();

/** The signed-in user of this request, or null. Looked up once per request. */
export function currentSession(ctx: Context, request: FastifyRequest): Promise<SignedIn | null> {
  let found = loaded.get(request);
  if (!found) {
    found = (async () => {
      const id = request.cookies[cookieName(ctx, SESSION)];
      if (!id || id.length > 100) return null;
      const session = await ctx.storage.findSession(sha256Hex(id), ctx.clock());
      if (!session) return null;
      const user = await ctx.storage.findUserById(session.userId);
      return user && user.status === 'active' ? { user, session } : null;
    })();
    loaded.set(request, found);
  }
  return found;
}

export async function signIn(ctx: Context, request: FastifyRequest, reply: FastifyReply, user: UserRecord): Promise<void> {
  const previous = await currentSession(ctx, request);
  if (previous) await ctx.storage.deleteSession(previous.session.hash);
  const id = randomToken(32);
  const now = ctx.clock();
  const session: SessionRecord = {
    hash: sha256Hex(id),
    userId: user.id,
    authTime: now,
    createdAt: now,
    expiresAt: now + ctx.config.sessionTtlSeconds * 1000,
    userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
    ip: request.ip ?? null,
  };
  await ctx.storage.createSession(session);
  loaded.set(request, Promise.resolve({ user, session }));
  reply.setCookie(cookieName(ctx, SESSION), id, cookieOptions(ctx, ctx.config.sessionTtlSeconds));
}

export async function signOut(ctx: Context, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const current = await currentSession(ctx, request);
  if (current) await ctx.storage.deleteSession(current.session.hash as SecretHash);
  loaded.set(request, Promise.resolve(null));
  reply.clearCookie(cookieName(ctx, SESSION), cookieOptions(ctx));
}
