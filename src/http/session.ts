/**
 * Browser sessions: a random id in an HttpOnly, SameSite=Lax cookie (Secure and
 * `__Host-` prefixed when the issuer is https); only its hash is stored. Signing
 * in always starts a new session, so a planted id is worthless (no fixation).
 *
 * A session ends at whichever comes first (OWASP Session Management Cheat
 * Sheet, "Session Expiration"): `sessionTtlSeconds` after its last use (the
 * idle timeout) or `sessionMaxAgeSeconds` after the sign-in (the absolute
 * lifetime), however active it is. Both are checked against the database row
 * on every request, so every process agrees; a use is written only when the
 * last one recorded is more than a minute old, not on every request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { amrOf, type Amr } from '../accounts/authentication.js';
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
/** How stale the recorded last use may get before a request writes a new one. */
const MAX_SLIDE_STEP_MS = 60_000;

/** When a session last used at `lastSeenAt` ends: idle timeout or absolute lifetime, the earlier. */
function endOf(ctx: Context, session: Pick<SessionRecord, 'createdAt'>, lastSeenAt: number): number {
  return Math.min(lastSeenAt + ctx.config.sessionTtlSeconds * 1000, session.createdAt + ctx.config.sessionMaxAgeSeconds * 1000);
}

/**
 * The session if it is still alive at `now`, its idle expiry slid forward.
 * Checked against the settings as they are now, not as they were when the
 * row was written, so shortening either setting takes effect at once.
 */
async function stillAlive(ctx: Context, session: SessionRecord, now: number): Promise<SessionRecord | null> {
  if (now >= endOf(ctx, session, session.lastSeenAt)) return null;
  const step = Math.min(MAX_SLIDE_STEP_MS, (ctx.config.sessionTtlSeconds * 1000) / 10);
  if (now - session.lastSeenAt < step) return session;
  const slid = { ...session, lastSeenAt: now, expiresAt: endOf(ctx, session, now) };
  await ctx.storage.extendSession(session.hash, slid.lastSeenAt, slid.expiresAt);
  return slid;
}

const loaded = new WeakMap<FastifyRequest, Promise<SignedIn | null>>();

/** The signed-in user of this request, or null. Looked up once per request. */
export function currentSession(ctx: Context, request: FastifyRequest): Promise<SignedIn | null> {
  let found = loaded.get(request);
  if (!found) {
    found = (async () => {
      const id = request.cookies[cookieName(ctx, SESSION)];
      if (!id || id.length > 100) return null;
      const now = ctx.clock();
      const found = await ctx.storage.findSession(sha256Hex(id), now);
      const session = found && (await stillAlive(ctx, found, now));
      if (!session) return null;
      const user = await ctx.storage.findUserById(session.userId);
      return user && user.status === 'active' ? { user, session } : null;
    })();
    loaded.set(request, found);
  }
  return found;
}

/**
 * Starts a new session for `user`, who proved who they are with `amr`
 * (src/accounts/authentication.ts): the id_tokens of apps they allow say so.
 */
export async function signIn(ctx: Context, request: FastifyRequest, reply: FastifyReply, user: UserRecord, amr: readonly Amr[]): Promise<void> {
  const previous = await currentSession(ctx, request);
  if (previous) await ctx.storage.deleteSession(previous.session.hash);
  const id = randomToken(32);
  const now = ctx.clock();
  const session: SessionRecord = {
    hash: sha256Hex(id),
    userId: user.id,
    authTime: now,
    amr: amrOf(amr),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: endOf(ctx, { createdAt: now }, now),
    userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
    ip: request.ip ?? null,
  };
  await ctx.storage.createSession(session);
  loaded.set(request, Promise.resolve({ user, session }));
  reply.setCookie(cookieName(ctx, SESSION), id, cookieOptions(ctx, ctx.config.sessionMaxAgeSeconds));
}

export async function signOut(ctx: Context, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const current = await currentSession(ctx, request);
  if (current) await ctx.storage.deleteSession(current.session.hash as SecretHash);
  loaded.set(request, Promise.resolve(null));
  reply.clearCookie(cookieName(ctx, SESSION), cookieOptions(ctx));
}
