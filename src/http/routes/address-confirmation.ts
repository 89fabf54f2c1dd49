/**
 * Confirming addresses (src/accounts/addresses.ts): the mailed link opens a
 * page with a button (only pressing it confirms, so a mail scanner following
 * links confirms nothing), and /account's "send the link again".
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Context } from '../../context.js';
import { mailLanguage } from '../../mail/templates.js';
import { badLinkPage, confirmedPage, confirmEmailPage } from '../../pages/mail-pages.js';
import { csrfToken } from '../csrf.js';
import { lenientParams } from '../params.js';
import { messagesFor, sendPage } from '../render.js';
import { readForm, redirectWithNotice, signedInPage } from '../signed-in.js';

export const addressConfirmationRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  app.get('/confirm-email', async (request, reply) => {
    const msgs = messagesFor(request);
    const token = lenientParams(request.query).token ?? '';
    const found = await ctx.addresses.peek(token);
    if (!found) return sendPage(reply, badLinkPage(msgs, msgs.mail.confirmBadLink, { href: '/account', label: msgs.mail.toAccount }), 400);
    return sendPage(reply, confirmEmailPage({ msgs, csrf: csrfToken(ctx, request, reply), token, login: found.user.login, address: found.link.address! }));
  });

  app.post('/confirm-email', async (request, reply) => {
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const msgs = messagesFor(request);
    const result = await ctx.addresses.confirm(form.token ?? '', request.ip);
    if (!result.ok) return sendPage(reply, badLinkPage(msgs, msgs.mail.confirmBadLink, { href: '/account', label: msgs.mail.toAccount }), 400);
    return sendPage(reply, confirmedPage(msgs, result.address));
  });

  app.post('/account/emails/confirm', async (request, reply) => {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return reply;
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const outcome = await ctx.addresses.send(page.user.id, form.address ?? '', mailLanguage(page.msgs.lang), { type: 'user', id: page.user.id }, request.ip);
    // An address that is not the user's, or is confirmed already, gets nothing and no notice.
    if (outcome === 'not_needed') return reply.redirect('/account', 303);
    return redirectWithNotice(reply, '/account', outcome === 'limited' ? 'confirmationLimited' : 'confirmationSent');
  });
};
