/**
 * Client authentication wherever clients authenticate (/token, /revoke,
 * /revoke_token, /introspect, /device/code, /verification_code's exchange):
 * HTTP Basic with form-urlencoded id and secret, or `client_id` and
 * `client_secret` in the body (RFC 6749 §2.3.1, docs/protocol.md §4); a
 * client assertion, `client_assertion_type` and `client_assertion` in the
 * body (RFC 7521 §4.2: `private_key_jwt` and `client_secret_jwt`,
 * src/oauth/client-assertion.ts); public clients send only `client_id`.
 * When a Basic header is present, body secrets are ignored.
 *
 * An app is held to its registered method: one registered for an assertion
 * is refused its secret, and a secret app is refused assertions. The two
 * secret methods accept each other, as Gatehouse always has.
 */
import { checkClientSecret, isClientId } from '../apps/apps.js';
import type { AppRecord, Storage } from '../storage/storage.js';
import type { ClientId } from '../types.js';
import { AssertionRejected, assertedClientId, JWT_BEARER_ASSERTION, type ClientAssertions } from './client-assertion.js';
import { InvalidClient, InvalidRequest, UnauthorizedClient } from './errors.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';

/** What authenticating a client needs: the apps, and the assertion checker (absent: assertions are refused). */
export interface ClientAuthDeps {
  storage: Storage;
  clientAssertions?: ClientAssertions | undefined;
}

export interface AuthenticatedClient {
  app: AppRecord;
  method: ClientAuthMethod;
}

export interface ClientCredentialsInput {
  authorization?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  clientAssertion?: string | undefined;
  clientAssertionType?: string | undefined;
}

/** The credentials of a request: its Authorization header and the body's client parameters. */
export function clientCredentials(authorization: string | undefined, params: Readonly<Record<string, string | undefined>>): ClientCredentialsInput {
  return {
    authorization,
    clientId: params.client_id,
    clientSecret: params.client_secret,
    clientAssertion: params.client_assertion,
    clientAssertionType: params.client_assertion_type,
  };
}

/** `WWW-Authenticate` for a 401 on Basic credentials (RFC 6749 §5.2). */
export const BASIC_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

export class HeaderInvalidClient extends InvalidClient {
  constructor(description: string) {
    super(description, 401);
  }
}

const BASIC_CREDENTIALS = /^Basic +([A-Za-z0-9+/=]+) *$/i;

/** RFC 6749 §2.3.1: both parts are application/x-www-form-urlencoded; most have nothing encoded. */
const formDecoded = (s: string) => (s.includes('%') || s.includes('+') ? decodeURIComponent(s.replace(/\+/g, ' ')) : s);

function parseBasic(header: string): { id: string; secret: string } {
  const match = BASIC_CREDENTIALS.exec(header);
  if (!match) throw new HeaderInvalidClient('the Authorization header is not valid Basic credentials');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new HeaderInvalidClient('the Authorization header is not valid Basic credentials');
  try {
    return { id: formDecoded(decoded.slice(0, colon)), secret: formDecoded(decoded.slice(colon + 1)) };
  } catch {
    throw new HeaderInvalidClient('the Authorization header is not valid Basic credentials');
  }
}

/** The app of the client_id a request claims, being read (`authenticateClient`'s `claimed`). */
export interface ClaimedApp {
  clientId: ClientId;
  app: Promise<AppRecord | null>;
}

/**
 * `claimed` from a read of the claimed app beside something else
 * (`Storage.findTokenForClient`). A failed read is thrown where the app is
 * awaited, and nowhere when the request is refused before that.
 */
export function claimedApp(clientId: ClientId, read: Promise<{ client: AppRecord | null }>): ClaimedApp {
  const app = read.then((r) => r.client);
  app.catch(() => {});
  return { clientId, app };
}

/** The client_id a request claims, before checking anything; null when absent or not a client_id. */
export function claimedClientId(input: ClientCredentialsInput): ClientId | null {
  let id = input.clientId;
  if (id === undefined && input.clientAssertion !== undefined) id = assertedClientId(input.clientAssertion) ?? undefined;
  if (input.authorization !== undefined && /^Basic\s/i.test(input.authorization)) {
    try {
      id = parseBasic(input.authorization).id;
    } catch {
      return null;
    }
  }
  return id !== undefined && isClientId(id) ? id : null;
}

/**
 * `secretOptional`: a confidential client may omit its secret (Yandex's
 * /device/code, docs/protocol.md §5.1); a secret that is sent must still be right.
 * `claimed`: the app of the client_id the request claims (`claimedClientId`),
 * read already beside something else (`Storage.findTokenForClient`); any other
 * app is read here.
 */
export async function authenticateClient(
  deps: ClientAuthDeps,
  input: ClientCredentialsInput,
  options: { secretOptional?: boolean; claimed?: ClaimedApp } = {},
): Promise<AuthenticatedClient> {
  if (input.clientAssertion !== undefined || input.clientAssertionType !== undefined) return authenticateByAssertion(deps, input);
  const credentials = secretCredentials(input);
  const { clientId } = credentials;
  const claimed = options.claimed;
  const app = !isClientId(clientId) ? null : claimed !== undefined && claimed.clientId === clientId ? await claimed.app : await deps.storage.findApp(clientId);
  return clientOf(credentials, app, options);
}

