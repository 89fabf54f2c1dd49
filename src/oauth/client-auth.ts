/**
 * Client authentication at the token and revocation endpoints
 * (RFC 6749 §2.3.1, docs/protocol.md §4): HTTP Basic with form-urlencoded id and secret,
 * or `client_id` and `client_secret` in the body; public clients send only
 * `client_id`. When a Basic header is present, body credentials are ignored.
 */
import { checkClientSecret, isClientId } from '../apps/apps.js';
import type { AppRecord, Storage } from '../storage/storage.js';
import { InvalidClient, InvalidRequest, UnauthorizedClient } from './errors.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface AuthenticatedClient {
  app: AppRecord;
  method: ClientAuthMethod;
}

export interface ClientCredentialsInput {
  authorization?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
}

/** `WWW-Authenticate` for a 401 on Basic credentials (RFC 6749 §5.2). */
export const BASIC_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

export class HeaderInvalidClient extends InvalidClient {
  constructor(description: string) {
    super(description, 401);
  }
}

function parseBasic(header: string): { id: string; secret: string } {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!match) throw new HeaderInvalidClient('the Authorization header is not valid Basic credentials');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new HeaderInvalidClient('the Authorization header is not valid Basic credentials');
  try {
    // RFC 6749 §2.3.1: both parts are application/x-www-form-urlencoded.
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    throw new HeaderInvalidClient('the Authorization header is not valid Basic credentials');
  }
}

/**
 * `secretOptional`: a confidential client may omit its secret (Yandex's
 * /device/code, docs/protocol.md §5.1); a secret that is sent must still be right.
 */
/** The client_id a request claims, before checking anything; null when absent or not a client_id. */
export function claimedClientId(input: ClientCredentialsInput): string | null {
  let id = input.clientId;
  if (input.authorization !== undefined && /^Basic\s/i.test(input.authorization)) {
    try {
      id = parseBasic(input.authorization).id;
    } catch {
      return null;
    }
  }
  return id !== undefined && isClientId(id) ? id : null;
}

export async function authenticateClient(storage: Storage, input: ClientCredentialsInput, options: { secretOptional?: boolean } = {}): Promise<AuthenticatedClient> {
  const basic = input.authorization !== undefined && /^Basic\s/i.test(input.authorization);
  const fail = (description: string) => (basic ? new HeaderInvalidClient(description) : new InvalidClient(description, 400));

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

  const app = isClientId(clientId) ? await storage.findApp(clientId) : null;
  if (!app) throw fail('unknown client');
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
