/**
 * Errors of the management API as RFC 9457 problem details
 * (`application/problem+json`). Each kind has a `type` URI that opens its
 * explanation on /api/v1/docs; `detail` never repeats a secret.
 */
import { z } from 'zod';

/** The kinds of problem the API answers with, their status and title (RFC 9457 §3.1). */
export const PROBLEM_TYPES = {
  'unauthorized': { status: 401, title: 'Authentication required', about: 'No access token, or one that is unknown, expired or revoked. Get one with client_credentials.' },
  'forbidden': { status: 403, title: 'Not allowed', about: "The token does not hold the management scope the endpoint needs, or it is a user's token: only an app's own token (client_credentials) with a gatehouse: scope may call the API." },
  'not-found': { status: 404, title: 'Not found', about: 'No such endpoint, or no such user, app, token, session, consent or key.' },
  'invalid-request': { status: 400, title: 'Invalid request', about: 'The request does not match the endpoint\'s schema: `errors` lists each field (a JSON pointer) and what is wrong with it. Also a malformed cursor or JSON body.' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', about: 'Bodies are JSON: send Content-Type: application/json.' },
  'payload-too-large': { status: 413, title: 'Payload too large', about: 'The body is larger than 64 KiB.' },
  'invalid-input': { status: 422, title: 'Input refused', about: 'The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which.' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused', about: 'The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body).' },
  'idempotency-key-in-use': { status: 409, title: 'Request in progress', about: 'A request with this Idempotency-Key is still being answered: retry a little later.' },
  'too-many-requests': { status: 429, title: 'Too many requests', about: 'The calling app made more requests than its limit allows in the current window: retry after Retry-After seconds.' },
  'unavailable': { status: 503, title: 'Service unavailable', about: 'The database cannot be reached: retry after Retry-After seconds.' },
  'server-error': { status: 500, title: 'Internal error', about: 'Something failed on the server; it is logged.' },
} as const;

export type ProblemType = keyof typeof PROBLEM_TYPES;

export const FieldErrorSchema = z.object({
  pointer: z.string().meta({ description: 'JSON pointer (RFC 6901) into the request: /body/login, /query/limit, /path/id' }),
  detail: z.string(),
});

export const ProblemSchema = z.object({
  type: z.string().meta({ description: 'A URI naming the kind of problem; it opens its explanation in the API docs' }),
  title: z.string(),
  status: z.int(),
  detail: z.string().optional(),
  instance: z.string().optional().meta({ description: 'The path of the request' }),
  errors: z.array(FieldErrorSchema).optional().meta({ description: 'For invalid-request: each field that is wrong' }),
}).meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export type ProblemBody = z.output<typeof ProblemSchema>;

export class ApiProblem extends Error {
  readonly status: number;
  constructor(
    readonly kind: ProblemType,
    readonly detail?: string,
    readonly errors?: { pointer: string; detail: string }[],
    /** Extra headers: WWW-Authenticate, Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? PROBLEM_TYPES[kind].title);
    this.status = PROBLEM_TYPES[kind].status;
  }
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The URI of a kind of problem: its anchor on the API's docs page. */
export function problemTypeUri(issuer: string, kind: ProblemType): string {
  return `${issuer}/api/v1/docs#problem-${kind}`;
}

export function problemBody(issuer: string, problem: ApiProblem, instance: string): ProblemBody {
  return {
    type: problemTypeUri(issuer, problem.kind),
    title: PROBLEM_TYPES[problem.kind].title,
    status: problem.status,
    ...(problem.detail !== undefined ? { detail: problem.detail } : {}),
    instance,
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
}

/** A zod failure as an invalid-request problem, each issue under its JSON pointer. */
export function validationProblem(where: 'body' | 'query' | 'path', error: z.ZodError): ApiProblem {
  const errors = error.issues.slice(0, 20).map((issue) => ({
    pointer: `/${where}${issue.path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')}`,
    detail: issue.message,
  }));
  return new ApiProblem('invalid-request', `the ${where === 'path' ? 'path' : where} does not match the schema`, errors);
}
