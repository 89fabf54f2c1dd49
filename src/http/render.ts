/**
 * Rendering in one place: OAuth errors as JSON (RFC 6749 §5.2), pages as HTML,
 * and the error page for anything a browser should not be redirected with.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HeaderInvalidClient, BASIC_CHALLENGE } from '../oauth/client-auth.js';
import { singleValued, type Params } from './params.js';
import type { OAuthError } from '../oauth/errors.js';
import { UseDpopNonce } from '../oauth/dpop.js';
import { errorPage } from '../pages/consent-page.js';
import type { SafeHtml } from '../pages/html.js';
import { withLanguageLinks } from '../pages/layout.js';
import { en, type Messages } from '../pages/messages/en.js';
import { catalogue, pickLanguage } from '../pages/messages/index.js';
import { brandMessages } from '../organisation/branding.js';
import type { Organisation } from '../organisation/organisation.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The organisation whose name and look the pages carry (server.ts decorates the root instance). */
    organisation?: Organisation;
  }
}

export const LANG_COOKIE = 'gatehouse_lang';

/** The language of the pages for this request (see messages/index.ts for the order of preference). */
export function messagesFor(request: FastifyRequest): Messages {
  const query = request.query as Record<string, unknown> | undefined;
  const asked = typeof query?.lang === 'string' ? query.lang : undefined;
  const uiLocales = typeof query?.ui_locales === 'string' ? query.ui_locales.split(' ').map((l) => l.split('-')[0]) : [];
  const msgs = (
    catalogue(asked) ??
    catalogue(request.cookies?.[LANG_COOKIE]) ??
    uiLocales.map(catalogue).find(Boolean) ??
    catalogue(pickLanguage(request.headers['accept-language'])) ??
    en
  );
  const look = request.server?.organisation?.lookNow();
  return look ? brandMessages(msgs, look) : msgs;
}

/** A page; one that did not know its address gets its language links for this request's (layout.ts). */
export function sendPage(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(withLanguageLinks(page.value, reply.request.url, catalogue));
}

/** A browser navigating (its Accept header puts HTML first), not a program: it gets pages, not JSON. */
export function wantsPage(request: { headers: IncomingHttpHeaders }): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && /^\s*text\/html\b/i.test(accept);
}

/** A request refused because the database is away for a moment: try again shortly. */
export const UNAVAILABLE = {
  status: 503,
  headers: [['retry-after', '5'], ['cache-control', 'no-store']] as Array<[string, string]>,
  body: { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable: try again shortly' },
};

/** A request that failed in Gatehouse itself: nothing of the failure is told. */
export const SERVER_ERROR = {
  status: 500,
  headers: [['cache-control', 'no-store']] as Array<[string, string]>,
  body: { error: 'server_error', error_description: 'internal error' },
};

/** The headers of an OAuth error's answer (RFC 6749 §5.2): a Basic challenge for a failed header login, a fresh DPoP nonce. */
export function oauthErrorHeaders(error: OAuthError): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  if (error instanceof HeaderInvalidClient) headers.push(['www-authenticate', BASIC_CHALLENGE]);
  if (error instanceof UseDpopNonce) headers.push(['dpop-nonce', error.nonce]);
  headers.push(['cache-control', 'no-store']);
  return headers;
}

export function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  for (const [name, value] of oauthErrorHeaders(error)) reply.header(name, value);
  return reply.code(error.status).send(error.toJSON());
}

export function sendErrorPage(request: FastifyRequest, reply: FastifyReply, error: OAuthError, status = 400): FastifyReply {
  return sendPage(reply, errorPage(messagesFor(request), error.code, error.description), status);
}

/**
 * A page's query or form with one value per name (RFC 6749 §3.1), or null after
 * answering a malformed one with the error page.
 */
export function pageParams(request: FastifyRequest, reply: FastifyReply, source: unknown, repeatable: string[] = []): Params | null {
  try {
    return singleValued(source, repeatable);
  } catch (err) {
    sendErrorPage(request, reply, err as OAuthError);
    return null;
  }
}
