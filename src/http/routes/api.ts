/**
 * The management API under /api/v1 (docs/management-api.md): a route for each
 * operation of src/api/resources, as src/api/routes.ts lists them. What
 * answers the calls (api-calls.ts: the operations with their zod schemas, the
 * OpenAPI document) is loaded with the first request here: a start registers
 * the routes and builds none of it. Every error, including unknown routes
 * under /api/v1, is an RFC 9457 problem.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblem, PROBLEM_MEDIA_TYPE, problemBody } from '../../api/problem.js';
import { API_ROUTES } from '../../api/routes.js';
import type { Context } from '../../context.js';
import { isDatabaseUnavailable } from '../../storage/open.js';
import { sendPage } from '../render.js';

export const API_PREFIX = '/api/v1';
/** Request bodies of the API; larger ones get 413. */
const API_BODY_LIMIT = 64 * 1024;

export function sendProblem(ctx: Context, request: FastifyRequest, reply: FastifyReply, problem: ApiProblem): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply.code(problem.status).type(PROBLEM_MEDIA_TYPE).header('Cache-Control', 'no-store')
    .send(JSON.stringify(problemBody(ctx.config.issuer, problem, instanceOf(request))));
}

export const apiRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  let loaded: Promise<ReturnType<typeof import('./api-calls.js').apiCalls>> | null = null;
  const calls = () => (loaded ??= import('./api-calls.js').then(({ apiCalls }) => apiCalls(ctx)));

  await app.register(async (api: FastifyInstance) => {
    // JSON bodies here only; the rest of Gatehouse takes forms.
    api.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: API_BODY_LIMIT }, (_request, body, done) => {
      const text = body as string;
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(new ApiProblem('invalid-request', 'the body is not valid JSON', [{ pointer: '/body', detail: 'not JSON' }]), undefined);
      }
    });

    api.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      if (error instanceof ApiProblem) return sendProblem(ctx, request, reply, error);
      const status = error.statusCode ?? 500;
      if (status === 413) return sendProblem(ctx, request, reply, new ApiProblem('payload-too-large'));
      if (status === 415) return sendProblem(ctx, request, reply, new ApiProblem('unsupported-media-type', 'send Content-Type: application/json'));
      if (status >= 400 && status < 500) return sendProblem(ctx, request, reply, new ApiProblem('invalid-request', 'the request is malformed'));
      if (isDatabaseUnavailable(error)) return sendProblem(ctx, request, reply, new ApiProblem('unavailable', undefined, undefined, { 'Retry-After': '5' }));
      request.log.error({ err: error }, 'unhandled error in the management API');
      return sendProblem(ctx, request, reply, new ApiProblem('server-error'));
    });
    api.setNotFoundHandler((request, reply) => sendProblem(ctx, request, reply, new ApiProblem('not-found', 'there is no such endpoint: see /api/v1/openapi.json')));

    api.get('/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').header('Cache-Control', 'no-cache').send((await calls()).openApiJson()));
    api.get('/docs', async (request, reply) => sendPage(reply, (await calls()).docsPage(request)));

    for (const [method, path, operationId] of API_ROUTES) {
      api.route({
        method,
        url: path.replace(/\{(\w+)\}/g, ':$1'),
        handler: async (request, reply) => (await calls()).handle(operationId, request, reply),
      });
    }
  }, { prefix: API_PREFIX });
};

/**
 * The problem's `instance`: the request's path as a URI reference, with every
 * character a URI may not hold percent-encoded, so nothing a caller typed
 * comes back as markup, even in JSON.
 */
export function instanceOf(request: FastifyRequest): string {
  return request.url.split('?')[0]!.replace(/[^A-Za-z0-9\-._~:/@!$&'()*+,;=%]/g, (c) => encodeURIComponent(c));
}
