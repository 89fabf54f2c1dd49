/**
 * The second step of signing in (src/http/pending-sign-in.ts holds the first):
 *
 * - GET /login/two-step asks for a code from the authenticator app, or a
 *   recovery code (`?method=recovery`); with `?step_up=1` a signed-in user
 *   whose sign-in was one factor takes a second step, and their session is
 *   replaced with a two-factor one.
 * - POST /login/two-step checks the code (limited per account, audited) and
 *   turns the half-done sign-in into a session.
 * - /login/two-step/setup walks a user whom the operator's policy requires to
 *   sign in with two steps, and who has no second factor, through setting up
 *   an authenticator app; the sign-in completes with the recovery codes shown.
 */
import { passkeyScript } from './accounts.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isTwoFactor, type Amr } from '../../accounts/authentication.js';
import { hasSecondFactor, secondFactorsOf, secondStepMethods, twoStepRequired, type SecondStepMethod } from '../../accounts/second-factors.js';
import type { CodeCheck, Confirmation } from '../../accounts/two-step.js';
import type { Context } from '../../context.js';
import { loginPage, messagePage } from '../../pages/account-pages.js';
import { html } from '../../pages/html.js';
import { format, type Messages } from '../../pages/messages/en.js';
import { qrCodeSvg, recoveryCodesPage, secondStepPage, setupPage } from '../../pages/two-step-pages.js';
import { csrfToken } from '../csrf.js';
import { lenientParams } from '../params.js';
import {
  clearPendingSignIn, completeSecondStep, holdSignIn, pendingSignIn, stepUpStillValid, type Display, type PendingSignIn,
} from '../pending-sign-in.js';
import { messagesFor, sendPage } from '../render.js';
import { safeReturnTo } from '../return-to.js';
import { currentSession, signIn } from '../session.js';
import { readForm } from '../signed-in.js';

/** The words for a refused code, and its status. */
export function codeRefusal(msgs: Messages, result: Exclude<CodeCheck | Confirmation, { ok: true }>, method: 'totp' | 'recovery' = 'totp'): { text: string; status: number; retryAfterSeconds: number | null } {
  const t = msgs.twoStep;
  switch (result.reason) {
    case 'limited': return { text: format(t.errLimited, { minutes: String(Math.ceil(result.retryAfterSeconds / 60)) }), status: 429, retryAfterSeconds: result.retryAfterSeconds };
    case 'reused': return { text: t.errReused, status: 401, retryAfterSeconds: null };
    case 'expired': return { text: t.errExpired, status: 400, retryAfterSeconds: null };
    case 'wrong': return { text: method === 'recovery' ? t.errWrongRecovery : t.errWrong, status: 401, retryAfterSeconds: null };
  }
}

/** A code typed as digits is the app's; anything else is tried as a recovery code. */
export const codeMethod = (code: string): 'totp' | 'recovery' => (/^[\d\s]+$/.test(code) ? 'totp' : 'recovery');

