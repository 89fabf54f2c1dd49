/**
 * /account (docs/protocol.md §10): a person's profile, avatar, password, the apps and
 * devices they gave access to, where they are signed in, a copy of their
 * data and the deletion of their account. Every form carries the CSRF token;
 * revoking and signing out everywhere are confirmed first, deleting needs the
 * password and a ticked box; every change answers with a redirect
 * (post/redirect/get).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AccountDeletionRefused, accountData, deleteAccount } from '../../accounts/account-data.js';
import { accessOverview, ProfileError, Profiles, type ProfileInput } from '../../accounts/profile.js';
import { secondFactorsOf, twoStepRequired } from '../../accounts/second-factors.js';
import { isClientId } from '../../apps/apps.js';
import type { Context } from '../../context.js';
import { mailLanguage } from '../../mail/templates.js';
import { InputError } from '../../errors.js';
import { messagePage } from '../../pages/account-pages.js';
import { identitiesSection } from '../../pages/upstream-pages.js';
import { accountPage, profileValues, sessionHandle, type AccountPageOptions, type ProfileValues } from '../../pages/account-page.js';
import { format } from '../../pages/messages/en.js';
import type { ClientId } from '../../types.js';
import { knownDevice } from '../device-cookie.js';
import { messagesFor, sendPage } from '../render.js';
import { signOut } from '../session.js';
import { confirmed, notFound, readForm, redirectWithNotice, signedInPage, type PageContext } from '../signed-in.js';
import { passkeyScript } from './accounts.js';
import { acceptUploads, pictureRefusal, readUpload } from '../uploads.js';

/** How recent the sign-in of an account without a password must be to delete it. */
const RECENT_SIGN_IN_MS = 10 * 60 * 1000;

type Notice = 'profileSaved' | 'avatarSaved' | 'avatarRemoved' | 'passwordChanged' | 'accessRevoked' | 'deviceRevoked' | 'sessionEnded' | 'signedOutEverywhere';
const NOTICES: readonly Notice[] = ['profileSaved', 'avatarSaved', 'avatarRemoved', 'passwordChanged', 'accessRevoked', 'deviceRevoked', 'sessionEnded', 'signedOutEverywhere'];

/** Notices of the address confirmation forms (routes/address-confirmation.ts). */
const MAIL_NOTICES = ['confirmationSent', 'confirmationLimited'] as const;
/** Notices of the two-step forms (routes/two-step-account.ts). */
const TWO_STEP_NOTICES = ['twoStepOff'] as const;
/** Notices and errors of the passkey forms (routes/passkeys.ts). */
const PASSKEY_NOTICES = ['passkeyAdded', 'passkeyRenamed', 'passkeyRemoved'] as const;
const PASSKEY_PROBLEMS = ['errName', 'errAddFailed', 'errAlreadyRegistered'] as const;

const PROBLEM_MESSAGES = {
  name: 'errName', email: 'errEmail', tooManyEmails: 'errTooManyEmails', birthday: 'errBirthday', phone: 'errPhone', sex: 'errSex',
} as const;

