/**
 * /admin, for operators (`--admin` users, docs/protocol.md §10): users (search, view,
 * block, unblock, reset password, end every session and token, roles), apps
 * (search, block, unblock, mark first-party) and the audit log. Anyone else
 * gets the same 404 as for a page that does not exist.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { secondFactorsOf } from '../../accounts/second-factors.js';
import { adminOf, USER_ACTIONS, type UserAction } from '../../admin/admin.js';
import { isClientId } from '../../apps/apps.js';
import { listAuditEntries } from '../../audit/audit-log.js';
import type { Context } from '../../context.js';
import { InputError } from '../../errors.js';
import { adminAppPage, adminAppsPage, adminAuditPage, adminUserPage, adminUsersPage } from '../../pages/admin-pages.js';
import { adminMailPage } from '../../pages/mail-pages.js';
import { format } from '../../pages/messages/en.js';
import type { AuditEntry, UserRecord } from '../../storage/storage.js';
import type { ClientId, UserId } from '../../types.js';
import { sendPage } from '../render.js';
import { revealOnce, takeRevealed } from '../reveal-once.js';
import { confirmed, notFound, operatorPage, readForm, redirectWithNotice, type PageContext } from '../signed-in.js';

const PAGE_SIZE = 100;
/** Actions that take something away: asked again before they happen. */
const CONFIRMED_ACTIONS: readonly UserAction[] = ['block', 'revoke', 'reset_password', 'remove_admin', 'reset_two_step'];

/** What an operator does to an app on /admin/apps, and the notice each leaves. */
const APP_ACTIONS = ['block', 'unblock', 'first-party', 'third-party'] as const;
const APP_NOTICES = { block: 'appBlocked', unblock: 'appUnblocked', 'first-party': 'appFirstParty', 'third-party': 'appThirdParty' } as const;

const text = (value: unknown, max: number) => (typeof value === 'string' ? value.trim().slice(0, max) : '');

/** The logins of the users the entries name (as actor or subject). */
async function loginsOf(storage: Context['storage'], entries: AuditEntry[]): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const e of entries) {
    if (e.actorType === 'user' && e.actorId) ids.add(e.actorId);
    if (e.userId) ids.add(e.userId);
  }
  const logins = new Map<string, string>();
  for (const id of ids) {
    const user = /^\d{1,32}$/.test(id) ? await storage.findUserById(id as UserId) : null;
    if (user) logins.set(id, user.login);
  }
  return logins;
}