export const twoStepSignInRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const displayOf = (p: Record<string, string | undefined>): Display => (p.display === 'popup' ? 'popup' : 'page');

  function toLogin(reply: FastifyReply, returnTo: string, display: Display, status: 302 | 303) {
    const query = new URLSearchParams({ return_to: returnTo });
    if (display === 'popup') query.set('display', 'popup');
    return reply.redirect(`/login?${query.toString()}`, status);
  }

  /** The half-done sign-in is gone (expired, or its password changed): start again. */
  function startAgain(request: FastifyRequest, reply: FastifyReply, returnTo: string) {
    const msgs = messagesFor(request);
    clearPendingSignIn(ctx, reply);
    return sendPage(reply, loginPage({ msgs, csrf: csrfToken(ctx, request, reply), returnTo, error: msgs.twoStep.errPendingGone, signupEnabled: ctx.config.signupEnabled }), 400);
  }

  function noFactor(request: FastifyRequest, reply: FastifyReply) {
    const msgs = messagesFor(request);
    const t = msgs.twoStep;
    return sendPage(reply, messagePage(msgs, t.noFactorTitle, t.noFactorText, html`<p class="actions start"><a class="button primary" href="/account/two-step/setup">${t.noFactorLink}</a></p>`), 403);
  }

  function setupPath(pending: PendingSignIn): string {
    const query = new URLSearchParams();
    if (pending.returnTo.length > 2000) query.set('return_to', pending.returnTo);
    if (pending.display === 'popup') query.set('display', 'popup');
    const q = query.toString();
    return `/login/two-step/setup${q ? `?${q}` : ''}`;
  }

  async function showSecondStep(request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn, methods: SecondStepMethod[], asked: string | undefined, error: { text: string; status: number } | null = null) {
    const method = methods.find((m) => m === asked) ?? methods[0]!;
    return sendPage(reply, secondStepPage({
      msgs: messagesFor(request), csrf: csrfToken(ctx, request, reply), display: pending.display, login: pending.user.login,
      returnTo: pending.returnTo, method, methods, error: error?.text ?? null, securityKeyScript: passkeyScript(ctx),
    }), error?.status ?? 200);
  }

  /**
   * A signed-in user asks for a second step (`?step_up=1`): their sign-in is
   * held as the first step, replacing any half-done one. Null when there is no
   * session (a half-done sign-in, if any, goes on as it was).
   */
  async function stepUp(request: FastifyRequest, reply: FastifyReply, q: Record<string, string | undefined>): Promise<PendingSignIn | FastifyReply | null> {
    const returnTo = safeReturnTo(q.return_to);
    const signedIn = await currentSession(ctx, request);
    if (!signedIn) return null;
    if (isTwoFactor(signedIn.session.amr)) return reply.redirect(returnTo, 302);
    const factors = await secondFactorsOf(ctx, signedIn.user.id);
    if (!hasSecondFactor(factors)) return noFactor(request, reply);
    // Sessions from before `amr` was recorded were password sign-ins, the only kind there was.
    const amr = (signedIn.session.amr.length > 0 ? signedIn.session.amr : ['pwd']) as Amr[];
    const pending: PendingSignIn = { user: signedIn.user, amr, returnTo, display: displayOf(q), stepUp: true };
    holdSignIn(ctx, request, reply, pending);
    return pending;
  }

  app.get('/login/two-step', async (request, reply) => {
    const q = lenientParams(request.query);
    const stepped = q.step_up === '1' ? await stepUp(request, reply, q) : null;
    if (stepped && !('user' in stepped)) return stepped;
    const pending = stepped ?? (await pendingSignIn(ctx, request));
    if (!pending) return toLogin(reply, safeReturnTo(q.return_to), displayOf(q), 302);
    if (!(await stepUpStillValid(ctx, request, pending))) return startAgain(request, reply, pending.returnTo);
    const factors = await secondFactorsOf(ctx, pending.user.id);
    if (!hasSecondFactor(factors)) {
      if (twoStepRequired(ctx.config, pending.user) && !pending.stepUp) return reply.redirect(setupPath(pending), 302);
      if (pending.stepUp) return noFactor(request, reply);
      // The factor went (an operator's reset) while the code was being looked for: the first step is all there is to take.
      clearPendingSignIn(ctx, reply);
      await signIn(ctx, request, reply, pending.user, pending.amr);
      return reply.redirect(pending.returnTo, 302);
    }
    // A security key that did not confirm the sign-in comes back here (routes/security-key-step.ts).
    const keyProblem = q.method === 'security_key' && q.problem !== undefined ? { text: messagesFor(request).passkeys.errKeyFailed, status: 200 } : null;
    return showSecondStep(request, reply, pending, secondStepMethods(factors), q.method, keyProblem);
  });

  app.post('/login/two-step', async (request, reply) => {
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const pending = await pendingSignIn(ctx, request);
    if (!pending || !(await stepUpStillValid(ctx, request, pending))) return startAgain(request, reply, safeReturnTo(form.return_to));
    const factors = await secondFactorsOf(ctx, pending.user.id);
    const methods = secondStepMethods(factors);
    if (methods.length === 0) return reply.redirect('/login/two-step', 303);
    const code = (form.code ?? '').slice(0, 40);
    const method = codeMethod(code);
    const result = await ctx.twoStep.check(pending.user, code, method, request.ip);
    const entry = () => ctx.audit.record({
      action: 'sign_in', outcome: result.ok ? 'ok' : result.reason === 'limited' ? 'refused' : 'failed',
      actor: result.ok ? { type: 'user', id: pending.user.id } : { type: 'anonymous' }, userId: pending.user.id, ip: request.ip,
      details: { method: method === 'totp' ? 'authenticator app' : 'recovery', step: 'second', ...(pending.stepUp ? { stepUp: true } : {}), ...(result.ok ? {} : { reason: result.reason }) },
    });
    if (!result.ok) {
      await entry();
      const refusal = codeRefusal(messagesFor(request), result, method);
      if (refusal.retryAfterSeconds !== null) reply.header('Retry-After', String(refusal.retryAfterSeconds));
      return showSecondStep(request, reply, pending, methods, form.method, refusal);
    }
    // The session and the sign-in's entry are one unit of work (webhooks announce the sign-in).
    await ctx.storage.atomically(async () => {
      await completeSecondStep(ctx, request, reply, pending, 'otp');
      await entry();
    });
    return reply.redirect(pending.returnTo, 303);
  });

  /** The half-done sign-in of a user the policy sends to set up two-step sign-in, or null after answering. */
  async function enrolling(request: FastifyRequest, reply: FastifyReply, returnTo: string | undefined): Promise<PendingSignIn | null> {
    const pending = await pendingSignIn(ctx, request);
    if (!pending) {
      if (request.method === 'GET') toLogin(reply, safeReturnTo(returnTo), displayOf(lenientParams(request.query)), 302);
      else startAgain(request, reply, safeReturnTo(returnTo));
      return null;
    }
    const factors = await secondFactorsOf(ctx, pending.user.id);
    if (hasSecondFactor(factors) || !twoStepRequired(ctx.config, pending.user)) {
      reply.redirect('/login/two-step', 303);
      return null;
    }
    return pending;
  }

  async function showSetup(request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn, error: { text: string; status: number } | null = null) {
    const enrolment = await ctx.twoStep.enrolment(pending.user);
    if (!enrolment) return reply.redirect('/login/two-step', 303);
    return sendPage(reply, setupPage({
      msgs: messagesFor(request), csrf: csrfToken(ctx, request, reply), frame: { display: pending.display }, login: pending.user.login,
      enrolment, qrSvg: await qrCodeSvg(enrolment.uri), action: '/login/two-step/setup', askPassword: false, required: true,
      returnTo: pending.returnTo, error: error?.text ?? null,
    }), error?.status ?? 200);
  }

  app.get('/login/two-step/setup', async (request, reply) => {
    const pending = await enrolling(request, reply, lenientParams(request.query).return_to);
    if (!pending) return reply;
    return showSetup(request, reply, pending);
  });

  app.post('/login/two-step/setup', async (request, reply) => {
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const pending = await enrolling(request, reply, form.return_to);
    if (!pending) return reply;
    const msgs = messagesFor(request);
    const result = await ctx.twoStep.confirm(pending.user, (form.code ?? '').slice(0, 40), { type: 'user', id: pending.user.id }, request.ip);
    if (!result.ok) {
      const refusal = codeRefusal(msgs, result);
      if (refusal.retryAfterSeconds !== null) reply.header('Retry-After', String(refusal.retryAfterSeconds));
      return showSetup(request, reply, pending, refusal);
    }
    await ctx.storage.atomically(async () => {
      await completeSecondStep(ctx, request, reply, pending, 'otp');
      await ctx.audit.record({
        action: 'sign_in', actor: { type: 'user', id: pending.user.id }, userId: pending.user.id, ip: request.ip,
        details: { method: 'authenticator app', step: 'second', enrolled: true },
      });
    });
    return sendPage(reply, recoveryCodesPage({
      msgs, frame: { display: pending.display }, login: pending.user.login, codes: result.recoveryCodes, continueHref: pending.returnTo,
      notice: msgs.twoStep.notice.twoStepOn,
    }));
  });
};