export const accountPageRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  await acceptUploads(app);
  const profiles = new Profiles(ctx.storage, ctx.clock, ctx.pictures);

  async function render(page: PageContext, reply: FastifyReply, extra: { values?: ProfileValues; notice?: string | null; error?: AccountPageOptions['error']; status?: number } = {}) {
    // The user as stored now: a change just made shows.
    const user = (await ctx.storage.findUserById(page.user.id)) ?? page.user;
    const now = ctx.clock();
    const [{ apps, devices }, sessions, factors, passkeys, identities, upstreams] = await Promise.all([
      accessOverview(ctx.storage, user.id, now), ctx.storage.listSessionsOfUser(user.id, now), secondFactorsOf(ctx, user.id), ctx.passkeys.list(user.id),
      ctx.storage.upstreams.listIdentities(user.id), ctx.upstreams.list(),
    ]);
    return sendPage(reply, accountPage({
      msgs: page.msgs,
      nav: page.nav,
      csrf: page.csrf,
      here: page.here,
      user,
      values: extra.values ?? profileValues(user),
      apps,
      devices,
      sessions,
      currentSession: page.signedIn.session.hash,
      notice: extra.notice ?? null,
      error: extra.error ?? null,
      twoStep: { on: factors.totp, recoveryCodesLeft: factors.recoveryCodesLeft, required: twoStepRequired(ctx.config, user) },
      passkeys,
      passkeyScript: passkeyScript(ctx),
      identities: identitiesSection({ msgs: page.msgs, csrf: page.csrf, identities, upstreams, error: extra.error?.section === 'identities' ? extra.error.text : null }),
    }), extra.status ?? 200);
  }

  /**
   * The entry of a change made here. Each change and its entry are written in
   * one unit of work (Storage.atomically): webhooks announce most of them, and
   * an event must exist exactly when its change does.
   */
  const audit = (page: PageContext, request: FastifyRequest, action: 'user_updated' | 'password_changed' | 'token_revoked' | 'data_exported', details: Record<string, string | boolean>, clientId: ClientId | null = null) =>
    ctx.audit.record({ action, actor: { type: 'user', id: page.user.id }, clientId, ip: request.ip, details });

  app.get('/account', async (request, reply) => {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return reply;
    const { done, problem } = request.query as Record<string, unknown>;
    const notice = NOTICES.find((n) => n === done);
    const mailNotice = MAIL_NOTICES.find((n) => n === done);
    const twoStepNotice = TWO_STEP_NOTICES.find((n) => n === done);
    const passkeyNotice = PASSKEY_NOTICES.find((n) => n === done);
    const passkeyProblem = PASSKEY_PROBLEMS.find((n) => n === problem);
    const upstreamNotice = await upstreamNoticeOf(page, request.query as Record<string, unknown>);
    return render(page, reply, {
      notice: notice ? page.msgs.account[notice] : mailNotice ? page.msgs.mail[mailNotice] : twoStepNotice ? page.msgs.twoStep.notice[twoStepNotice]! : passkeyNotice ? page.msgs.passkeys.done[passkeyNotice] : upstreamNotice,
      error: passkeyProblem ? { section: 'passkeys', text: page.msgs.passkeys[passkeyProblem] }
        : problem === 'upstream_last_way' ? { section: 'identities', text: page.msgs.upstreams.lastWay } : null,
    });
  });

  /** "Linked" and "unlinked" of the identities section (routes/upstreams.ts), naming the provider. */
  async function upstreamNoticeOf(page: PageContext, q: Record<string, unknown>): Promise<string | null> {
    if (q.done !== 'upstream_linked' && q.done !== 'upstream_unlinked') return null;
    const u = typeof q.upstream === 'string' ? await ctx.upstreams.find(q.upstream) : null;
    const name = u?.displayName ?? (typeof q.upstream === 'string' ? q.upstream.slice(0, 40) : '');
    return format(q.done === 'upstream_linked' ? page.msgs.upstreams.linked : page.msgs.upstreams.unlinked, { name });
  }

  /** The signed-in page and its form, or null when the reply has been sent. */
  async function formOf(request: FastifyRequest, reply: FastifyReply, body: unknown = request.body): Promise<[PageContext, Record<string, string | undefined>] | null> {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return null;
    const form = readForm(ctx, request, reply, body);
    return form ? [page, form] : null;
  }

  app.post('/account/profile', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    const input: ProfileInput = {
      firstName: form.first_name ?? '', lastName: form.last_name ?? '', displayName: form.display_name ?? '', emails: form.emails ?? '',
      defaultEmail: form.default_email ?? '', birthday: form.birthday ?? '', sex: form.sex ?? '', phone: form.phone ?? '',
    };
    try {
      await ctx.storage.atomically(async () => {
        const added = await profiles.update(page.user, input);
        await audit(page, request, 'user_updated', { fields: 'profile' });
        // New addresses are released only once confirmed: each gets its link (src/accounts/addresses.ts), mailed once the unit commits.
        for (const address of added) await ctx.addresses.send(page.user.id, address, mailLanguage(page.msgs.lang), { type: 'user', id: page.user.id }, request.ip);
      });
    } catch (err) {
      if (!(err instanceof ProfileError)) throw err;
      return render(page, reply, { values: input, error: { section: 'profile', text: page.msgs.account[PROBLEM_MESSAGES[err.problem]] }, status: 400 });
    }
    return redirectWithNotice(reply, '/account', 'profileSaved');
  });

  app.post('/account/avatar', async (request, reply) => {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return reply;
    const upload = await readUpload(request);
    const form = readForm(ctx, request, reply, upload.fields);
    if (!form) return reply;
    const refuse = (text = page.msgs.account.errPicture, status = 400) => render(page, reply, { error: { section: 'avatar', text }, status });
    if (upload.tooLarge || !upload.file) return refuse();
    try {
      await profiles.setAvatar(page.user, upload.file, () => audit(page, request, 'user_updated', { fields: 'avatar' }));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const refusal = pictureRefusal(err, page.msgs, page.msgs.account.errPicture);
      if (refusal.retryAfterSeconds !== null) reply.header('Retry-After', String(refusal.retryAfterSeconds));
      return refuse(refusal.text, refusal.status);
    }
    return redirectWithNotice(reply, '/account', 'avatarSaved');
  });

  app.post('/account/avatar/remove', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    await ctx.storage.atomically(async () => {
      await profiles.removeAvatar(got[0].user);
      await audit(got[0], request, 'user_updated', { fields: 'avatar' });
    });
    return redirectWithNotice(reply, '/account', 'avatarRemoved');
  });

  /**
   * Null when `password` is the signed-in user's, else what to say. It goes
   * through the sign-in guard: a stolen session cannot guess it faster than
   * /login could.
   */
  async function passwordRefusal(page: PageContext, request: FastifyRequest, password: string | undefined): Promise<{ text: string; status: number } | null> {
    const check = await ctx.signInGuard.signIn(page.user.login, password ?? '', request.ip, knownDevice(ctx, request, page.user.login));
    if (check.ok && check.user.id === page.user.id) return null;
    if (check.ok || check.reason === 'bad_credentials') return { text: page.msgs.account.errPasswordWrong, status: 400 };
    if (check.reason === 'needs_reset') return { text: page.msgs.signInNeedsReset, status: 429 };
    return { text: format(page.msgs.tooManySignIns, { minutes: String(Math.ceil(check.retryAfterSeconds / 60)) }), status: 429 };
  }

  app.post('/account/password', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    const a = page.msgs.account;
    const wrong = await passwordRefusal(page, request, form.current_password);
    if (wrong) return render(page, reply, { error: { section: 'password', text: wrong.text }, status: wrong.status });
    try {
      await ctx.users.changePassword(page.user, form.new_password ?? '', {
        keepSession: page.signedIn.session.hash,
        record: () => audit(page, request, 'password_changed', { by: 'user' }),
      });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return render(page, reply, { error: { section: 'password', text: a.errPasswordShort }, status: 400 });
    }
    return redirectWithNotice(reply, '/account', 'passwordChanged');
  });

  /** An app the user may revoke: one they consented to or hold tokens of. */
  async function grantedApp(page: PageContext, clientId: string | undefined) {
    if (!clientId || !isClientId(clientId)) return null;
    const { apps, devices } = await accessOverview(ctx.storage, page.user.id, ctx.clock());
    return { app: apps.find((g) => g.clientId === clientId) ?? null, devices: devices.filter((d) => d.clientId === clientId) };
  }

  app.post('/account/apps/revoke', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    const found = await grantedApp(page, form.client_id);
    if (!found?.app) return notFound(page.msgs, reply);
    const a = page.msgs.account;
    const vars = { app: found.app.name };
    if (!confirmed(page, reply, form, {
      title: format(a.revokeConfirmTitle, vars), text: format(a.revokeConfirmText, vars),
      action: '/account/apps/revoke', confirmLabel: a.revokeAccess, cancelHref: '/account#apps',
    })) return reply;
    const { clientId } = found.app;
    await ctx.storage.atomically(async () => {
      await profiles.revokeApp(page.user.id, clientId);
      // Taking an app's access away withdraws the consent too (webhooks announce both, src/webhooks/events.ts).
      await audit(page, request, 'token_revoked', { reason: 'access revoked on /account', consent: 'revoked' }, clientId);
    });
    return redirectWithNotice(reply, '/account', 'accessRevoked');
  });

  app.post('/account/devices/revoke', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    const found = await grantedApp(page, form.client_id);
    const device = found?.devices.find((d) => d.deviceId === form.device_id);
    if (!device) return notFound(page.msgs, reply);
    const a = page.msgs.account;
    const vars = { device: device.deviceName ?? device.deviceId, app: device.appName };
    if (!confirmed(page, reply, form, {
      title: format(a.deviceConfirmTitle, vars), text: format(a.deviceConfirmText, vars),
      action: '/account/devices/revoke', confirmLabel: a.revokeDevice, cancelHref: '/account#devices',
    })) return reply;
    await ctx.storage.atomically(async () => {
      await profiles.revokeDevice(page.user.id, device.clientId, device.deviceId);
      await audit(page, request, 'token_revoked', { reason: 'device signed out on /account', device: device.deviceName ?? device.deviceId }, device.clientId);
    });
    return redirectWithNotice(reply, '/account', 'deviceRevoked');
  });

  app.post('/account/sessions/end', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    const sessions = await ctx.storage.listSessionsOfUser(page.user.id, ctx.clock());
    const session = sessions.find((s) => sessionHandle(s) === form.session && s.hash !== page.signedIn.session.hash);
    if (!session) return notFound(page.msgs, reply);
    await ctx.storage.atomically(async () => {
      await ctx.storage.deleteSession(session.hash);
      await audit(page, request, 'user_updated', { signedOut: 'one other session' });
    });
    return redirectWithNotice(reply, '/account', 'sessionEnded');
  });

  app.post('/account/sign-out-everywhere', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    const a = page.msgs.account;
    if (!confirmed(page, reply, form, {
      title: a.everywhereConfirmTitle, text: a.everywhereConfirmText,
      action: '/account/sign-out-everywhere', confirmLabel: a.signOutEverywhere, cancelHref: '/account#sessions',
    })) return reply;
    await ctx.storage.atomically(async () => {
      await profiles.signOutEverywhere(page.user.id, page.signedIn.session.hash);
      await audit(page, request, 'token_revoked', { reason: 'signed out everywhere on /account' });
    });
    return redirectWithNotice(reply, '/account', 'signedOutEverywhere');
  });

  /** A copy of everything kept about the user (src/accounts/account-data.ts), as a file to keep. */
  app.post('/account/data', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page] = got;
    const user = (await ctx.storage.findUserById(page.user.id)) ?? page.user;
    const data = await accountData(ctx, user);
    await audit(page, request, 'data_exported', {});
    const day = new Date(ctx.clock()).toISOString().slice(0, 10);
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="account-${user.login}-${day}.json"`)
      .header('cache-control', 'no-store')
      .send(`${JSON.stringify(data, null, 2)}\n`);
  });

  /** Erasure of the account by its owner: the password and a ticked box, then everything goes (src/accounts/account-data.ts). */
  app.post('/account/delete', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    const a = page.msgs.account;
    const refuse = (text: string, status = 400) => render(page, reply, { error: { section: 'delete', text }, status });
    if (form.understood !== 'yes') return refuse(a.errDeleteUnconfirmed);
    if (page.user.passwordHash !== null) {
      const wrong = await passwordRefusal(page, request, form.current_password);
      if (wrong) return refuse(wrong.text, wrong.status);
    } else if (page.signedIn.session.authTime < ctx.clock() - RECENT_SIGN_IN_MS) {
      // An account made through another identity provider has no password to ask for: a sign-in of the last minutes stands in for it.
      return refuse(a.errDeleteSignInAgain, 403);
    }
    try {
      await deleteAccount(ctx, page.user, { type: 'user' }, request.ip);
    } catch (err) {
      if (!(err instanceof AccountDeletionRefused)) throw err;
      return refuse(err.problem === 'operator' ? a.errDeleteOperator : format(a.errDeleteOwnsApps, { apps: err.apps.join(', ') }), 409);
    }
    await signOut(ctx, request, reply);
    return reply.redirect('/account/deleted', 303);
  });

  app.get('/account/deleted', async (request, reply) => {
    const msgs = messagesFor(request);
    return sendPage(reply, messagePage(msgs, msgs.account.deletedTitle, msgs.account.deletedText));
  });
};