export const adminRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const admin = adminOf(ctx);

  const operator = (request: FastifyRequest, reply: FastifyReply): Promise<PageContext | null> => operatorPage(ctx, request, reply);

  async function findUser(id: string): Promise<UserRecord | null> {
    return /^\d{1,32}$/.test(id) ? ctx.storage.findUserById(id as UserId) : null;
  }

  async function showUser(page: PageContext, reply: FastifyReply, user: UserRecord, extra: { notice?: string | null; error?: string | null; newPassword?: string | null } = {}, status = 200) {
    const now = ctx.clock();
    const [apps, sessions, tokens, audit, factors, passkeys] = await Promise.all([
      ctx.storage.listApps({ ownerId: user.id }),
      ctx.storage.listSessionsOfUser(user.id, now),
      ctx.storage.listTokens({ userId: user.id, type: 'access', activeAt: now, limit: 10_000 }),
      ctx.storage.listAudit({ userId: user.id, limit: 50 }),
      secondFactorsOf(ctx, user.id),
      ctx.passkeys.list(user.id),
    ]);
    return sendPage(reply, adminUserPage({
      ...page, user, apps, sessions, passkeys, activeTokens: tokens.length, audit, logins: await loginsOf(ctx.storage, audit),
      notice: extra.notice ?? null, error: extra.error ?? null, newPassword: extra.newPassword ?? null, self: user.id === page.user.id,
      signInLocked: await ctx.signInGuard.needsReset(user.login), factors,
    }), status);
  }

  app.get('/admin', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const query = text((request.query as Record<string, unknown>).q, 100);
    const users = await ctx.storage.listUsers({ search: query, limit: PAGE_SIZE });
    return sendPage(reply, adminUsersPage({ ...page, query, users }));
  });

  app.get<{ Params: { id: string } }>('/admin/users/:id', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const user = await findUser(request.params.id);
    if (!user) return notFound(page.msgs, reply);
    const done = (request.query as Record<string, unknown>).done;
    const action = USER_ACTIONS.find((a) => a === done);
    const newPassword = takeRevealed(ctx, request, reply, 'reset_password', user.id, page.user.id);
    reply.header('Cache-Control', 'no-store');
    return showUser(page, reply, user, {
      notice: action ? page.msgs.admin.done[action] : done === 'passkeyRemoved' ? page.msgs.passkeys.done.passkeyRemoved : null,
      ...(newPassword !== null ? { newPassword } : {}),
    });
  });

  /** Removes one of a user's passkeys (a lost phone, a key in the wrong hands), confirmed first; never shows key material. */
  app.post<{ Params: { id: string } }>('/admin/users/:id/passkeys/remove', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const user = await findUser(request.params.id);
    if (!user) return notFound(page.msgs, reply);
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const passkey = form.passkey ? (await ctx.passkeys.list(user.id)).find((p) => p.id === form.passkey) : undefined;
    if (!passkey) return notFound(page.msgs, reply);
    const k = page.msgs.passkeys;
    if (!confirmed(page, reply, form, {
      title: format(k.removeConfirmTitle, { name: passkey.name }), text: k.adminRemoveConfirmText,
      action: `/admin/users/${user.id}/passkeys/remove`, confirmLabel: k.remove, cancelHref: `/admin/users/${user.id}`,
    })) return reply;
    if (!(await ctx.passkeys.remove(user.id, passkey.id, { type: 'operator' }, request.ip))) return notFound(page.msgs, reply);
    return redirectWithNotice(reply, `/admin/users/${user.id}`, 'passkeyRemoved');
  });

  app.post<{ Params: { id: string; action: string } }>('/admin/users/:id/:action', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const user = await findUser(request.params.id);
    const action = USER_ACTIONS.find((a) => a === request.params.action);
    if (!user || !action) return notFound(page.msgs, reply);
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const ad = page.msgs.admin;
    if (CONFIRMED_ACTIONS.includes(action)) {
      const [title, body]: [string, string] = {
        block: [ad.confirmBlockUser, ad.confirmBlockUserText] as [string, string],
        revoke: [ad.confirmRevokeAll, ad.confirmRevokeAllText] as [string, string],
        reset_password: [ad.confirmReset, ad.confirmResetText] as [string, string],
        remove_admin: [ad.confirmRemoveAdmin, ad.confirmRemoveAdminText] as [string, string],
        reset_two_step: [page.msgs.twoStep.adminConfirmReset, page.msgs.twoStep.adminConfirmResetText] as [string, string],
      }[action as 'block' | 'revoke' | 'reset_password' | 'remove_admin' | 'reset_two_step'];
      const label = { block: ad.block, revoke: ad.revokeAll, reset_password: ad.resetPassword, remove_admin: ad.removeAdmin, reset_two_step: page.msgs.twoStep.adminReset }[action as 'block'];
      if (!confirmed(page, reply, form, {
        title: format(title, { login: user.login }), text: body, action: `/admin/users/${user.id}/${action}`,
        confirmLabel: label, cancelHref: `/admin/users/${user.id}`,
      })) return reply;
    }
    let password: string | null;
    try {
      password = await admin.actOnUser({ type: 'user', id: page.user.id }, user, action, request.ip);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return showUser(page, reply, user, { error: ad.errSelf }, 400);
    }
    // Post/redirect/get: the user's page shows a new password once (src/http/reveal-once.ts); a reload resets nothing.
    if (password !== null) revealOnce(ctx, reply, 'reset_password', user.id, page.user.id, password);
    return redirectWithNotice(reply, `/admin/users/${user.id}`, action);
  });

  app.get('/admin/apps', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const q = request.query as Record<string, unknown>;
    const query = text(q.q, 100);
    const apps = await ctx.storage.listApps({ search: query, limit: PAGE_SIZE });
    const owners = new Map<string, string | null>();
    for (const a of apps) {
      if (a.ownerId && !owners.has(a.ownerId)) owners.set(a.ownerId, (await ctx.storage.findUserById(a.ownerId))?.login ?? null);
    }
    const doneFor = typeof q.app === 'string' && isClientId(q.app) ? await ctx.storage.findApp(q.app as ClientId) : null;
    const done = APP_ACTIONS.find((a) => a === q.done);
    const notice = doneFor && done ? format(page.msgs.admin[APP_NOTICES[done]], { app: doneFor.name }) : null;
    return sendPage(reply, adminAppsPage({ ...page, query, notice, apps: apps.map((a) => ({ ...a, ownerLogin: a.ownerId ? owners.get(a.ownerId) ?? null : null })) }));
  });

  app.get<{ Params: { id: string } }>('/admin/apps/:id', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const { id } = request.params;
    const target = isClientId(id) ? await ctx.storage.findApp(id) : null;
    if (!target) return notFound(page.msgs, reply);
    const [owner, stats, audit] = await Promise.all([
      target.ownerId !== null ? ctx.storage.findUserById(target.ownerId) : null,
      ctx.storage.appTokenStats(target.clientId, ctx.clock()),
      ctx.storage.listAudit({ clientId: target.clientId, limit: 50 }),
    ]);
    const done = APP_ACTIONS.find((a) => a === (request.query as Record<string, unknown>).done);
    return sendPage(reply, adminAppPage({
      ...page, app: target, ownerLogin: owner?.login ?? null, stats, audit, logins: await loginsOf(ctx.storage, audit),
      notice: done ? format(page.msgs.admin[APP_NOTICES[done]], { app: target.name }) : null,
    }));
  });

  app.post<{ Params: { id: string; action: string } }>('/admin/apps/:id/:action', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const { id } = request.params;
    const target = isClientId(id) ? await ctx.storage.findApp(id) : null;
    const action = APP_ACTIONS.find((a) => a === request.params.action);
    if (!target || !action) return notFound(page.msgs, reply);
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const ad = page.msgs.admin;
    // Blocking takes the app away from its users; the first-party mark hands it the provider's own domain: both are asked first.
    const ask = action === 'block' ? { title: ad.confirmBlockApp, text: ad.confirmBlockAppText, label: ad.block }
      : action === 'first-party' ? { title: ad.confirmFirstParty, text: ad.confirmFirstPartyText, label: ad.markFirstParty }
      : null;
    if (ask && !confirmed(page, reply, form, {
      title: format(ask.title, { app: target.name }), text: ask.text,
      action: `/admin/apps/${target.clientId}/${action}`, confirmLabel: ask.label, cancelHref: form.back === 'app' ? `/admin/apps/${target.clientId}` : '/admin/apps',
    })) return reply;
    if (action === 'block' || action === 'unblock') await admin.setAppBlocked({ type: 'user', id: page.user.id }, target, action === 'block', request.ip);
    else await admin.setAppFirstParty({ type: 'user', id: page.user.id }, target, action === 'first-party', request.ip);
    // Back where the operator was: the app's own page, or the list showing it.
    if (form.back === 'app') return redirectWithNotice(reply, `/admin/apps/${target.clientId}`, action);
    return reply.redirect(`/admin/apps?${new URLSearchParams({ q: target.clientId, app: target.clientId, done: action }).toString()}`, 303);
  });

  /** The outbox: the latest mails and what became of them; without SMTP, their text and links (issue 16). */
  app.get('/admin/mail', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const mails = await ctx.storage.mail.listMails({ limit: PAGE_SIZE });
    const entries = mails.map((mail) => ({ mail, text: ctx.mail.body(mail)?.text ?? null }));
    return sendPage(reply, adminMailPage({ ...page, entries, smtp: ctx.mail.transport === 'smtp', issuer: ctx.config.issuer }));
  });

  app.get('/admin/audit', async (request, reply) => {
    const page = await operator(request, reply);
    if (!page) return reply;
    const q = request.query as Record<string, unknown>;
    const login = text(q.login, 64);
    const before = text(q.before, 40);
    const entries = await listAuditEntries(ctx, { limit: PAGE_SIZE, ...(login ? { login } : {}), ...(before ? { beforeId: before } : {}) });
    const nextBefore = entries.length === PAGE_SIZE ? entries[entries.length - 1]!.id : null;
    return sendPage(reply, adminAuditPage({ ...page, entries, logins: await loginsOf(ctx.storage, entries), login, nextBefore }));
  });
};
