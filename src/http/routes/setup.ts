/**
 * The first run (src/setup/first-run.ts): /setup creates the first operator
 * with the link the server printed, signs them in and shows the
 * organisation's settings. A wrong, used or stale link gets one page that
 * says so, whatever the reason.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { InputError } from '../../errors.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { setupInvalidPage, setupPage } from '../../pages/setup-pages.js';
import { csrfToken, csrfValid } from '../csrf.js';
import { messagesFor, pageParams, sendErrorPage, sendPage } from '../render.js';
import { signIn } from '../session.js';

export const setupRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const invalid = (request: FastifyRequest, reply: FastifyReply) => sendPage(reply, setupInvalidPage(messagesFor(request), '/setup'), 404);

  app.get('/setup', async (request, reply) => {
    const q = pageParams(request, reply, request.query);
    if (!q) return reply;
    if (!(await ctx.firstRun.valid(q.token))) return invalid(request, reply);
    return sendPage(reply, setupPage({ msgs: messagesFor(request), csrf: csrfToken(ctx, request, reply), token: q.token!, here: request.url }));
  });

  app.post('/setup', async (request, reply) => {
    const form = pageParams(request, reply, request.body);
    if (!form) return reply;
    const msgs = messagesFor(request);
    if (!csrfValid(ctx, request, form.csrf)) return sendErrorPage(request, reply, new InvalidRequest(msgs.csrfFailed), 403);
    const input = { login: form.login ?? '', password: form.password ?? '', email: form.email, firstName: form.first_name, lastName: form.last_name };
    try {
      const user = await ctx.firstRun.createOperator(form.token, input, request.ip);
      if (!user) return invalid(request, reply);
      await signIn(ctx, request, reply, user, ['pwd']);
      return reply.redirect('/admin/settings?welcome=1', 303);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const values = { login: input.login, email: input.email ?? '', firstName: input.firstName ?? '', lastName: input.lastName ?? '' };
      return sendPage(reply, setupPage({ msgs, csrf: csrfToken(ctx, request, reply), token: form.token ?? '', here: '/setup', values, error: err.message }), 400);
    }
  });
};
