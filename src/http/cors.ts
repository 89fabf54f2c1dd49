/**
 * Cross-origin access for the endpoints an app calls from a browser page (a
 * single-page app with PKCE, docs/protocol.md §9): the token, revocation, device
 * authorization and login info endpoints answer any origin. None of them reads
 * cookies, and `*` forbids sending any, so another site gains nothing it could
 * not do from a server; the endpoints that act on a browser's session
 * (/authorize, consent, pages) stay same-origin.
 */
import type { FastifyInstance } from 'fastify';

export const CORS_PATHS = ['/token', '/revoke', '/revoke_token', '/device/code', '/info', '/userinfo'] as const;

export function registerCors(app: FastifyInstance): void {
  const paths = new Set<string>(CORS_PATHS);
  app.addHook('onSend', (request, reply, payload, done) => {
    const query = request.url.indexOf('?');
    if (paths.has(query < 0 ? request.url : request.url.slice(0, query))) {
      // A page's DPoP client reads the nonce and the challenge (RFC 9449 §8, §7.1).
      reply.header('Access-Control-Allow-Origin', '*').header('Access-Control-Expose-Headers', 'DPoP-Nonce, WWW-Authenticate');
    }
    done(null, payload);
  });
  for (const path of CORS_PATHS) {
    // Preflight (Fetch standard §3.2.2) for requests with an Authorization header.
    app.options(path, async (_request, reply) =>
      reply.code(204)
        .header('Access-Control-Allow-Methods', 'GET, POST')
        .header('Access-Control-Allow-Headers', 'Authorization, Content-Type, DPoP')
        .header('Access-Control-Max-Age', '600')
        .send());
  }
}
