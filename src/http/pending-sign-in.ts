/**
 * A sign-in half done: the first step (a password) is proved, a second one is
 * still needed. No session exists yet; the browser holds the half-done
 * sign-in in a short-lived cookie, sealed with the server key (AES-256-GCM:
 * nobody can read or forge it), HttpOnly and SameSite=Lax, that names the
 * user, what they proved (`amr`), where they were going and how the page is
 * shown. It opens nothing by itself: /account, /authorize and every other
 * page see only sessions (session.ts), and only the second step turns it into one.
 *
 * The password step (routes/accounts.ts) ends with `finishFirstStep`; other
 * first steps (a passkey without user verification, a security key) can too.
 * The second step's pages (routes/two-step-sign-in.ts) read the cookie with
 * `pendingSignIn` and end with `completeSecondStep`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { amrOf, isTwoFactor, type Amr } from '../accounts/authentication.js';
import { hasSecondFactor, secondFactorsOf, twoStepRequired } from '../accounts/second-factors.js';
import type { Context } from '../context.js';
import { sha256Hex } from '../crypto/random.js';
import type { UserRecord } from '../storage/storage.js';
import type { UserId } from '../types.js';
import { safeReturnTo } from './return-to.js';
import { cookieName, cookieOptions, currentSession, signIn } from './session.js';

export type Display = 'page' | 'popup';

export interface PendingSignIn {
  user: UserRecord;
  /** What the first step proved (RFC 8176), e.g. `['pwd']`. */
  amr: Amr[];
  returnTo: string;
  display: Display;
  /** A signed-in user asked for a second step (step-up): the session must still be theirs when it is taken. */
  stepUp: boolean;
}

const PENDING = 'gatehouse_pending';
/** Long enough to find the phone and type a code; short enough that a forgotten tab is dead soon. */
export const PENDING_TTL_SECONDS = 10 * 60;
const PURPOSE = 'pending sign-in';
/**
 * Where to go is kept in the cookie when it is at most this long (a cookie
 * holds about 4 KB); a longer one travels in the two-step page's address and
 * form instead, checked by safeReturnTo like every other.
 */
const MAX_RETURN_TO_IN_COOKIE = 2000;

interface Sealed {
  p: typeof PURPOSE;
  u: UserId;
  a: Amr[];
  r: string | null;
  d: Display;
  s: boolean;
  /** A fingerprint of the password hash: a new password (reset by mail, by an operator) kills half-done sign-ins. */
  c: string;
  e: number;
}

const credentialsOf = (user: UserRecord) => sha256Hex(`${user.id}\n${user.passwordHash ?? ''}`).slice(0, 22);

/** `/login/two-step`, carrying `return_to` and `display` where the cookie does not. */
function secondStepPath(returnTo: string, display: Display, page: '' | '/setup' = ''): string {
  const query = new URLSearchParams();
  if (returnTo.length > MAX_RETURN_TO_IN_COOKIE) query.set('return_to', returnTo);
  if (display === 'popup') query.set('display', 'popup');
  const q = query.toString();
  return `/login/two-step${page}${q ? `?${q}` : ''}`;
}

/** Holds a half-done sign-in in this browser (replacing any other). */
export function holdSignIn(ctx: Context, request: FastifyRequest, reply: FastifyReply, pending: { user: UserRecord; amr: readonly Amr[]; returnTo: string; display: Display; stepUp?: boolean }): void {
  const returnTo = safeReturnTo(pending.returnTo);
  const sealed: Sealed = {
    p: PURPOSE,
    u: pending.user.id,
    a: [...pending.amr],
    r: returnTo.length > MAX_RETURN_TO_IN_COOKIE ? null : returnTo,
    d: pending.display,
    s: pending.stepUp ?? false,
    c: credentialsOf(pending.user),
    e: ctx.clock() + PENDING_TTL_SECONDS * 1000,
  };
  reply.setCookie(cookieName(ctx, PENDING), ctx.secrets.seal(JSON.stringify(sealed)), cookieOptions(ctx, PENDING_TTL_SECONDS));
}

/**
 * The half-done sign-in this browser holds, or null: none, expired, not
 * sealed by this server, or its user since blocked or given a new password.
 */
export async function pendingSignIn(ctx: Context, request: FastifyRequest): Promise<PendingSignIn | null> {
  const raw = request.cookies[cookieName(ctx, PENDING)];
  if (!raw || raw.length > 4096) return null;
  let sealed: Sealed;
  try {
    sealed = JSON.parse(ctx.secrets.open(raw)) as Sealed;
  } catch {
    return null;
  }
  if (sealed.p !== PURPOSE || typeof sealed.e !== 'number' || sealed.e <= ctx.clock() || typeof sealed.u !== 'string') return null;
  const user = await ctx.storage.findUserById(sealed.u);
  if (!user || user.status !== 'active' || credentialsOf(user) !== sealed.c) return null;
  const fromRequest = (request.method === 'GET' ? request.query : request.body) as Record<string, unknown> | undefined;
  const returnTo = sealed.r ?? safeReturnTo(typeof fromRequest?.return_to === 'string' ? fromRequest.return_to : undefined);
  return { user, amr: amrOf(sealed.a), returnTo, display: sealed.d === 'popup' ? 'popup' : 'page', stepUp: sealed.s === true };
}

