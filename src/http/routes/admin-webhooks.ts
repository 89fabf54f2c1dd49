/**
 * /admin/webhooks: webhook endpoints for operators — the same service as
 * `gatehouse webhook …` and the management API (src/webhooks/webhooks.ts), so
 * the same checks and audit entries. A new endpoint's signing secret is shown
 * once, on the page the POST redirects to (src/http/reveal-once.ts), so a
 * reload neither shows it again nor adds a second endpoint. Anyone else gets
 * the 404 of /admin.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { InputError } from '../../errors.js';
import { format } from '../../pages/messages/en.js';
import { adminWebhookLogPage, adminWebhooksPage, type AdminWebhooksOptions } from '../../pages/webhook-pages.js';
import type { WebhookEndpoint } from '../../webhooks/webhooks.js';
import { sendPage } from '../render.js';
import { revealOnce, takeRevealed } from '../reveal-once.js';
import { confirmed, notFound, operatorPage, readForm, redirectWithNotice, type PageContext } from '../signed-in.js';

const LOG_PAGE = 50;

export const adminWebhookRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const operator = (request: FastifyRequest, reply: FastifyReply) => operatorPage(ctx, request, reply);
  const by = (page: PageContext, request: FastifyRequest) => ({ actor: { type: 'user', id: page.user.id } as const, ip: request.ip });

  async function show(page: PageContext, reply: FastifyReply, extra: Partial<Pick<AdminWebhooksOptions, 'revealed' | 'values' | 'notice' | 'error'>> = {}, status = 200) {
    return sendPage(reply, adminWebhooksPage({
      ...page, endpoints: await ctx.webhooks.list(), revealed: extra.revealed ?? null, values: extra.values ?? { url: '', description: '', events: [] },
      notice: extra.notice ?? null, error: extra.error ?? null,
    }), status);
  }

  /** The operator's page, their form and the endpoint the URL names; null once the reply is sent. */
  async function endpointForm(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<[PageContext, Record<string, string | undefined>, WebhookEndpoint] | null> {
    const page = await operator(request, reply);
    if (!page) return null;
    const form = readForm(ctx, request, reply);
    if (!form) return null;
    const endpoint = await ctx.webhooks.get(request.params.id.slice(0, 40));
    if (!endpoint) {
      notFound(page.msgs, reply);
      return null;
    }
    return [page, form, endpoint];
  }

  app.get('/admin/webhooks', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const q = request.query as Record<string, unknown>;
    const w = page.msgs.webhooks;
    const added = typeof q.endpoint === 'string' ? await ctx.webhooks.get(q.endpoint.slice(0, 40)) : null;
    const secret = added ? takeRevealed(ctx, request, reply, 'webhook_secret', added.id, page.user.id) : null;
    const notice = q.done === 'added' && added ? format(w.added, { url: added.url }) : q.done === 'removed' ? w.removed : null;
    return show(page, reply, { notice, revealed: added && secret !== null ? { endpoint: added, secret } : null });
  });

  app.post('/admin/webhooks', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const form = readForm(ctx, request, reply, request.body, ['events']);
    if (!form) return reply;
    const values = { url: form.url ?? '', description: form.description ?? '', events: (form.events ?? '').split(' ').filter((e) => e !== '') };
    try {
      const { endpoint, secret } = await ctx.webhooks.create(values, by(page, request));
      revealOnce(ctx, reply, 'webhook_secret', endpoint.id, page.user.id, secret);
      return redirectWithNotice(reply, `/admin/webhooks?endpoint=${endpoint.id}`, 'added');
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return show(page, reply, { values, error: err.message }, 400);
    }
  });

  app.get<{ Params: { id: string } }>('/admin/webhooks/:id', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const endpoint = await ctx.webhooks.get(request.params.id.slice(0, 40));
    if (!endpoint) return notFound(page.msgs, reply);
    const q = request.query as Record<string, unknown>;
    const before = typeof q.before === 'string' ? q.before.slice(0, 100) : undefined;
    const deliveries = await ctx.webhooks.deliveries(endpoint.id, { limit: LOG_PAGE + 1, ...(before ? { beforeId: before } : {}) });
    const w = page.msgs.webhooks;
    const notice = { enabled: w.enabledNotice, disabled: w.disabledByOperator, redelivered: w.redelivered }[String(q.done) as 'enabled'] ?? null;
    return sendPage(reply, adminWebhookLogPage({
      ...page, endpoint, deliveries: deliveries.slice(0, LOG_PAGE), nextBefore: deliveries.length > LOG_PAGE ? deliveries[LOG_PAGE - 1]!.id : null, notice,
    }));
  });

  for (const action of ['enable', 'disable'] as const) {
    app.post<{ Params: { id: string } }>(`/admin/webhooks/:id/${action}`, async (request, reply) => {
      const got = await endpointForm(request, reply);
      if (!got) return reply;
      const [page, , endpoint] = got;
      await ctx.webhooks.setEnabled(endpoint.id, action === 'enable', by(page, request));
      return redirectWithNotice(reply, `/admin/webhooks/${endpoint.id}`, `${action}d`);
    });
  }

  app.post<{ Params: { id: string } }>('/admin/webhooks/:id/remove', async (request, reply) => {
    const got = await endpointForm(request, reply);
    if (!got) return reply;
    const [page, form, endpoint] = got;
    const w = page.msgs.webhooks;
    if (!confirmed(page, reply, form, {
      title: format(w.removeConfirmTitle, { url: endpoint.url }), text: w.removeConfirmText,
      action: `/admin/webhooks/${endpoint.id}/remove`, confirmLabel: w.remove, cancelHref: '/admin/webhooks',
    })) return reply;
    await ctx.webhooks.remove(endpoint.id, by(page, request));
    return redirectWithNotice(reply, '/admin/webhooks', 'removed');
  });

  app.post<{ Params: { id: string } }>('/admin/webhooks/:id/redeliver', async (request, reply) => {
    const got = await endpointForm(request, reply);
    if (!got) return reply;
    const [page, form, endpoint] = got;
    const delivery = form.delivery ? await ctx.storage.webhooks.findWebhookDelivery(form.delivery.slice(0, 100)) : null;
    if (!delivery || delivery.endpointId !== endpoint.id) return notFound(page.msgs, reply);
    await ctx.webhooks.redeliver(delivery.id, by(page, request));
    return redirectWithNotice(reply, `/admin/webhooks/${endpoint.id}`, 'redelivered');
  });
};
