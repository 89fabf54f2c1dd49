/** Sign-in, sign-up and sign-out pages (docs/protocol.md §10), and the home page. */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SignInFailure } from '../../accounts/sign-in-guard.js';
import { isClientId } from '../../apps/apps.js';
import { mayUseConsole } from '../../apps/console.js';
import { mailLanguage } from '../../mail/templates.js';
import type { Context } from '../../context.js';
import { InputError } from '../../errors.js';
import { recordFailure, sourceAddress } from '../../oauth/attempts.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { homePage, loginPage, messagePage, signupPage } from '../../pages/account-pages.js';
import { format } from '../../pages/messages/en.js';
import type { UserRecord } from '../../storage/storage.js';
import type { ClientId } from '../../types.js';
import { csrfToken, csrfValid } from '../csrf.js';
import { knownDevice, rememberDevice } from '../device-cookie.js';
import type { Params } from '../params.js';
import { safeReturnTo } from '../return-to.js';
import { sdkFiles } from '../sdk-files.js';
import { messagesFor, pageParams, sendErrorPage, sendPage } from '../render.js';
import { finishFirstStep, firstStepAnswer, firstStepWrites } from '../pending-sign-in.js';
import { currentSession } from '../session.js';

/** "to continue to <app>": the app a sign-in on the way to /authorize is for. */
export async function appNameOfReturnTo(ctx: Context, returnTo: string): Promise<string | null> {
  if (!returnTo.startsWith('/authorize?')) return null;
  const clientId = new URLSearchParams(returnTo.slice('/authorize?'.length)).get('client_id');
  if (!clientId || !isClientId(clientId)) return null;
  return (await ctx.storage.findApp(clientId as ClientId))?.name ?? null;
}

/**
 * The passkey script for the sign-in and account pages, or null when passkeys cannot work here (an issuer at
 * an IP address or plain http elsewhere than localhost) or the browser SDK is not built: the password form still works.
 */
export const passkeyScript = (ctx: Context): string | null => (ctx.passkeys.available ? sdkFiles()?.url('passkeys.js') ?? null : null);

/** Whether strangers may create accounts now: sign-up is on, and the first run's operator exists. */
export const signupOpen = async (ctx: Context): Promise<boolean> => ctx.config.signupEnabled && (await ctx.firstRun.operatorExists());

