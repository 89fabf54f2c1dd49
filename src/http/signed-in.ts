/**
 * What the signed-in pages (/account, /console, /admin) share: sending a
 * visitor without a session to sign in and back, the navigation bar, the
 * language links, and the confirmation step of destructive forms.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mayUseConsole } from '../apps/console.js';
import type { Context } from '../context.js';
import { InvalidRequest, type OAuthError } from '../oauth/errors.js';
import { messagePage } from '../pages/account-pages.js';
import { confirmPage } from '../pages/confirm-page.js';
import type { NavOptions, NavSection } from '../pages/layout.js';
import type { Messages } from '../pages/messages/en.js';
import type { UserRecord } from '../storage/storage.js';
import { csrfToken, csrfValid } from './csrf.js';
import { singleValued, type Params } from './params.js';
import { messagesFor, sendErrorPage, sendPage } from './render.js';
import { currentSession, type SignedIn } from './session.js';

export interface PageContext {
  signedIn: SignedIn;
  user: UserRecord;
  msgs: Messages;
  csrf: string;
  nav: NavOptions;
  /** This page's path and query (the language links keep it). */
  here: string;
}

/** The signed-in user and what every page needs, or null after redirecting to /login (GET) or refusing (POST). */
export async function signedInPage(ctx: Context, request: FastifyRequest, reply: FastifyReply, section: NavSection): Promise<PageContext | null> {
  const signedIn = await currentSession(ctx, request);
  if (!signedIn) {
    const back = request.method === 'GET' ? request.url : request.url.split('?')[0]!;
    reply.redirect(`/login?return_to=${encodeURIComponent(back)}`, request.method === 'GET' ? 302 : 303);
    return null;
  }
  const csrf = csrfToken(ctx, request, reply);
  const user = signedIn.user;
  return {
    signedIn,
    user,
    msgs: messagesFor(request),
    csrf,
    nav: { current: section, csrf, showConsole: mayUseConsole(user, ctx.config), showAdmin: user.isAdmin },
    here: request.url,
  };
}

/** The signed-in page of an operator (`--admin`); anyone else gets the same 404 as for a page that does not exist. */
export async function operatorPage(ctx: Context, request: FastifyRequest, reply: FastifyReply): Promise<PageContext | null> {
  const page = await signedInPage(ctx, request, reply, 'admin');
  if (!page) return null;
  if (!page.user.isAdmin) {
    notFound(page.msgs, reply);
    return null;
  }
  return page;
}

/** A form body with one value per name; null after answering a malformed or cross-site one. */
export function readForm(ctx: Context, request: FastifyRequest, reply: FastifyReply, source: unknown = request.body, repeatable: string[] = []): Params | null {
  let form: Params;
  try {
    form = singleValued(source, repeatable);
  } catch (err) {
    sendErrorPage(request, reply, err as OAuthError);
    return null;
  }
  if (!csrfValid(ctx, request, form.csrf)) {
    sendErrorPage(request, reply, new InvalidRequest(messagesFor(request).csrfFailed), 403);
    return null;
  }
  return form;
}

/**
 * Destructive forms act only when confirmed: the first submission answers
 * with a page that says what will happen (pages/confirm-page.ts). True when
 * the form is confirmed and the action may go ahead.
 */
export function confirmed(
  page: PageContext,
  reply: FastifyReply,
  form: Params,
  what: { title: string; text: string; action: string; confirmLabel: string; cancelHref: string },
): boolean {
  if (form.confirmed === 'yes') return true;
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(form)) if (value !== undefined) fields[name] = value;
  sendPage(reply, confirmPage({ msgs: page.msgs, nav: page.nav, csrf: page.csrf, fields, ...what }));
  return false;
}

/** The same answer for "no such thing" and "not yours", so nobody learns what exists (docs/protocol.md §10: owners only). */
export function notFound(msgs: Messages, reply: FastifyReply): FastifyReply {
  return sendPage(reply, messagePage(msgs, msgs.notFoundTitle, msgs.notFound), 404);
}

/** Post/redirect/get: back to `path` with a notice key the page turns into words. */
export function redirectWithNotice(reply: FastifyReply, path: string, notice: string): FastifyReply {
  return reply.redirect(`${path}${path.includes('?') ? '&' : '?'}done=${encodeURIComponent(notice)}`, 303);
}
