/**
 * Signing in through other identity providers (src/upstreams/federation.ts):
 *
 * - `GET /upstream/{name}/start`: from the sign-in page's "Continue with …"
 *   (also in the instant-login pop-up); to the upstream's authorization URL.
 * - `GET /upstream/{name}/callback`: the upstream's answer. A known identity
 *   signs in (through the second step when the user has one: a federated
 *   sign-in is one factor); a new one goes to the confirmation page or is
 *   refused when sign-up is closed; every failure is a page saying what
 *   happened.
 * - `GET|POST /upstream/register`: the confirmation page of a new account.
 * - `POST /account/upstreams/link|unlink`: from /account.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { InputError } from '../../errors.js';
import { mailLanguage } from '../../mail/templates.js';
import { isLimited, recordFailure, sourceAddress, sourceNetwork } from '../../oauth/attempts.js';
import { format, type Messages } from '../../pages/messages/en.js';
import { registrationPage, signInHref, upstreamMessagePage } from '../../pages/upstream-pages.js';
import type { UpstreamRecord } from '../../storage/upstream-store.js';
import type { Flow, Outcome } from '../../upstreams/federation.js';
import { UpstreamError, type UpstreamFailure } from '../../upstreams/profile.js';
import { csrfToken } from '../csrf.js';
import { rememberDevice } from '../device-cookie.js';
import { singleValued, type Params } from '../params.js';
import { finishFirstStep } from '../pending-sign-in.js';
import { messagesFor, sendPage } from '../render.js';
import { safeReturnTo } from '../return-to.js';
import { cookieName, cookieOptions, currentSession } from '../session.js';
import { readForm, redirectWithNotice, signedInPage } from '../signed-in.js';
import { answeringBrowser, ceremonyBrowser } from '../webauthn-browser.js';
import { signupOpen } from './accounts.js';

/** The confirmation page's profile is held under this cookie (the upstream's name and a random token). */
const REGISTRATION = 'gatehouse_upstream_signup';

/** The upstream account was linked to another account meanwhile: the new account's unit of work rolls back. */
class LinkedElsewhere extends Error {}

const FAILURE_STATUS: Record<UpstreamFailure, number> = { denied: 403, bad_state: 400, wrong_issuer: 400, invalid_response: 502, unreachable: 502 };