export const accountRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const appNameFor = (returnTo: string) => appNameOfReturnTo(ctx, returnTo);

  function csrfFailed(request: FastifyRequest, reply: FastifyReply) {
    return sendErrorPage(request, reply, new InvalidRequest(messagesFor(request).csrfFailed), 403);
  }

  const display = (p: Params) => (p.display === 'popup' ? 'popup' : 'page');

  /** A password sign-in's audit entry. */
  async function auditSignedIn(user: UserRecord, ip: string) {
    await ctx.audit.record({ action: 'sign_in', outcome: 'ok', actor: { type: 'user', id: user.id }, userId: user.id, ip, details: { method: 'password' }, subject: user });
  }

  /** A refused one's: it names the account it was for only when that exists (never the typed text). */
  async function auditRefusedSignIn(login: string, reason: SignInFailure, ip: string) {
    const user = login.length <= 64 ? await ctx.storage.findUserByLogin(login.trim()) : null;
    await ctx.audit.record({
      action: 'sign_in',
      outcome: reason === 'bad_credentials' ? 'failed' : 'refused',
      actor: { type: 'anonymous' },
      userId: user?.id ?? null,
      ip,
      details: { method: 'password', reason },
    });
  }

  app.get('/', async (request, reply) => {
    const signedIn = await currentSession(ctx, request);
    const user = signedIn ? { displayName: signedIn.user.displayName ?? signedIn.user.login, login: signedIn.user.login } : null;
    return sendPage(reply, homePage(messagesFor(request), csrfToken(ctx, request, reply), user, signedIn !== null && mayUseConsole(signedIn.user, ctx.config)));
  });

  app.get('/login', async (request, reply) => {
    const q = pageParams(request, reply, request.query);
    if (!q) return reply;
    const returnTo = safeReturnTo(q.return_to);
    if (q.switch === undefined && (await currentSession(ctx, request))) return reply.redirect(returnTo, 302);
    return sendPage(reply, loginPage({
      msgs: messagesFor(request),
      csrf: csrfToken(ctx, request, reply),
      returnTo,
      login: q.login_hint?.slice(0, 64) ?? null,
      appName: await appNameFor(returnTo),
      signupEnabled: await signupOpen(ctx),
      display: display(q),
      passkeyScript: passkeyScript(ctx),
      upstreams: await ctx.upstreams.list(),
    }));
  });

  app.post('/login', async (request, reply) => {
    const form = pageParams(request, reply, request.body);
    if (!form) return reply;
    if (!csrfValid(ctx, request, form.csrf)) return csrfFailed(request, reply);
    const returnTo = safeReturnTo(form.return_to);
    const login = form.login ?? '';
    // A right password opens the session (or holds the sign-in for its second step) and writes its entry in one
    // unit of work with the reset of the guessing counters (sign-in-guard.ts); the browser is sent on after it.
    const result = await ctx.signInGuard.signIn(login, form.password ?? '', request.ip, knownDevice(ctx, request, login), (user) =>
      firstStepWrites(ctx, request, reply, user, ['pwd'], returnTo, display(form), () => auditSignedIn(user, request.ip)));
    if (!result.ok) {
      // A failure changes nothing: its entry is the whole record.
      await auditRefusedSignIn(login, result.reason, request.ip);
      const msgs = messagesFor(request);
      const locked = result.reason === 'locked' || result.reason === 'needs_reset';
      if (result.reason === 'locked') reply.header('Retry-After', String(result.retryAfterSeconds));
      return sendPage(reply, loginPage({
        msgs,
        csrf: csrfToken(ctx, request, reply),
        returnTo,
        login: form.login?.slice(0, 64) ?? null,
        error: result.reason === 'locked' ? format(msgs.tooManySignIns, { minutes: String(Math.ceil(result.retryAfterSeconds / 60)) })
          : result.reason === 'needs_reset' ? msgs.signInNeedsReset
          : msgs.badCredentials,
        appName: await appNameFor(returnTo),
        signupEnabled: await signupOpen(ctx),
        display: display(form),
        passkeyScript: passkeyScript(ctx),
        upstreams: await ctx.upstreams.list(),
      }), locked ? 429 : 401);
    }
    rememberDevice(ctx, request, reply, result.user.login);
    // A second step follows when the user has a second factor or the operator's policy requires one (pending-sign-in.ts).
    return firstStepAnswer(ctx, request, reply, result.user, ['pwd'], returnTo, display(form), result.value);
  });

  app.get('/signup', async (request, reply) => {
    const q = pageParams(request, reply, request.query);
    if (!q) return reply;
    const msgs = messagesFor(request);
    if (!ctx.config.signupEnabled) return sendPage(reply, messagePage(msgs, msgs.signUp, msgs.signupDisabled), 403);
    // Nobody signs up before the first operator exists (src/setup/first-run.ts).
    if (!(await ctx.firstRun.operatorExists())) return sendPage(reply, messagePage(msgs, msgs.signUp, msgs.signupBeforeSetup), 403);
    return sendPage(reply, signupPage({ msgs, csrf: csrfToken(ctx, request, reply), returnTo: safeReturnTo(q.return_to), display: display(q) }));
  });

  app.post('/signup', async (request, reply) => {
    const form = pageParams(request, reply, request.body);
    if (!form) return reply;
    const msgs = messagesFor(request);
    if (!ctx.config.signupEnabled) return sendPage(reply, messagePage(msgs, msgs.signUp, msgs.signupDisabled), 403);
    // Nobody signs up before the first operator exists (src/setup/first-run.ts).
    if (!(await ctx.firstRun.operatorExists())) return sendPage(reply, messagePage(msgs, msgs.signUp, msgs.signupBeforeSetup), 403);
    if (!csrfValid(ctx, request, form.csrf)) return csrfFailed(request, reply);
    const returnTo = safeReturnTo(form.return_to);
    const signups = await recordFailure(ctx.storage, ctx.clock, `signup:ip:${sourceAddress(request.ip)}`, ctx.limits.signupPerIp);
    if (signups > ctx.limits.signupPerIp.max) {
      reply.header('Retry-After', String(Math.ceil(ctx.limits.signupPerIp.windowMs / 1000)));
      return sendPage(reply, messagePage(msgs, msgs.signUp, msgs.tooManySignups), 429);
    }
    try {
      // The account, its entry and the confirmation mail of its address are one unit of work: the mail leaves once it commits.
      const user = await ctx.users.create({
        login: form.login ?? '',
        password: form.password ?? '',
        email: form.email,
        firstName: form.first_name,
        lastName: form.last_name,
      }, async (created) => {
        await ctx.audit.record({ action: 'sign_up', actor: { type: 'user', id: created.id }, ip: request.ip });
        // An address typed at sign-up is not released until its owner confirms it (src/accounts/addresses.ts).
        if (created.defaultEmail) await ctx.addresses.send(created.id, created.defaultEmail, mailLanguage(msgs.lang), { type: 'user', id: created.id }, request.ip);
      });
      rememberDevice(ctx, request, reply, user.login);
      // Where the operator requires two-step sign-in for everyone, the new account sets it up first.
      return await finishFirstStep(ctx, request, reply, user, ['pwd'], returnTo, display(form));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const values = { login: form.login ?? '', email: form.email ?? '', firstName: form.first_name ?? '', lastName: form.last_name ?? '' };
      return sendPage(reply, signupPage({ msgs, csrf: csrfToken(ctx, request, reply), returnTo, values, error: err.message, display: display(form) }), 400);
    }
  });
};
