/**
 * Two-step sign-in on /account (src/accounts/two-step.ts): setting up an
 * authenticator app (the QR code page, confirmed with a code and the
 * password), the recovery codes shown once, new recovery codes (with a code),
 * and turning it off (with the password and a code). Every form carries the
 * CSRF token; the password goes through the sign-in guard, as for a password
 * change, so a stolen session cannot guess it faster than /login could.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { secondFactorsOf, twoStepRequired } from '../../accounts/second-factors.js';
import type { Context } from '../../context.js';
import { format } from '../../pages/messages/en.js';
import { managePage, qrCodeSvg, recoveryCodesPage, setupPage, type TwoStepState } from '../../pages/two-step-pages.js';
import { knownDevice } from '../device-cookie.js';
import { sendPage } from '../render.js';
import { readForm, redirectWithNotice, signedInPage, type PageContext } from '../signed-in.js';
import { codeMethod, codeRefusal } from './two-step-sign-in.js';

interface Refusal {
  text: string;
  status: number;
}

export const twoStepAccountRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  async function stateOf(page: PageContext): Promise<TwoStepState> {
    const factors = await secondFactorsOf(ctx, page.user.id);
    return { on: factors.totp, recoveryCodesLeft: factors.recoveryCodesLeft, required: twoStepRequired(ctx.config, page.user) };
  }

  async function formOf(request: FastifyRequest, reply: FastifyReply): Promise<[PageContext, Record<string, string | undefined>] | null> {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return null;
    const form = readForm(ctx, request, reply);
    return form ? [page, form] : null;
  }

  async function showManage(page: PageContext, reply: FastifyReply, error: Refusal | null = null) {
    const state = await stateOf(page);
    return sendPage(reply, managePage({ msgs: page.msgs, csrf: page.csrf, nav: page.nav, here: '/account/two-step', login: page.user.login, state, error: error?.text ?? null }), error?.status ?? 200);
  }

  async function showSetup(page: PageContext, reply: FastifyReply, error: Refusal | null = null) {
    const enrolment = await ctx.twoStep.enrolment(page.user);
    if (!enrolment) return reply.redirect('/account/two-step', 303);
    return sendPage(reply, setupPage({
      msgs: page.msgs, csrf: page.csrf, frame: { nav: page.nav, here: '/account/two-step/setup' }, login: page.user.login, enrolment,
      qrSvg: await qrCodeSvg(enrolment.uri), action: '/account/two-step/setup', askPassword: true, required: false, error: error?.text ?? null,
    }), error?.status ?? 200);
  }

  /** The account's password, through the sign-in guard; the refusal to show, or null when it is right. */
  async function passwordRefusal(page: PageContext, request: FastifyRequest, password: string | undefined): Promise<Refusal | null> {
    const check = await ctx.signInGuard.signIn(page.user.login, password ?? '', request.ip, knownDevice(ctx, request, page.user.login));
    if (check.ok && check.user.id === page.user.id) return null;
    if (check.ok || check.reason === 'bad_credentials') return { text: page.msgs.account.errPasswordWrong, status: 400 };
    if (check.reason === 'needs_reset') return { text: page.msgs.signInNeedsReset, status: 429 };
    return { text: format(page.msgs.tooManySignIns, { minutes: String(Math.ceil(check.retryAfterSeconds / 60)) }), status: 429 };
  }

  /** A code of the account (from the app, or a recovery code), counted against its limit; the refusal, or null when it is right. */
  async function codeRefused(page: PageContext, request: FastifyRequest, reply: FastifyReply, code: string | undefined): Promise<Refusal | null> {
    const typed = (code ?? '').slice(0, 40);
    const method = codeMethod(typed);
    const result = await ctx.twoStep.check(page.user, typed, method, request.ip);
    if (result.ok) return null;
    const refusal = codeRefusal(page.msgs, result, method);
    if (refusal.retryAfterSeconds !== null) reply.header('Retry-After', String(refusal.retryAfterSeconds));
    return refusal;
  }

  app.get('/account/two-step', async (request, reply) => {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return reply;
    if (!(await stateOf(page)).on) return reply.redirect('/account/two-step/setup', 302);
    return showManage(page, reply);
  });

  app.get('/account/two-step/setup', async (request, reply) => {
    const page = await signedInPage(ctx, request, reply, 'account');
    if (!page) return reply;
    return showSetup(page, reply);
  });

  app.post('/account/two-step/setup', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    const wrongPassword = await passwordRefusal(page, request, form.password);
    if (wrongPassword) return showSetup(page, reply, wrongPassword);
    const result = await ctx.twoStep.confirm(page.user, (form.code ?? '').slice(0, 40), { type: 'user', id: page.user.id }, request.ip);
    if (!result.ok) {
      const refusal = codeRefusal(page.msgs, result);
      if (refusal.retryAfterSeconds !== null) reply.header('Retry-After', String(refusal.retryAfterSeconds));
      return showSetup(page, reply, refusal);
    }
    // Shown in this answer only: only their hashes are kept.
    return sendPage(reply, recoveryCodesPage({
      msgs: page.msgs, frame: { nav: page.nav, here: '/account/two-step' }, login: page.user.login, codes: result.recoveryCodes,
      continueHref: '/account#two-step', notice: page.msgs.twoStep.notice.twoStepOn,
    }));
  });

  app.post('/account/two-step/recovery-codes', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    if (!(await stateOf(page)).on) return reply.redirect('/account/two-step/setup', 303);
    const refused = await codeRefused(page, request, reply, form.code);
    if (refused) return showManage(page, reply, refused);
    const codes = await ctx.twoStep.regenerateRecoveryCodes(page.user, { type: 'user', id: page.user.id }, request.ip);
    return sendPage(reply, recoveryCodesPage({ msgs: page.msgs, frame: { nav: page.nav, here: '/account/two-step' }, login: page.user.login, codes, continueHref: '/account#two-step' }));
  });

  app.post('/account/two-step/off', async (request, reply) => {
    const got = await formOf(request, reply);
    if (!got) return reply;
    const [page, form] = got;
    const state = await stateOf(page);
    if (!state.on) return redirectWithNotice(reply, '/account', 'twoStepOff');
    if (state.required) return showManage(page, reply, { text: page.msgs.twoStep.requiredByOperator, status: 403 });
    const refused = (await passwordRefusal(page, request, form.password)) ?? (await codeRefused(page, request, reply, form.code));
    if (refused) return showManage(page, reply, refused);
    await ctx.twoStep.turnOff(page.user, { type: 'user', id: page.user.id }, request.ip);
    return redirectWithNotice(reply, '/account', 'twoStepOff');
  });
};