export const upstreamRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const limitKey = (request: FastifyRequest) => `upstream:net:${sourceNetwork(request.ip)}`;

  function query(request: FastifyRequest): Params {
    try {
      return singleValued(request.query);
    } catch {
      return {};
    }
  }

  const displayOf = (v: string | undefined): 'page' | 'popup' => (v === 'popup' ? 'popup' : 'page');

  function page(reply: FastifyReply, msgs: Messages, status: number, title: string, text: string, flow: Pick<Flow, 'returnTo' | 'display'> | null, back: 'sign_in' | 'account' | null = 'sign_in') {
    const display = flow?.display ?? 'page';
    const href = back === 'account' ? '/account' : signInHref(flow?.returnTo ?? '/', display);
    const label = back === 'account' ? msgs.navAccount : msgs.upstreams.backToSignIn;
    return sendPage(reply, upstreamMessagePage(msgs, title, text, { display, back: back ? { href, label } : null }), status);
  }

  function unknown(reply: FastifyReply, msgs: Messages) {
    return page(reply, msgs, 404, msgs.upstreams.unknownTitle, msgs.upstreams.unknown, null);
  }

  function failurePage(reply: FastifyReply, msgs: Messages, u: UpstreamRecord, failure: UpstreamFailure, flow: Flow | null) {
    const m = msgs.upstreams;
    const text = { denied: m.denied, bad_state: m.badState, wrong_issuer: m.wrongIssuer, invalid_response: m.invalidResponse, unreachable: m.unreachable }[failure];
    return page(reply, msgs, FAILURE_STATUS[failure], format(m.errorTitle, { name: u.displayName }), format(text, { name: u.displayName }), flow, flow?.purpose === 'link' ? 'account' : 'sign_in');
  }

  async function tooMany(request: FastifyRequest, reply: FastifyReply, msgs: Messages): Promise<boolean> {
    const limit = ctx.limits.upstreamCallbackPerIp;
    if (!(await isLimited(ctx.storage, ctx.clock, limitKey(request), limit))) return false;
    reply.header('Retry-After', String(Math.ceil(limit.windowMs / 1000)));
    page(reply, msgs, 429, msgs.signIn, format(msgs.upstreams.tooMany, { minutes: String(Math.ceil(limit.windowMs / 60_000)) }), null);
    return true;
  }

  /** To the upstream, after keeping the state for this browser. */
  async function start(request: FastifyRequest, reply: FastifyReply, u: UpstreamRecord, flow: Flow) {
    const msgs = messagesFor(request);
    const limit = ctx.limits.upstreamStartPerIp;
    if ((await recordFailure(ctx.storage, ctx.clock, `upstream:start:${sourceAddress(request.ip)}`, limit)) > limit.max) {
      reply.header('Retry-After', String(Math.ceil(limit.windowMs / 1000)));
      return page(reply, msgs, 429, msgs.signIn, format(msgs.upstreams.tooMany, { minutes: String(Math.ceil(limit.windowMs / 60_000)) }), flow);
    }
    try {
      const url = await ctx.federation.start(u, ceremonyBrowser(ctx, request, reply), flow);
      return reply.header('Cache-Control', 'no-store').redirect(url, 303);
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      request.log.warn({ upstream: u.name, reason: err.message }, 'upstream sign-in could not start');
      return failurePage(reply, msgs, u, err.failure, flow);
    }
  }

  app.get('/upstream/:name/start', async (request, reply) => {
    const msgs = messagesFor(request);
    const u = await ctx.upstreams.find((request.params as { name: string }).name);
    if (!u) return unknown(reply, msgs);
    const q = query(request);
    return start(request, reply, u, { purpose: 'sign_in', returnTo: safeReturnTo(q.return_to), display: displayOf(q.display), userId: null });
  });

  app.get('/upstream/:name/callback', async (request, reply) => {
    const msgs = messagesFor(request);
    const u = await ctx.upstreams.find((request.params as { name: string }).name);
    if (!u) return unknown(reply, msgs);
    if (await tooMany(request, reply, msgs)) return reply;
    const raw = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    let result: Awaited<ReturnType<typeof ctx.federation.callback>>;
    try {
      result = await ctx.federation.callback(u, answeringBrowser(ctx, request), new URLSearchParams(raw));
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      // The user's own "no" and an unreachable upstream are no one's guess; the rest count towards the limit.
      if (err.failure !== 'denied' && err.failure !== 'unreachable') await recordFailure(ctx.storage, ctx.clock, limitKey(request), ctx.limits.upstreamCallbackPerIp);
      if (err.failure !== 'denied') await ctx.federation.auditSignIn(u, null, 'failed', request.ip, err.failure);
      request.log.info({ upstream: u.name, failure: err.failure, reason: err.message }, 'upstream sign-in failed');
      return failurePage(reply, msgs, u, err.failure, null);
    }
    const { profile, flow } = result;
    const signedIn = await currentSession(ctx, request);
    const outcome: Outcome = await ctx.federation.resolve(u, profile, flow, signedIn?.user.id ?? null, await signupOpen(ctx), request.ip);
    const m = msgs.upstreams;
    const name = u.displayName;
    switch (outcome.kind) {
      case 'sign_in':
        rememberDevice(ctx, request, reply, outcome.user.login);
        // One factor, as a password is: a user with a second factor (or under a policy that requires one) takes the second step.
        return finishFirstStep(ctx, request, reply, outcome.user, ['fed'], flow.returnTo, flow.display, outcome.record);
      case 'linked':
        return reply.redirect(`/account?done=upstream_linked&upstream=${encodeURIComponent(u.name)}#identities`, 303);
      case 'register': {
        const browser = ceremonyBrowser(ctx, request, reply);
        const token = await ctx.federation.holdRegistration(u, browser, profile, flow);
        reply.setCookie(cookieName(ctx, REGISTRATION), token, cookieOptions(ctx, 10 * 60));
        return reply.redirect('/upstream/register', 303);
      }
      case 'refused': {
        const texts = { signup_disabled: m.signupDisabled, linked_elsewhere: m.linkedElsewhere, session_changed: m.sessionChanged, blocked: m.blocked };
        const title = outcome.reason === 'signup_disabled' ? format(m.signupDisabledTitle, { name }) : format(m.errorTitle, { name });
        return page(reply, msgs, 403, title, format(texts[outcome.reason], { name }), flow, flow.purpose === 'link' ? 'account' : 'sign_in');
      }
    }
  });

  async function registrationOf(request: FastifyRequest, take: boolean) {
    return ctx.federation.registration(request.cookies[cookieName(ctx, REGISTRATION)], answeringBrowser(ctx, request), take);
  }

  function gone(reply: FastifyReply, msgs: Messages) {
    return page(reply, msgs, 400, msgs.upstreams.registrationGoneTitle, msgs.upstreams.registrationGone, null);
  }

  app.get('/upstream/register', async (request, reply) => {
    const msgs = messagesFor(request);
    const held = await registrationOf(request, false);
    if (!held) return gone(reply, msgs);
    return sendPage(reply, registrationPage({
      msgs, csrf: csrfToken(ctx, request, reply), upstream: held.upstream, profile: held.profile,
      login: await ctx.federation.suggestLogin(held.profile), error: null, display: held.flow.display,
    }));
  });

  app.post('/upstream/register', async (request, reply) => {
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const msgs = messagesFor(request);
    if (!(await signupOpen(ctx))) return page(reply, msgs, 403, msgs.signUp, msgs.signupDisabled, null);
    // Used up before the account is made: of two submissions racing, one creates it.
    const held = await registrationOf(request, true);
    if (!held) return gone(reply, msgs);
    const { upstream: u, profile, flow } = held;
    const again = async (error: string, status: number) => {
      const token = await ctx.federation.holdRegistration(u, ceremonyBrowser(ctx, request, reply), profile, flow);
      reply.setCookie(cookieName(ctx, REGISTRATION), token, cookieOptions(ctx, 10 * 60));
      return sendPage(reply, registrationPage({ msgs, csrf: csrfToken(ctx, request, reply), upstream: u, profile, login: form.login?.slice(0, 40) ?? '', error, display: flow.display }), status);
    };
    if (await ctx.storage.upstreams.findIdentity(u.name, profile.subject)) return page(reply, msgs, 403, format(msgs.upstreams.errorTitle, { name: u.displayName }), format(msgs.upstreams.linkedElsewhere, { name: u.displayName }), flow);
    let user;
    try {
      // The account, its link to the upstream account, its entry and the confirmation mail of an address the
      // upstream did not vouch for are one unit of work.
      user = await ctx.users.create({
        login: form.login ?? '',
        password: null,
        email: profile.email ?? undefined,
        firstName: profile.firstName ?? undefined,
        lastName: profile.lastName ?? undefined,
        // The upstream vouched for the address (it said so): like an operator's, it counts as confirmed.
        emailConfirmed: profile.emailVerified,
      }, async (created) => {
        // The link decides: of two sign-ups for one upstream account racing (two browsers, two confirmation
        // pages), one links it; the other's unit rolls back, and its account is never made.
        if (!(await ctx.federation.link(u, profile, created.id, 'sign_up', request.ip))) throw new LinkedElsewhere();
        if (profile.displayName) await ctx.storage.updateUser(created.id, { displayName: profile.displayName, updatedAt: ctx.clock() });
        await ctx.audit.record({ action: 'sign_up', actor: { type: 'user', id: created.id }, userId: created.id, ip: request.ip, details: { method: 'upstream', upstream: u.name } });
        if (created.defaultEmail && !profile.emailVerified) await ctx.addresses.send(created.id, created.defaultEmail, mailLanguage(msgs.lang), { type: 'user', id: created.id }, request.ip);
      });
    } catch (err) {
      if (err instanceof LinkedElsewhere) {
        reply.clearCookie(cookieName(ctx, REGISTRATION), cookieOptions(ctx));
        return page(reply, msgs, 403, format(msgs.upstreams.errorTitle, { name: u.displayName }), format(msgs.upstreams.linkedElsewhere, { name: u.displayName }), flow);
      }
      if (!(err instanceof InputError)) throw err;
      return again(err.message, 400);
    }
    reply.clearCookie(cookieName(ctx, REGISTRATION), cookieOptions(ctx));
    rememberDevice(ctx, request, reply, user.login);
    // The new account's first sign-in is written with its session (or, when a second step is required, alone).
    return finishFirstStep(ctx, request, reply, user, ['fed'], flow.returnTo, flow.display, () => ctx.federation.auditSignIn(u, user.id, 'ok', request.ip));
  });

  app.post('/upstream/register/cancel', async (request, reply) => {
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const held = await registrationOf(request, true);
    reply.clearCookie(cookieName(ctx, REGISTRATION), cookieOptions(ctx));
    return reply.redirect(signInHref(held?.flow.returnTo ?? '/', held?.flow.display ?? 'page'), 303);
  });

  app.post('/account/upstreams/link', async (request, reply) => {
    const p = await signedInPage(ctx, request, reply, 'account');
    if (!p) return reply;
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const u = await ctx.upstreams.find(form.upstream ?? '');
    if (!u) return unknown(reply, p.msgs);
    return start(request, reply, u, { purpose: 'link', returnTo: '/account', display: 'page', userId: p.user.id });
  });

  app.post('/account/upstreams/unlink', async (request, reply) => {
    const p = await signedInPage(ctx, request, reply, 'account');
    if (!p) return reply;
    const form = readForm(ctx, request, reply);
    if (!form) return reply;
    const upstream = form.upstream ?? '';
    const result = await ctx.federation.unlink(p.user, upstream, form.subject ?? '', request.ip);
    if (result === 'last_way') return reply.redirect('/account?problem=upstream_last_way#identities', 303);
    return redirectWithNotice(reply, `/account?upstream=${encodeURIComponent(upstream.slice(0, 40))}`, result === 'unlinked' ? 'upstream_unlinked' : 'upstream_none');
  });
};
