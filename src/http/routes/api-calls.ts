/**
 * The management API's calls (docs/management-api.md), loaded with the first
 * request under /api/v1 (api.ts registers the routes): each operation of
 * src/api/resources takes the same steps in order — authenticate the app's
 * token, check its management scope, count it against the app's limit,
 * validate the request against the operation's schemas, honour an
 * Idempotency-Key, call the operators' service, shape the answer by the
 * operation's schema, and write the call to the audit log.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adminOf } from '../../admin/admin.js';
import { ApiProblem, PROBLEM_MEDIA_TYPE, problemBody, validationProblem } from '../../api/problem.js';
import { instanceOf, sendProblem } from './api.js';
import { apiDocsPage } from '../../api/docs-page.js';
import { Idempotency } from '../../api/idempotency.js';
import { buildOpenApiDocument, isWrite } from '../../api/openapi.js';
import type { Call, Operation } from '../../api/operation.js';
import { RESOURCES } from '../../api/resources/index.js';
import type { Context } from '../../context.js';
import { InputError } from '../../errors.js';
import { managementScopeHeld } from '../../oauth/scopes.js';
import type { AppRecord } from '../../storage/storage.js';
import { messagesFor } from '../render.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../package-root.js';

/** Fixed text only (see ../bearer.ts): a header value never carries input. */
const CHALLENGE = {
  none: 'Bearer realm="gatehouse"',
  invalid: 'Bearer realm="gatehouse", error="invalid_token", error_description="the access token is missing, unknown, expired or revoked"',
  scope: (scope: string) => `Bearer realm="gatehouse", error="insufficient_scope", scope="${scope}"`,
};

/** The app whose token this is: only an app's own token (client_credentials) of an active app. */
async function authenticate(ctx: Context, request: FastifyRequest): Promise<{ app: AppRecord; scopes: string[] }> {
  const header = request.headers.authorization;
  if (header === undefined) throw new ApiProblem('unauthorized', 'send an access token: Authorization: Bearer <token>', undefined, { 'WWW-Authenticate': CHALLENGE.none });
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  const found = match ? await ctx.tokens.resolveWithOwners(match[1]!, 'access') : null;
  if (!found || !found.app || found.app.status !== 'active') {
    throw new ApiProblem('unauthorized', 'the access token is unknown, expired or revoked, or its app is blocked', undefined, { 'WWW-Authenticate': CHALLENGE.invalid });
  }
  if (found.token.userId !== null) {
    // A user's token acts for the user; the management API is for an app acting as an operator's tool.
    throw new ApiProblem('forbidden', 'this token acts for a user: the management API takes only an app\'s own token (client_credentials)', undefined, { 'WWW-Authenticate': CHALLENGE.scope('gatehouse:admin') });
  }
  return { app: found.app, scopes: found.token.scopes };
}

