/**
 * /admin/settings: the organisation's name, colour, support contact, terms
 * and privacy links, and logo (src/organisation/organisation.ts), for operators.
 * Anyone else gets the same 404 as for a page that does not exist.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Context } from '../../context.js';
import { InputError } from '../../errors.js';
import { ORGANISATION_FIELDS, type OrganisationField } from '../../organisation/organisation.js';
import { organisationPage } from '../../pages/setup-pages.js';
import { sendPage } from '../render.js';
import { operatorPage, readForm, redirectWithNotice, type PageContext } from '../signed-in.js';
import { acceptUploads, pictureRefusal, readUpload } from '../uploads.js';

const NOTICES = ['saved', 'logoSaved', 'logoRemoved'] as const;

export const organisationRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  await acceptUploads(app);

  async function show(page: PageContext, reply: FastifyReply, extra: { values?: Record<OrganisationField, string>; welcome?: boolean; notice?: string | null; error?: string | null } = {}, status = 200) {
    const current = await ctx.organisation.values();
    const values = extra.values ?? Object.fromEntries(ORGANISATION_FIELDS.map((f) => [f, current[f]])) as Record<OrganisationField, string>;
    return sendPage(reply, organisationPage({
      ...page, values, logoUrl: current.logo || null, welcome: extra.welcome ?? false, notice: extra.notice ?? null, error: extra.error ?? null,
    }), status);
  }

  app.get('/admin/settings', async (request, reply) => {
    const page = await operatorPage(ctx, request, reply);
    if (!page) return reply;
    const q = request.query as Record<string, unknown>;
    const notice = NOTICES.find((n) => n === q.done);
    return show(page, reply, { welcome: q.welcome === '1', notice: notice ? page.msgs.organisation[notice] : null });
  });

  app.post('/admin/settings', async (request, reply) => {
    const page = await operatorPage(ctx, request, reply);
    if (!page) return reply;
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const values = Object.fromEntries(ORGANISATION_FIELDS.map((f) => [f, (form[f] ?? '').slice(0, 600)])) as Record<OrganisationField, string>;
    try {
      await ctx.organisation.save(values, { type: 'user', id: page.user.id }, request.ip);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return show(page, reply, { values, error: err.message }, 400);
    }
    return redirectWithNotice(reply, '/admin/settings', 'saved');
  });

  app.post('/admin/settings/logo', async (request, reply) => {
    const page = await operatorPage(ctx, request, reply);
    if (!page) return reply;
    const upload = await readUpload(request);
    const form = readForm(ctx, request, reply, upload.fields);
    if (!form) return reply;
    if (upload.tooLarge || !upload.file) return show(page, reply, { error: page.msgs.organisation.errLogo }, 400);
    try {
      await ctx.organisation.setLogo(upload.file, page.user.id, request.ip);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const refusal = pictureRefusal(err, page.msgs, page.msgs.organisation.errLogo);
      if (refusal.retryAfterSeconds !== null) reply.header('Retry-After', String(refusal.retryAfterSeconds));
      return show(page, reply, { error: refusal.text }, refusal.status);
    }
    return redirectWithNotice(reply, '/admin/settings', 'logoSaved');
  });

  app.post('/admin/settings/logo/remove', async (request, reply) => {
    const page = await operatorPage(ctx, request, reply);
    if (!page) return reply;
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    await ctx.organisation.removeLogo(page.user.id, request.ip);
    return redirectWithNotice(reply, '/admin/settings', 'logoRemoved');
  });
};
