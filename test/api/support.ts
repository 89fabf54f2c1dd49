/**
 * For the management API's tests: an app made for automation (as `gatehouse
 * app create --scope …` makes it), its client_credentials token, and calls
 * whose every answer is checked against the OpenAPI document with ajv.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { adminOf } from '../../src/admin/admin.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth } from '../helpers/http-client.js';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** An app holding `scopes`, made by an operator (the CLI's service), and an access token from client_credentials. */
export async function automationApp(gh: TestGatehouse, scopes: string[], name = 'ops'): Promise<{ clientId: string; secret: string; token: string }> {
  const made = await adminOf(gh.ctx).createApp({ type: 'operator' }, { name, scopes }, null);
  const clientId = made.app.clientId;
  const secret = made.clientSecret!;
  return { clientId, secret, token: await clientCredentials(gh, clientId, secret) };
}

export async function clientCredentials(gh: TestGatehouse, clientId: string, secret: string, scope?: string): Promise<string> {
  const res = await fetch(`${gh.url}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
  });
  const body = await res.json() as Record<string, string>;
  if (res.status !== 200) throw new Error(`client_credentials failed: ${JSON.stringify(body)}`);
  return body.access_token!;
}

type Doc = { paths: Record<string, Record<string, any>>; components: Record<string, Record<string, any>> };

/** Checks answers against the document: the status is one it lists for the operation, and the body matches its schema. */
export class DocumentChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly checked: string[] = [];

  constructor(private readonly doc: Doc) {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ ...doc, $id: 'https://gatehouse.test/openapi.json' } as object);
  }

  private operationFor(method: string, path: string): { template: string; op: any } {
    const bare = path.split('?')[0]!.replace(/^\/api\/v1/, '');
    for (const [template, methods] of Object.entries(this.doc.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
      if (pattern.test(bare) && methods[method.toLowerCase()]) return { template, op: methods[method.toLowerCase()] };
    }
    throw new Error(`the document has no ${method} ${bare}`);
  }

  check(method: string, path: string, answer: ApiAnswer): void {
    const { template, op } = this.operationFor(method, path);
    let response = op.responses[String(answer.status)];
    expect(response, `${method} ${template} answered ${answer.status}, which the document does not list`).toBeDefined();
    let pointer = `#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${answer.status}`;
    if (response.$ref) {
      pointer = response.$ref;
      response = this.doc.components.responses![response.$ref.split('/').pop()]!;
    }
    const content = response.content as Record<string, unknown> | undefined;
    if (!content) {
      expect(answer.body, `${method} ${template} ${answer.status} has no body in the document`).toBeNull();
      return;
    }
    const mediaType = Object.keys(content)[0]!;
    expect(answer.headers.get('content-type')).toContain(mediaType);
    const validate = this.ajv.getSchema(`https://gatehouse.test/openapi.json${pointer}/content/${mediaType.replace(/\//g, '~1')}/schema`)!;
    const valid = validate(answer.body);
    expect(valid, `${method} ${template} ${answer.status}: ${JSON.stringify(validate.errors)}`).toBe(true);
    this.checked.push(`${method} ${template} ${answer.status}`);
  }
}

/** A call to /api/v1, its answer checked against the document. */
export function apiClient(gh: TestGatehouse, checker: DocumentChecker) {
  return async function api(method: string, path: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${gh.url}/api/v1${path}`, {
      method, headers, ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    const answer = { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) };
    checker.check(method, path, answer);
    return answer;
  };
}
