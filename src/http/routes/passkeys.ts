/**
 * Passkeys over HTTP (issue 16; the ceremonies are src/accounts/passkeys.ts):
 *
 * - `POST /login/passkey/options`, then `POST /login/passkey`: sign in with a
 *   passkey, no login typed; on to `return_to` like a password sign-in.
 * - `POST /account/passkeys/options`, then `POST /account/passkeys`: add one;
 *   `POST /account/passkeys/rename` and `/remove` (confirmed first).
 *
 * The options steps answer JSON to the page script (src/sdk/passkeys.ts); the
 * second steps are ordinary form posts carrying the browser's answer in a
 * `response` field, answered with a page or a redirect. Every one carries the
 * CSRF token, and every challenge is bound to the browser that asked for it
 * (http/webauthn-browser.ts).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { finishFirstStep } from '../pending-sign-in.js';
import { passkeyName, PasskeyNameError, type PasskeyRefusal } from '../../accounts/passkeys.js';
import type { Context } from '../../context.js';
import { loginPage } from '../../pages/account-pages.js';
import { format, type Messages } from '../../pages/messages/en.js';
import { csrfToken, csrfValid } from '../csrf.js';
import { rememberDevice } from '../device-cookie.js';
import { singleValued, type Params } from '../params.js';
import { messagesFor, sendPage } from '../render.js';
import { safeReturnTo } from '../return-to.js';
import { currentSession } from '../session.js';
import { confirmed, notFound, readForm, redirectWithNotice, signedInPage } from '../signed-in.js';
import { answeringBrowser, ceremonyBrowser } from '../webauthn-browser.js';
import { appNameOfReturnTo, passkeyScript, signupOpen } from './accounts.js';

/** A JSON refusal for the page script (it shows its own words). */
function refuse(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply.code(status).send({ error, error_description: description });
}

/** The options steps: a form body with a valid CSRF token, or null after a JSON refusal. */
function optionsForm(ctx: Context, request: FastifyRequest, reply: FastifyReply): Params | null {
  let form: Params;
  try {
    form = singleValued(request.body);
  } catch {
    refuse(reply, 400, 'invalid_request', 'the request is malformed');
    return null;
  }
  if (!csrfValid(ctx, request, form.csrf)) {
    refuse(reply, 403, 'invalid_request', 'the CSRF token is missing or wrong: reload the page');
    return null;
  }
  return form;
}

function signInError(msgs: Messages, reason: PasskeyRefusal, retryAfterSeconds: number): string {
  const k = msgs.passkeys;
  switch (reason) {
    case 'limited': return format(msgs.tooManySignIns, { minutes: String(Math.ceil(retryAfterSeconds / 60)) });
    case 'no_user_verification': return k.errNoUserVerification;
    case 'unknown_key': return k.errUnknown;
    default: return k.errFailed;
  }
}

export const passkeyRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  /** Too many challenges from this address: the page script falls back to the password. */
  async function challengeAllowed(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (await ctx.passkeys.mayChallenge(request.ip)) return true;
    reply.header('Retry-After', String(Math.ceil(ctx.limits.webauthnChallengePerIp.windowMs / 1000)));
    refuse(reply, 429, 'slow_down', 'too many passkey requests from this address: try again later');
    return false;
  }

  // Signing in

  app.post('/login/passkey/options', async (request, reply) => {
    if (!optionsForm(ctx, request, reply) || !(await challengeAllowed(request, reply))) return reply;
    return reply.send(await ctx.passkeys.signInOptions(ceremonyBrowser(ctx, request, reply)));
  });

  app.post('/login/passkey', async (request, reply) => {
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const returnTo = safeReturnTo(form.return_to);
    const browser = answeringBrowser(ctx, request);
    const result = browser
      ? await ctx.passkeys.signIn(browser, form.response, request.ip)
      : ({ ok: false, reason: 'failed' } as const);
    if (!result.ok) {
      const msgs = messagesFor(request);
      const window = ctx.limits.loginPerIp.windowMs / 1000;
      if (result.reason === 'limited') reply.header('Retry-After', String(Math.ceil(window)));
      return sendPage(reply, loginPage({
        msgs,
        csrf: csrfToken(ctx, request, reply),
        returnTo,
        error: signInError(msgs, result.reason, window),
        appName: await appNameOfReturnTo(ctx, returnTo),
        signupEnabled: await signupOpen(ctx),
        display: form.display === 'popup' ? 'popup' : 'page',
        passkeyScript: passkeyScript(ctx),
      }), result.reason === 'limited' ? 429 : 401);
    }
    // A key that verified its user is two factors at once (something held, something known or been): no further step.
    // finishFirstStep signs in at once for two factors, and drops any half-done password sign-in of this browser.
    rememberDevice(ctx, request, reply, result.user.login);
    return finishFirstStep(ctx, request, reply, result.user, result.amr, returnTo, form.display === 'popup' ? 'popup' : 'page', result.record);
  });

  // Adding, renaming and removing on /account

  app.post('/account/passkeys/options', async (request, reply) => {
    if (!optionsForm(ctx, request, reply)) return reply;
    const signedIn = await currentSession(ctx, request);
    if (!signedIn) return refuse(reply, 401, 'login_required', 'sign in first');
    if (!(await challengeAllowed(request, reply))) return reply;
    return reply.send(await ctx.passkeys.registrationOptions(signedIn.user, ceremonyBrowser(ctx, request, reply)));
  });

  app.post('/account/passkeys', async (request, reply) => {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return reply;
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const problem = (p: string) => reply.redirect(`/account?problem=${p}#passkeys`, 303);
    let name: string;
    try {
      name = passkeyName(form.name);
    } catch (err) {
      if (!(err instanceof PasskeyNameError)) throw err;
      return problem('errName');
    }
    const browser = answeringBrowser(ctx, request);
    const added = browser ? await ctx.passkeys.register(page.user, browser, form.response, name, request.ip) : null;
    if (!added?.ok) return problem(added?.reason === 'already_registered' ? 'errAlreadyRegistered' : 'errAddFailed');
    return redirectWithNotice(reply, '/account', 'passkeyAdded');
  });

  app.post('/account/passkeys/rename', async (request, reply) => {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return reply;
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    let name: string;
    try {
      name = passkeyName(form.name);
    } catch (err) {
      if (!(err instanceof PasskeyNameError)) throw err;
      return reply.redirect('/account?problem=errName#passkeys', 303);
    }
    if (!form.id || !(await ctx.passkeys.rename(page.user, form.id, name))) return notFound(page.msgs, reply);
    return redirectWithNotice(reply, '/account', 'passkeyRenamed');
  });

  app.post('/account/passkeys/remove', async (request, reply) => {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return reply;
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const passkey = form.id ? (await ctx.passkeys.list(page.user.id)).find((p) => p.id === form.id) : undefined;
    if (!passkey) return notFound(page.msgs, reply);
    const k = page.msgs.passkeys;
    if (!confirmed(page, reply, form, {
      title: format(k.removeConfirmTitle, { name: passkey.name }), text: k.removeConfirmText,
      action: '/account/passkeys/remove', confirmLabel: k.remove, cancelHref: '/account#passkeys',
    })) return reply;
    if (!(await ctx.passkeys.remove(page.user.id, passkey.id, { type: 'user', id: page.user.id }, request.ip))) return notFound(page.msgs, reply);
    return redirectWithNotice(reply, '/account', 'passkeyRemoved');
  });
};
