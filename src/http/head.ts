/**
 * HEAD answered by the GET route of the same address (RFC 9110 §9.3.2: the
 * same status and headers, no body), without a route of its own.
 *
 * Fastify's way (`exposeHeadRoutes`) registers a HEAD twin of every GET
 * route: each a whole route of its own (its context, its bound hooks, a
 * second entry in the router), which was almost a third of the routes a start
 * registers, and memory the server kept for requests it seldom gets. Here a
 * HEAD request is routed as GET (Fastify's `rewriteUrl` runs just before the
 * router), its method is given back before anything else sees it, and its
 * answer is finished as Fastify's HEAD routes finish theirs: Content-Length
 * of the body the GET would have sent, and no body. Node itself never writes
 * a body in answer to HEAD either (the response knows its request's method
 * from the start).
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Set on a HEAD request while the router takes it for GET. */
const ASKED_HEAD = Symbol('gatehouse.head');
type Marked = IncomingMessage & { [ASKED_HEAD]?: true };

/** Fastify's `rewriteUrl`: leaves the address as it is, and has a HEAD request routed as GET. */
export function routeHeadAsGet(req: IncomingMessage): string {
  if (req.method === 'HEAD') {
    req.method = 'GET';
    (req as Marked)[ASKED_HEAD] = true;
  }
  return req.url!;
}

/** Gives a HEAD request its method back: registered before every other hook, so none of them sees GET. */
export function restoreHeadMethod(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if ((request.raw as Marked)[ASKED_HEAD]) request.raw.method = 'HEAD';
    done();
  });
}

/**
 * Finishes the answer to HEAD: registered after every other onSend hook, as Fastify's HEAD routes ran theirs
 * after the route's own.
 */
export function finishHeadAnswers(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!(request.raw as Marked)[ASKED_HEAD]) return done(null, payload);
    // An answer made without the onRequest hooks (a malformed address) is logged as HEAD too.
    request.raw.method = 'HEAD';
    if (payload === undefined || payload === null) {
      reply.header('content-length', '0');
    } else if (typeof (payload as NodeJS.ReadableStream).resume === 'function') {
      const stream = payload as NodeJS.ReadableStream;
      stream.on('error', (err) => reply.log.error({ err }, 'error on a stream answered to HEAD'));
      stream.resume();
    } else if (typeof (payload as ReadableStream).getReader === 'function') {
      (payload as ReadableStream).cancel('answered to HEAD').catch((err: unknown) => reply.log.error({ err }, 'error on a stream answered to HEAD'));
    } else {
      reply.header('content-length', String(Buffer.byteLength(payload as string | Buffer)));
    }
    done(null, null);
  });
}
