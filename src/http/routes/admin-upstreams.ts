/**
 * /admin/upstreams: the identity providers users sign in through, for
 * operators: the same service as `gatehouse upstream …` (src/upstreams/upstreams.ts),
 * so the same validation and audit log. Anyone else gets the 404 of /admin.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { InputError } from '../../errors.js';
import { format } from '../../pages/messages/en.js';
import { adminUpstreamsPage } from '../../pages/upstream-pages.js';
import type { UpstreamKind, UpstreamRecord } from '../../storage/upstream-store.js';
import { UPSTREAM_KINDS } from '../../upstreams/upstreams.js';
import { sendPage } from '../render.js';
import { confirmed, notFound, operatorPage, readForm, redirectWithNotice, type PageContext } from '../signed-in.js';

/** A form field as typed, or undefined when left empty (the service then keeps or defaults it). */
const filled = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

export const adminUpstreamRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const operator = (request: FastifyRequest, reply: FastifyReply) => operatorPage(ctx, request, reply);

  /** The operator's page, their form and the provider it names; null once the reply is sent (sign-in, CSRF, 404). */
  async function providerForm(request: FastifyRequest, reply: FastifyReply): Promise<[PageContext, Record<string, string | undefined>, UpstreamRecord] | null> {
    const page = await operator(request, reply);
    if (!page) return null;
    const form = readForm(ctx, request, reply);
    if (!form) return null;
    const u = await ctx.upstreams.find(form.name ?? '');
    if (!u) {
      notFound(page.msgs, reply);
      return null;
    }
    return [page, form, u];
  }

  async function show(page: PageContext, reply: FastifyReply, extra: { notice?: string | null; error?: string | null } = {}, status = 200) {
    return sendPage(reply, adminUpstreamsPage({
      ...page, upstreams: await ctx.upstreams.list(), redirectUri: (name) => ctx.upstreams.redirectUri(name), notice: extra.notice ?? null, error: extra.error ?? null,
    }), status);
  }

  app.get('/admin/upstreams', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const q = request.query as Record<string, unknown>;
    const name = typeof q.upstream === 'string' ? q.upstream.slice(0, 40) : '';
    const notice = q.done === 'added' ? format(page.msgs.upstreams.adminAdded, { name })
      : q.done === 'updated' ? format(page.msgs.upstreams.adminUpdated, { name })
      : q.done === 'removed' ? format(page.msgs.upstreams.adminRemoved, { name }) : null;
    return show(page, reply, { notice });
  });

  app.post('/admin/upstreams', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const kind = (UPSTREAM_KINDS as readonly string[]).includes(form.kind ?? '') ? (form.kind as UpstreamKind) : 'oidc';
    try {
      const added = await ctx.upstreams.add({
        name: form.name ?? '', kind, displayName: filled(form.display_name), issuer: filled(form.issuer), clientId: filled(form.client_id),
        clientSecret: form.client_secret, scope: filled(form.scope), linkVerifiedEmail: form.link_verified_email === '1',
      }, { type: 'user', id: page.user.id }, request.ip);
      return redirectWithNotice(reply, `/admin/upstreams?upstream=${encodeURIComponent(added.name)}`, 'added');
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return show(page, reply, { error: err.message }, 400);
    }
  });

  /** Changes a provider: the same service and checks as `gatehouse upstream update`; an empty secret keeps the one stored. */
  app.post('/admin/upstreams/update', async (request, reply) => {
    const got = await providerForm(request, reply);
    if (!got) return reply;
    const [page, form, u] = got;
    try {
      await ctx.upstreams.update(u.name, {
        displayName: filled(form.display_name), issuer: filled(form.issuer), clientId: filled(form.client_id),
        clientSecret: filled(form.client_secret), scope: filled(form.scope), linkVerifiedEmail: form.link_verified_email === '1',
      }, { type: 'user', id: page.user.id }, request.ip);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return show(page, reply, { error: err.message }, 400);
    }
    return redirectWithNotice(reply, `/admin/upstreams?upstream=${encodeURIComponent(u.name)}`, 'updated');
  });

  app.post('/admin/upstreams/remove', async (request, reply) => {
    const got = await providerForm(request, reply);
    if (!got) return reply;
    const [page, form, u] = got;
    const m = page.msgs.upstreams;
    if (!confirmed(page, reply, form, {
      title: format(m.adminRemoveConfirmTitle, { name: u.displayName }), text: m.adminRemoveConfirmText,
      action: '/admin/upstreams/remove', confirmLabel: m.adminRemove, cancelHref: '/admin/upstreams',
    })) return reply;
    await ctx.upstreams.remove(u.name, { type: 'user', id: page.user.id }, request.ip);
    return redirectWithNotice(reply, `/admin/upstreams?upstream=${encodeURIComponent(u.name)}`, 'removed');
  });
};