export function clearPendingSignIn(ctx: Context, reply: FastifyReply): void {
  reply.clearCookie(cookieName(ctx, PENDING), cookieOptions(ctx));
}

/**
 * The end of a first step that proved `amr`: signs the user in when that is
 * enough (it is two factors already, or the user has no second factor and
 * the operator's policy asks for none); otherwise holds the sign-in and sends
 * the browser to the second step (`/login/two-step`), or to setting one up
 * when the policy requires it and the user has none.
 *
 * `record` writes the audit entry of the successful step (a `sign_in`, which
 * webhooks announce) in one unit of work with the session it opens, so that
 * neither exists without the other; when a second step follows, nothing is
 * written but the entry. The browser is redirected only once the unit has
 * committed: a redirect sends the reply at once.
 */
export async function finishFirstStep(
  ctx: Context, request: FastifyRequest, reply: FastifyReply, user: UserRecord, amr: readonly Amr[], returnTo: string, display: Display,
  record?: () => Promise<unknown>,
): Promise<FastifyReply> {
  const secondStep = await ctx.storage.atomically(() => firstStepWrites(ctx, request, reply, user, amr, returnTo, display, record));
  return firstStepAnswer(ctx, request, reply, user, amr, returnTo, display, secondStep);
}

/**
 * `finishFirstStep` in two halves, for a caller whose unit of work holds more
 * (a password sign-in's reset counters, sign-in-guard.ts): the writes, run in
 * the caller's unit, say where the second step is taken, or null when the
 * user is signed in now; the answer follows once the unit has committed.
 */
export async function firstStepWrites(
  ctx: Context, request: FastifyRequest, reply: FastifyReply, user: UserRecord, amr: readonly Amr[], returnTo: string, display: Display,
  record?: () => Promise<unknown>,
): Promise<string | null> {
  if (!isTwoFactor(amr)) {
    const factors = await secondFactorsOf(ctx, user.id);
    const has = hasSecondFactor(factors);
    if (has || twoStepRequired(ctx.config, user)) {
      await record?.();
      return secondStepPath(safeReturnTo(returnTo), display, has ? '' : '/setup');
    }
  }
  await signIn(ctx, request, reply, user, amr);
  await record?.();
  return null;
}

export function firstStepAnswer(
  ctx: Context, request: FastifyRequest, reply: FastifyReply, user: UserRecord, amr: readonly Amr[], returnTo: string, display: Display,
  secondStep: string | null,
): FastifyReply {
  const target = safeReturnTo(returnTo);
  if (secondStep !== null) {
    holdSignIn(ctx, request, reply, { user, amr, returnTo: target, display });
    return reply.redirect(secondStep, 303);
  }
  clearPendingSignIn(ctx, reply);
  return reply.redirect(target, 303);
}

/**
 * The second step is proved with `method` (`otp` for an app's code or a
 * recovery code; `hwk`/`swk` for a key): the half-done sign-in becomes a
 * session, replacing any session this browser had (signIn never keeps one).
 * The caller has checked the second factor and that `pending` is still valid,
 * and runs this in one unit of work with the step's `sign_in` audit entry.
 */
export async function completeSecondStep(ctx: Context, request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn, method: Amr): Promise<void> {
  clearPendingSignIn(ctx, reply);
  await signIn(ctx, request, reply, pending.user, [...pending.amr, method]);
}

/** For a step-up: whether the browser's session still belongs to the user of the half-done sign-in. */
export async function stepUpStillValid(ctx: Context, request: FastifyRequest, pending: PendingSignIn): Promise<boolean> {
  if (!pending.stepUp) return true;
  const current = await currentSession(ctx, request);
  return current !== null && current.user.id === pending.user.id;
}

/**
 * Where to send a signed-in user whose sign-in is one factor when two are
 * needed (an app or `acr_values` asks for them): the two-step page asks for
 * the second factor and replaces the session with a two-factor one, then
 * continues to `returnTo`.
 */
export function twoStepUrl(returnTo: string, display: Display = 'page'): string {
  const query = new URLSearchParams({ step_up: '1', return_to: safeReturnTo(returnTo) });
  if (display === 'popup') query.set('display', 'popup');
  return `/login/two-step?${query.toString()}`;
}
