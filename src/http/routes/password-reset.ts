/**
 * "Forgot your password?" (src/accounts/password-reset.ts): /login/forgot asks
 * for a login or an address and always answers the same page; /login/reset,
 * reached by the mailed link, sets the new password and sends the person to
 * sign in with it.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { mailLanguage } from '../../mail/templates.js';
import { loginPage } from '../../pages/account-pages.js';
import { badLinkPage, forgotPage, forgotSentPage, resetPage } from '../../pages/mail-pages.js';
import { csrfToken } from '../csrf.js';
import { lenientParams } from '../params.js';
import { messagesFor, sendPage } from '../render.js';
import { readForm } from '../signed-in.js';
import { signupOpen } from './accounts.js';

export const passwordResetRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const badLink = (request: FastifyRequest, reply: FastifyReply) => {
    const msgs = messagesFor(request);
    return sendPage(reply, badLinkPage(msgs, msgs.mail.resetBadLink, { href: '/login/forgot', label: msgs.mail.askAgain }), 400);
  };

  app.get('/login/forgot', async (request, reply) => sendPage(reply, forgotPage({ msgs: messagesFor(request), csrf: csrfToken(ctx, request, reply) })));

  app.post('/login/forgot', async (request, reply) => {
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const msgs = messagesFor(request);
    const outcome = await ctx.passwordResets.request(form.login ?? '', mailLanguage(msgs.lang), request.ip);
    if (outcome === 'limited') {
      reply.header('Retry-After', String(Math.ceil(ctx.limits.passwordResetPerIp.windowMs / 1000)));
      return sendPage(reply, forgotPage({ msgs, csrf: csrfToken(ctx, request, reply), value: form.login?.slice(0, 254) ?? '', error: msgs.mail.forgotTooMany }), 429);
    }
    return sendPage(reply, forgotSentPage(msgs));
  });

  app.get('/login/reset', async (request, reply) => {
    const token = lenientParams(request.query).token ?? '';
    const user = await ctx.passwordResets.check(token);
    if (!user) return badLink(request, reply);
    return sendPage(reply, resetPage({ msgs: messagesFor(request), csrf: csrfToken(ctx, request, reply), token, login: user.login }));
  });

  app.post('/login/reset', async (request, reply) => {
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const msgs = messagesFor(request);
    const token = form.token ?? '';
    const result = await ctx.passwordResets.complete(token, form.password ?? '', request.ip);
    if (result.ok) {
      return sendPage(reply, loginPage({
        msgs, csrf: csrfToken(ctx, request, reply), returnTo: '/account', login: result.user.login,
        notice: msgs.mail.resetDone, signupEnabled: await signupOpen(ctx),
      }));
    }
    const user = result.reason === 'bad_password' ? await ctx.passwordResets.check(token) : null;
    if (!user) return badLink(request, reply);
    return sendPage(reply, resetPage({ msgs, csrf: csrfToken(ctx, request, reply), token, login: user.login, error: msgs.account.errPasswordShort }), 400);
  });
};
