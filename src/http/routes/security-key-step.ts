/**
 * A security key as the second step after the password (issue 16: keys
 * without user verification count as a second factor): the two-step page's
 * "Use your security key". The ceremony is src/accounts/passkeys.ts
 * (`secondFactorOptions`, `verifySecondFactor`): options name only the
 * user's own keys, any assertion of one of them will do, its challenge is
 * bound to this browser and this user and used once.
 *
 * The half-done sign-in itself belongs to the two-step framework; these
 * routes reach it only through `SecondStep`, so they are registered with it:
 * `securityKeyStepRoutes(ctx, { pending: pendingSignIn, complete: completeSecondStep })`.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Amr } from '../../accounts/authentication.js';
import type { Context } from '../../context.js';
import type { UserRecord } from '../../storage/storage.js';
import { csrfValid } from '../csrf.js';
import { singleValued } from '../params.js';
import { readForm } from '../signed-in.js';
import { answeringBrowser, ceremonyBrowser } from '../webauthn-browser.js';

/** What these routes need of a half-done sign-in (the two-step framework's `PendingSignIn`). */
export interface PendingFirstStep {
  user: UserRecord;
  returnTo: string;
  display: 'page' | 'popup';
}

export interface SecondStep<P extends PendingFirstStep> {
  /** The half-done sign-in this browser holds, or null. */
  pending(ctx: Context, request: FastifyRequest): Promise<P | null>;
  /** Turns it into a session, the key's method (`hwk` or `swk`) added to what the first step proved. */
  complete(ctx: Context, request: FastifyRequest, reply: FastifyReply, pending: P, method: Amr): Promise<void>;
}

/** Back to the two-step page, on the key, with what went wrong. */
function backToStep(reply: FastifyReply, pending: PendingFirstStep | null, problem: string): FastifyReply {
  const query = new URLSearchParams({ method: 'security_key', problem });
  if (pending?.display === 'popup') query.set('display', 'popup');
  return reply.redirect(pending ? `/login/two-step?${query.toString()}` : '/login', 303);
}

export const securityKeyStepRoutes = <P extends PendingFirstStep>(ctx: Context, step: SecondStep<P>): FastifyPluginAsync => async (app) => {
  app.post('/login/two-step/key/options', async (request, reply) => {
    let csrf: string | undefined;
    try {
      csrf = singleValued(request.body).csrf;
    } catch {
      return reply.code(400).send({ error: 'invalid_request', error_description: 'the request is malformed' });
    }
    if (!csrfValid(ctx, request, csrf)) return reply.code(403).send({ error: 'invalid_request', error_description: 'the CSRF token is missing or wrong: reload the page' });
    const pending = await step.pending(ctx, request);
    if (!pending) return reply.code(401).send({ error: 'login_required', error_description: 'sign in with your password first' });
    if (!(await ctx.passkeys.mayChallenge(request.ip))) return reply.code(429).send({ error: 'slow_down', error_description: 'too many requests: try again later' });
    const options = await ctx.passkeys.secondFactorOptions(pending.user, ceremonyBrowser(ctx, request, reply));
    if (!options) return reply.code(404).send({ error: 'not_found', error_description: 'this account has no security key' });
    return reply.send(options);
  });

  app.post('/login/two-step/key', async (request, reply) => {
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const pending = await step.pending(ctx, request);
    const browser = answeringBrowser(ctx, request);
    if (!pending || !browser) return backToStep(reply, pending, 'expired');
    const result = await ctx.passkeys.verifySecondFactor(pending.user, browser, form.response);
    const entry = () => ctx.audit.record({
      action: 'sign_in',
      outcome: result.ok ? 'ok' : 'failed',
      actor: result.ok ? { type: 'user', id: pending.user.id } : { type: 'anonymous' },
      userId: pending.user.id,
      ip: request.ip,
      details: { method: 'security key', step: 'second', ...(result.ok ? { name: result.passkey.name } : { reason: result.reason }) },
    });
    if (!result.ok) {
      await entry();
      return backToStep(reply, pending, 'errKeyFailed');
    }
    // The session and the sign-in's entry are one unit of work (webhooks announce the sign-in).
    await ctx.storage.atomically(async () => {
      await step.complete(ctx, request, reply, pending, result.amr[0]!);
      await entry();
    });
    return reply.redirect(pending.returnTo, 303);
  });
};
