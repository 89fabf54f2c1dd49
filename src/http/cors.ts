/**
 * Cross-origin access for the endpoints an app calls from a browser page (a
 * single-page app with PKCE, docs/protocol.md §9): the token, revocation, device
 * authorization, login info and userinfo endpoints. None of them reads
 * cookies, and no response allows credentials, so another site gains nothing
 * it could not do from a server; the endpoints that act on a browser's
 * session (/authorize, consent, pages) stay same-origin.
 *
 * Apps of the Yandex era are answered for any origin (`*`), as before. A
 * browser app (the `spa` platform, docs/modern-oauth.md) is answered only for
 * the origins of its own redirect URIs: once a handler knows whose request it
 * is (`answerCorsFor`), a page on any other origin cannot read the answer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { browserOrigins, isBrowserApp } from '../apps/platforms.js';
import type { AppRecord } from '../storage/storage.js';

export const CORS_PATHS = ['/token', '/revoke', '/revoke_token', '/device/code', '/info', '/userinfo'] as const;

const clients = new WeakMap<FastifyRequest, Pick<AppRecord, 'platforms' | 'redirectUris'>>();

/** The app a request is for, as soon as a handler knows it: its CORS rule decides who may read the answer. */
export function answerCorsFor(request: FastifyRequest, app: Pick<AppRecord, 'platforms' | 'redirectUris'> | null | undefined): void {
  if (app) clients.set(request, app);
}

/**
 * The CORS headers of an answer about `client`'s token (undefined: no app known yet) to a page on `origin`.
 * A page's DPoP client reads the nonce and the challenge (RFC 9449 §8, §7.1).
 */
export function corsHeaders(client: Pick<AppRecord, 'platforms' | 'redirectUris'> | null | undefined, origin: string | undefined): Array<[string, string]> {
  const headers: Array<[string, string]> = [['access-control-expose-headers', 'DPoP-Nonce, WWW-Authenticate']];
  if (!client || !isBrowserApp(client)) {
    headers.push(['access-control-allow-origin', '*']);
  } else {
    headers.push(['vary', 'Origin']);
    if (origin !== undefined && browserOrigins(client).includes(origin)) headers.push(['access-control-allow-origin', origin]);
  }
  return headers;
}

export function registerCors(app: FastifyInstance): void {
  const paths = new Set<string>(CORS_PATHS);
  app.addHook('onSend', (request, reply, payload, done) => {
    const query = request.url.indexOf('?');
    if (paths.has(query < 0 ? request.url : request.url.slice(0, query))) {
      // Only these headers decide who may read the answer.
      reply.removeHeader('Access-Control-Allow-Origin');
      for (const [name, value] of corsHeaders(clients.get(request), request.headers.origin)) reply.header(name, value);
    }
    done(null, payload);
  });
  for (const path of CORS_PATHS) {
    // Preflight (Fetch standard §3.2.2) for requests with an Authorization or DPoP header. It
    // names no app, so it is answered for any origin; the answer itself is what is guarded.
    app.options(path, async (_request, reply) =>
      reply.code(204)
        .header('Access-Control-Allow-Methods', 'GET, POST')
        .header('Access-Control-Allow-Headers', 'Authorization, Content-Type, DPoP')
        .header('Access-Control-Max-Age', '600')
        .send());
  }
}