/** The calls of one server, made from its context; `handle` answers the operation `operationId`. */
export function apiCalls(ctx: Context) {
  const admin = adminOf(ctx);
  const idempotency = new Idempotency(ctx.storage.idempotency, ctx.secrets, ctx.clock);
  const limit = ctx.limits.apiRequestsPerClient;
  const operations = new Map(RESOURCES.flatMap((resource) => resource.operations.map((op) => [op.operationId, op] as const)));
  // Made when first asked for: converting every schema takes a while, and few read the document.
  let built: { document: ReturnType<typeof buildOpenApiDocument>; json: string } | null = null;
  const openApi = () => {
    if (built === null) {
      const version = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
      const document = buildOpenApiDocument(RESOURCES, ctx.config.issuer, version);
      built = { document, json: JSON.stringify(document) };
    }
    return built;
  };

  return {
    handle: (operationId: string, request: FastifyRequest, reply: FastifyReply) => handle(operations.get(operationId)!, request, reply),
    openApiJson: () => openApi().json,
    docsPage: (request: FastifyRequest) => apiDocsPage(openApi().document, messagesFor(request)),
  };

  async function handle(op: Operation, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { app: caller, scopes } = await authenticate(ctx, request);
    const actor = { type: 'app' as const, id: caller.clientId };
    const audit = (status: number) => ctx.audit.record({
      action: 'api_request', outcome: status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed', actor, clientId: caller.clientId, ip: request.ip,
      details: { operation: op.operationId, method: op.method, status },
    });
    try {
      if (!managementScopeHeld(scopes, op.scope)) {
        throw new ApiProblem('forbidden', `this endpoint needs the scope ${op.scope}`, undefined, { 'WWW-Authenticate': CHALLENGE.scope(op.scope) });
      }
      if ((await ctx.storage.countAttempt(`api:${caller.clientId}`, limit.windowMs, ctx.clock())) > limit.max) {
        throw new ApiProblem('too-many-requests', 'this app made too many requests', undefined, { 'Retry-After': String(Math.ceil(limit.windowMs / 1000)) });
      }
      const call = validate(op, request);
      const key = isWrite(op) ? headerValue(request.headers['idempotency-key']) : undefined;
      const claim = await idempotency.begin(caller.clientId, key, JSON.stringify([op.method, request.url, call.body ?? null]));
      if (claim?.kind === 'replay') {
        await audit(claim.answer.status);
        return send(reply.header('Idempotent-Replayed', 'true'), claim.answer.status, claim.answer.body);
      }
      let answer: { status: number; body: unknown };
      try {
        answer = await run(op, { ...call, ctx, admin, caller, actor, ip: request.ip } as Call<never, never, never>);
      } catch (err) {
        const problem = asProblem(err);
        if (!problem) {
          await claim?.release();
          throw err;
        }
        // A refusal is an answer too: the same request with the same key is refused the same way.
        await claim?.complete({ status: problem.status, body: problemBody(ctx.config.issuer, problem, instanceOf(request)) });
        throw problem;
      }
      await claim?.complete(answer);
      await audit(answer.status);
      return send(reply, answer.status, answer.body);
    } catch (err) {
      const problem = asProblem(err);
      if (problem) await audit(problem.status);
      else await audit(500).catch(() => undefined);
      throw problem ?? err;
    }
  }

  function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
    reply.code(status).header('Cache-Control', 'no-store');
    if (status === 204) return reply.send();
    const problem = typeof body === 'object' && body !== null && 'type' in body && 'title' in body && status >= 400;
    return reply.type(problem ? PROBLEM_MEDIA_TYPE : 'application/json; charset=utf-8').send(JSON.stringify(body));
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** Domain refusals (a taken login, an unknown scope) are input problems; ours pass through; anything else is a fault. */
function asProblem(err: unknown): ApiProblem | null {
  if (err instanceof ApiProblem) return err;
  if (err instanceof InputError) return new ApiProblem('invalid-input', err.message);
  return null;
}

/** The request's path, query and body, each checked against the operation's schema. */
function validate(op: Operation, request: FastifyRequest): Pick<Call<never, never, never>, 'params' | 'query' | 'body'> {
  const parse = (where: 'path' | 'query' | 'body', schema: Operation['params'] | Operation['body'], value: unknown) => {
    if (!schema) return where === 'body' ? undefined : {};
    const result = schema.safeParse(value);
    if (!result.success) throw validationProblem(where, result.error);
    return result.data;
  };
  if (op.body) {
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) throw new ApiProblem('unsupported-media-type', 'send the body as JSON: Content-Type: application/json');
  }
  return {
    params: parse('path', op.params, request.params),
    query: parse('query', op.query, request.query),
    body: parse('body', op.body, op.body && request.body === undefined ? {} : request.body),
  } as Pick<Call<never, never, never>, 'params' | 'query' | 'body'>;
}

/** Runs the handler and shapes its answer by the operation's schema: nothing leaves that the document does not describe. */
async function run(op: Operation, call: Call<never, never, never>): Promise<{ status: number; body: unknown }> {
  const result = await op.handler(call as never);
  if (!op.success.schema) return { status: op.success.status, body: undefined };
  return { status: op.success.status, body: op.success.schema.parse(result) };
}
