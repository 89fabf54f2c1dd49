/**
 * Pushed authorization requests (RFC 9126): an app sends its authorization
 * request to /par with client authentication, gets back a `request_uri`, and
 * sends the browser to /authorize with only `client_id` and that URI. The
 * parameters never pass through the browser, so nobody there can read or
 * change them, and a confidential app's request is authenticated before the
 * user sees anything.
 *
 * A `request_uri` is 256 random bits, stored only as its SHA-256, and works
 * once, for `PAR_TTL_SECONDS`. While the user signs in and consents, the
 * request travels on as a fresh single-use URI of the same kind
 * (`continueRequest`), never as parameters, so an app that requires PAR
 * cannot be sent a request that did not come through /par.
 */
import { randomToken, sha256Hex } from '../crypto/random.js';
import type { AppRecord, Storage } from '../storage/storage.js';
import type { ClientId, Clock } from '../types.js';
import { AUTHORIZE_PARAMS } from './authorize/request.js';
import { InvalidRequest, UntrustedRedirectError } from './errors.js';

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2: short-lived; long enough to redirect the browser. */
export const PAR_TTL_SECONDS = 60;
/** How long a request may wait for the user to sign in and consent. */
export const INTERACTION_TTL_SECONDS = 30 * 60;

/** RFC 9101 §10.2, used by RFC 9126 §4: the request_uri is unknown, used or expired. */
export class InvalidRequestUri extends UntrustedRedirectError {
  constructor(description: string) {
    super('invalid_request_uri', description);
  }
}

/** The authorization parameters of a pushed request, as /authorize keeps them. */
export function pushedParams(params: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of AUTHORIZE_PARAMS) if (params[name] !== undefined) out[name] = params[name]!;
  return out;
}

export class PushedRequests {
  constructor(private readonly storage: Storage, private readonly clock: Clock) {}

  /** Stores a checked request for `app`; returns its `request_uri`. */
  async push(app: AppRecord, params: Record<string, string>, ttlSeconds = PAR_TTL_SECONDS): Promise<string> {
    if (params.request_uri !== undefined) throw new InvalidRequest('request_uri cannot be pushed');
    const uri = REQUEST_URI_PREFIX + randomToken(32);
    const now = this.clock();
    await this.storage.proofs.savePushedRequest({ hash: sha256Hex(uri), clientId: app.clientId, params: { ...params, client_id: app.clientId }, createdAt: now, expiresAt: now + ttlSeconds * 1000 });
    return uri;
  }

  /**
   * The parameters behind a `request_uri`, used up by this call. The
   * `client_id` sent beside it must be the one that pushed it (RFC 9126 §4).
   */
  async take(requestUri: string, clientId: string | undefined): Promise<Record<string, string>> {
    if (!requestUri.startsWith(REQUEST_URI_PREFIX) || requestUri.length > 200) throw new InvalidRequestUri('request_uri is not one Gatehouse issued');
    if (clientId === undefined || clientId === '') throw new UntrustedRedirectError('invalid_request', 'client_id is required with request_uri');
    const record = await this.storage.proofs.takePushedRequest(sha256Hex(requestUri), this.clock());
    if (!record) throw new InvalidRequestUri('request_uri is unknown, already used or expired: push the request again');
    if (record.clientId !== (clientId as ClientId)) throw new InvalidRequestUri('request_uri was pushed by another app');
    return record.params;
  }

  /** The request carried on through sign-in and consent: `client_id` and a fresh single-use `request_uri`. */
  async continueRequest(app: AppRecord, params: Record<string, string>): Promise<Record<string, string>> {
    return { client_id: app.clientId, request_uri: await this.push(app, params, INTERACTION_TTL_SECONDS) };
  }
}