/**
 * `authenticateClient` for a request whose claimed app (`claimedClientId`)
 * was read already and is at hand (`TokenService.resolveForClientNow`): the
 * same answer or refusal, without waiting. Undefined when the request
 * authenticates with a client assertion, which is checked by
 * `authenticateClient` alone.
 */
export function authenticateClientNow(
  input: ClientCredentialsInput,
  claimed: { clientId: ClientId; app: AppRecord | null },
  options: { secretOptional?: boolean } = {},
): AuthenticatedClient | undefined {
  if (input.clientAssertion !== undefined || input.clientAssertionType !== undefined) return undefined;
  const credentials = secretCredentials(input);
  return credentials.clientId === claimed.clientId ? clientOf(credentials, claimed.app, options) : undefined;
}

/** A request's client_id and secret, read from its Basic header or its body, before its app is known. */
interface SecretCredentials {
  clientId: string;
  secret: string | undefined;
  method: ClientAuthMethod;
  /** From a Basic header: a refusal is a 401 with a challenge. */
  basic: boolean;
}

function secretCredentials(input: ClientCredentialsInput): SecretCredentials {
  const basic = input.authorization !== undefined && /^Basic\s/i.test(input.authorization);
  let clientId: string | undefined;
  let secret: string | undefined;
  let method: ClientAuthMethod;
  if (basic) {
    ({ id: clientId, secret } = parseBasic(input.authorization!));
    method = 'client_secret_basic';
  } else {
    clientId = input.clientId;
    secret = input.clientSecret;
    method = secret === undefined ? 'none' : 'client_secret_post';
  }
  if (clientId === undefined || clientId === '') throw new InvalidRequest('client_id is required');
  return { clientId, secret, method, basic };
}

/** The client `credentials` authenticate as, given the app their client_id names (null: there is none), or the refusal. */
function clientOf(credentials: SecretCredentials, app: AppRecord | null, options: { secretOptional?: boolean }): AuthenticatedClient {
  const { secret } = credentials;
  let { method } = credentials;
  const fail = (description: string) => (credentials.basic ? new HeaderInvalidClient(description) : new InvalidClient(description, 400));
  if (!app) throw fail('unknown client');
  const assertionApp = app.tokenEndpointAuthMethod === 'private_key_jwt' || app.tokenEndpointAuthMethod === 'client_secret_jwt';
  if (assertionApp && !(options.secretOptional && (secret === undefined || secret === ''))) {
    throw fail(`this app authenticates with a client assertion (${app.tokenEndpointAuthMethod}), not its secret`);
  }
  if (app.secretHash !== null && options.secretOptional && (secret === undefined || secret === '')) {
    method = 'none';
  } else if (app.secretHash !== null) {
    if (secret === undefined || secret === '') throw fail('client authentication is required for this app');
    if (!checkClientSecret(app, secret)) throw fail('wrong client secret');
  } else if (secret !== undefined && secret !== '') {
    // A public client has no secret: one presented is a misconfiguration, not a credential.
    throw fail('this app is a public client and has no secret');
  } else {
    method = 'none';
  }
  if (app.status !== 'active') throw new UnauthorizedClient('this app is blocked');
  return { app, method };
}

/**
 * RFC 7521 §4.2: the assertion is the credential; `client_id`, when sent, must
 * be the one it names. One method per request (RFC 6749 §2.3): a Basic header
 * or a secret beside an assertion is refused.
 */
async function authenticateByAssertion(deps: ClientAuthDeps, input: ClientCredentialsInput): Promise<AuthenticatedClient> {
  const fail = (description: string) => new InvalidClient(description, 400);
  if (input.clientAssertion === undefined) throw new InvalidRequest('client_assertion is required with client_assertion_type');
  if (input.clientAssertionType === undefined) throw new InvalidRequest('client_assertion_type is required with client_assertion');
  if (input.authorization !== undefined && /^Basic\s/i.test(input.authorization)) throw new InvalidRequest('use one client authentication method: an Authorization header or a client assertion, not both');
  if (input.clientSecret !== undefined) throw new InvalidRequest('use one client authentication method: client_secret or a client assertion, not both');
  if (input.clientAssertionType !== JWT_BEARER_ASSERTION) throw fail(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
  const clientId = assertedClientId(input.clientAssertion);
  if (clientId === null) throw fail('the client assertion is not a JWT naming the client in sub');
  if (input.clientId !== undefined && input.clientId !== clientId) throw fail('client_id is not the client the assertion names');
  const app = isClientId(clientId) ? await deps.storage.findApp(clientId) : null;
  if (!app) throw fail('unknown client');
  const method = app.tokenEndpointAuthMethod;
  if (method !== 'private_key_jwt' && method !== 'client_secret_jwt') throw fail('this app does not authenticate with client assertions');
  if (!deps.clientAssertions) throw fail('client assertions are not accepted here');
  try {
    await deps.clientAssertions.verify(app, input.clientAssertion);
  } catch (err) {
    if (err instanceof AssertionRejected) throw fail(err.message);
    throw err;
  }
  if (app.status !== 'active') throw new UnauthorizedClient('this app is blocked');
  return { app, method };
}
