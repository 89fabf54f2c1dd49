/**
 * The OpenAPI 3.1 document of the management API, made from the operations'
 * own zod schemas (operation.ts) with zod's JSON Schema output (draft 2020-12,
 * OpenAPI 3.1's dialect): what validates a request is what the document
 * describes. Schemas given an id (`.meta({ id })`) become components.
 */
import { z } from 'zod';
import { MANAGEMENT_SCOPES } from '../oauth/scopes.js';
import type { Operation, Resource } from './operation.js';
import { PROBLEM_MEDIA_TYPE, PROBLEM_TYPES, ProblemSchema, type ProblemType } from './problem.js';

type JsonSchema = Record<string, unknown>;

/** Problems every authenticated call may answer. */
const COMMON_PROBLEMS: ProblemType[] = ['invalid-request', 'unauthorized', 'forbidden', 'too-many-requests'];
const WRITE_PROBLEMS: ProblemType[] = ['unsupported-media-type', 'idempotency-key-reused', 'idempotency-key-in-use'];

const SCOPE_TEXT: Record<string, string> = {
  'gatehouse:admin': 'Everything below',
};

/** Writes: the methods that accept an Idempotency-Key. */
export function isWrite(op: Operation): boolean {
  return op.method !== 'GET';
}

function clean(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

export function buildOpenApiDocument(resources: readonly Resource[], issuer: string, version: string): Record<string, unknown> {
  // Every schema given an id (`.meta({ id })`, only the API's) is a component; refs between them stay refs.
  // Request bodies are described as clients write them (what has a default may be left out): zod's input form.
  const refOf = (id: string) => `#/components/schemas/${id}`;
  const convert = (io: 'input' | 'output') => z.toJSONSchema(z.globalRegistry, { target: 'draft-2020-12', uri: refOf, unrepresentable: 'any', io }).schemas;
  const components = convert('output');
  const inputSchemas = convert('input');
  const inputs = new Map<z.ZodType, string>();
  for (const r of resources) for (const op of r.operations) {
    const id = op.body ? idOf(op.body) : undefined;
    if (op.body && id) {
      inputs.set(op.body, id);
      components[id] = inputSchemas[id]!;
    }
  }
  const schemaRef = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const id = idOf(schema);
    if (id) return { $ref: refOf(id) };
    return clean(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema);
  };

  const parameters = (shape: z.ZodObject | undefined, where: 'path' | 'query'): JsonSchema[] => {
    if (!shape) return [];
    return Object.entries(shape.shape).map(([name, field]) => {
      const json = clean(z.toJSONSchema(field as z.ZodType, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema);
      const { description, ...schema } = json;
      const optional = (field as z.ZodType).safeParse(undefined).success;
      return { name, in: where, required: where === 'path' || !optional, ...(description ? { description } : {}), schema };
    });
  };

  const problemResponse = (kind: ProblemType) => ({ $ref: `#/components/responses/${kind}` });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const resource of resources) {
    for (const op of resource.operations) {
      const responses: Record<string, unknown> = {
        [String(op.success.status)]: op.success.schema
          ? { description: op.success.description, content: { 'application/json': { schema: schemaRef(op.success.schema, 'output') } } }
          : { description: op.success.description },
      };
      // One answer per status: where two kinds of problem share one (422), the answer names both.
      const byStatus = new Map<number, ProblemType[]>();
      for (const kind of new Set([...COMMON_PROBLEMS, ...(isWrite(op) ? WRITE_PROBLEMS : []), ...(op.problems ?? [])])) {
        const status = PROBLEM_TYPES[kind].status;
        byStatus.set(status, [...(byStatus.get(status) ?? []), kind]);
      }
      for (const [status, kinds] of byStatus) {
        responses[String(status)] = kinds.length === 1 ? problemResponse(kinds[0]!) : {
          description: kinds.map((k) => `${PROBLEM_TYPES[k].title} (${k}): ${PROBLEM_TYPES[k].about}`).join(' Or: '),
          content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: refOf('Problem') } } },
        };
      }
      const params = [...parameters(op.params, 'path'), ...parameters(op.query, 'query')];
      if (isWrite(op)) params.push({ $ref: '#/components/parameters/IdempotencyKey' });
      (paths[op.path] ??= {})[op.method.toLowerCase()] = {
        operationId: op.operationId,
        summary: op.summary,
        description: `${op.description ? `${op.description}\n\n` : ''}Scope: \`${op.scope}\` (or \`gatehouse:admin\`${op.scope.endsWith(':read') ? `, or \`${op.scope.replace(/:read$/, ':write')}\`` : ''}).`,
        tags: [resource.tag],
        security: [{ bearer: [op.scope] }, { bearer: ['gatehouse:admin'] }],
        'x-required-scope': op.scope,
        ...(params.length ? { parameters: params } : {}),
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: refOf(inputs.get(op.body)!) } } } } } : {}),
        responses,
      };
    }
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse management API',
      version,
      description: 'Manage users, apps, tokens, consents, signing keys and the audit log of this Gatehouse. '
        + 'Call it with an access token from client_credentials of an app an operator gave a gatehouse: scope '
        + '(`gatehouse app create --name ops --scope gatehouse:admin --json`). Errors are RFC 9457 problem details; '
        + 'lists page by opaque cursor; writes accept an Idempotency-Key.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: `${issuer}/api/v1` }],
    tags: resources.map((r) => ({ name: r.tag, description: r.description })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).map(([id, s]) => [id, clean(s as JsonSchema)])),
      responses: Object.fromEntries((Object.keys(PROBLEM_TYPES) as ProblemType[]).map((kind) => [kind, {
        description: `${PROBLEM_TYPES[kind].title}: ${PROBLEM_TYPES[kind].about}`,
        content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: refOf('Problem') } } },
      }])),
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key', in: 'header', required: false,
          description: 'Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      securitySchemes: {
        bearer: {
          type: 'oauth2',
          description: 'An access token of an app, from client_credentials, holding a management scope.',
          flows: {
            clientCredentials: {
              tokenUrl: `${issuer}/token`,
              scopes: Object.fromEntries(MANAGEMENT_SCOPES.map((s) => [s, SCOPE_TEXT[s] ?? scopeText(s)])),
            },
          },
        },
      },
    },
  };
}

function idOf(schema: z.ZodType): string | undefined {
  return (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
}

function scopeText(scope: string): string {
  const [, what, how] = scope.split(':');
  return `${how === 'write' ? 'Change' : 'Read'} ${what}${how === 'write' ? ' (and read them)' : ''}`;
}
