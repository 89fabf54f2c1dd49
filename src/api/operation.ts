/**
 * One endpoint of the management API, described once: its path, the scope it
 * needs, the zod schemas of its path, query and body (which validate the
 * request), and of its answer (which shapes the response). The HTTP layer
 * (src/http/routes/api-calls.ts) and the OpenAPI document (openapi.ts) are
 * both made from these descriptions, so they cannot disagree; the router's
 * list of methods and paths (routes.ts) is checked against them by a test.
 *
 * A resource is a module exporting a list of operations (resources/*.ts),
 * named in resources/index.ts: adding one is one module and one line, and
 * each operation a line in routes.ts.
 */
import type { z } from 'zod';
import type { Admin } from '../admin/admin.js';
import type { Context } from '../context.js';
import type { ManagementScope } from '../oauth/scopes.js';
import type { AppRecord } from '../storage/storage.js';
import type { ProblemType } from './problem.js';

type Shape = z.ZodObject;

/** What a handler gets: the validated request and who is calling. */
export interface Call<P extends Shape | undefined, Q extends Shape | undefined, B extends z.ZodType | undefined> {
  params: P extends Shape ? z.output<P> : Record<string, never>;
  query: Q extends Shape ? z.output<Q> : Record<string, never>;
  body: B extends z.ZodType ? z.output<B> : undefined;
  ctx: Context;
  /** The operators' service, the same /admin and the CLI use. */
  admin: Admin;
  /** The app calling, acting as an operator (src/admin/admin.ts OperatorActor). */
  caller: AppRecord;
  actor: { type: 'app'; id: AppRecord['clientId'] };
  ip: string;
}

export interface Operation<
  P extends Shape | undefined = Shape | undefined,
  Q extends Shape | undefined = Shape | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Under /api/v1, in OpenAPI's form: `/users/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  scope: ManagementScope;
  params?: P;
  query?: Q;
  body?: B;
  /** The answer on success: 204 has no body. */
  success: { status: 200 | 201 | 204; description: string; schema?: R };
  /** Problems this operation may answer besides those every call may (401, 403, 429, 400). */
  problems?: ProblemType[];
  handler(call: Call<P, Q, B>): Promise<R extends z.ZodType ? z.input<R> : void>;
}

/** Keeps the operation's own types while listing it among others. */
export function operation<P extends Shape | undefined, Q extends Shape | undefined, B extends z.ZodType | undefined, R extends z.ZodType | undefined>(
  op: Operation<P, Q, B, R>,
): Operation {
  return op as unknown as Operation;
}

export interface Resource {
  /** The OpenAPI tag: one section of the docs. */
  tag: string;
  description: string;
  operations: Operation[];
}
