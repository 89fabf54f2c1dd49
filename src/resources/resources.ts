/**
 * Resource indicators (RFC 8707): the resource servers (APIs) an operator
 * registers, and which one a token is for.
 *
 * An app names the API it wants a token for with `resource` at /authorize
 * and at /token. The name must be a registered resource server's URI
 * (otherwise `invalid_target`); the access token's audience is then that
 * resource alone. A code or refresh token keeps the resources its
 * authorization request named: a token request may pick one of them, never
 * another (RFC 8707 §2.2). Requests without `resource` get tokens exactly as
 * before, for Gatehouse's own APIs (/info, /userinfo). One `resource` per
 * request.
 *
 * A resource server that wants to introspect the tokens issued for it
 * authenticates as an app the operator links to it (`--app`); such a token's
 * audience is checked by src/oauth/introspection.ts.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { isClientId } from '../apps/apps.js';
import { isLoopbackHost } from '../apps/redirect-uris.js';
import { InputError } from '../errors.js';
import { InvalidTarget } from '../oauth/errors.js';
import type { ResourceServerRecord } from '../storage/resource-store.js';
import type { Storage } from '../storage/storage.js';
import type { ClientId, Clock } from '../types.js';

/** RFC 8707 §2: an absolute URI without a fragment; here https, or http on loopback for development. */
export function resourceUriProblem(value: string): string | null {
  if (value.length > 2000) return 'the resource URI is longer than 2000 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'the resource must be an absolute URI';
  }
  if (url.hash !== '' || value.includes('#')) return 'the resource URI must not have a fragment';
  if (url.username !== '' || url.password !== '') return 'the resource URI must not carry credentials';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) return 'the resource URI must use https (http only on localhost)';
  return null;
}

/**
 * The resource server a token request's `resource` names, checked against the
 * resources its grant may reach (`permitted`; empty: any registered one).
 * Without `resource`, the grant's only resource if it has exactly one, else none.
 */
export async function chooseResource(storage: Storage, requested: string | undefined, permitted: readonly string[]): Promise<ResourceServerRecord | null> {
  if (requested === undefined) {
    return permitted.length === 1 ? storage.resources.findResource(permitted[0]!) : null;
  }
  const problem = resourceUriProblem(requested);
  if (problem !== null) throw new InvalidTarget(problem);
  if (permitted.length > 0 && !permitted.includes(requested)) throw new InvalidTarget('this grant was not authorized for that resource');
  const found = await storage.resources.findResource(requested);
  if (!found) throw new InvalidTarget('the resource is not a resource server registered here');
  return found;
}

export interface ResourceInput {
  uri: string;
  name?: string | undefined;
  jwt?: boolean | undefined;
  /** The app the resource server authenticates as to introspect its tokens. */
  clientId?: string | null | undefined;
}

/** Registering resource servers: an operator's decision (the CLI). */
export class ResourceServers {
  constructor(private readonly storage: Storage, private readonly audit: AuditLog, private readonly clock: Clock) {}

  async add(input: ResourceInput): Promise<ResourceServerRecord> {
    const problem = resourceUriProblem(input.uri);
    if (problem !== null) throw new InputError(problem);
    const name = (input.name ?? new URL(input.uri).host).trim();
    if (name.length < 1 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) throw new InputError('the name must be 1–100 printable characters');
    let clientId: ClientId | null = null;
    if (input.clientId) {
      if (!isClientId(input.clientId)) throw new InputError('--app must be a client_id (32 hex characters)');
      const app = await this.storage.findApp(input.clientId);
      if (!app) throw new InputError(`no app with client_id ${input.clientId}`);
      if (app.secretHash === null) throw new InputError('the resource server\'s app must be a confidential (web) app: it authenticates to introspect');
      clientId = app.clientId;
    }
    const record: ResourceServerRecord = { uri: input.uri, name, jwt: input.jwt ?? false, clientId, createdAt: this.clock() };
    if (!(await this.storage.resources.createResource(record))) throw new InputError(`a resource server with URI ${input.uri} exists already`);
    await this.audit.record({ action: 'resource_added', actor: { type: 'operator' }, clientId, details: { uri: record.uri, jwt: record.jwt } });
    return record;
  }

  list(): Promise<ResourceServerRecord[]> {
    return this.storage.resources.listResources();
  }

  async remove(uri: string): Promise<void> {
    if (!(await this.storage.resources.deleteResource(uri))) throw new InputError(`no resource server with URI ${uri}`);
    await this.audit.record({ action: 'resource_removed', actor: { type: 'operator' }, details: { uri } });
  }
}
