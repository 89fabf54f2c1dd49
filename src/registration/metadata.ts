/**
 * Client metadata of dynamic registration (RFC 7591 §2) read into the same
 * input the developer console and the CLI give `Apps` (src/apps/apps.ts), so a
 * registered app is checked exactly as strictly as any other: redirect URIs,
 * scopes, names, keys. Metadata Gatehouse does not understand is ignored
 * (RFC 7591 §2: "MUST ignore"); what it understands but cannot honour is
 * refused with `invalid_client_metadata` or `invalid_redirect_uri`.
 *
 * Which kind of app a registration makes (docs/protocol.md §9) follows from
 * its authentication method and redirect URIs: a client that authenticates
 * (a secret or a key) is a `web` app; a public one (`none`) whose redirect
 * URIs are loopback or private-use schemes is a `desktop` app, PKCE required
 * (RFC 8252); a public one with https redirect URIs is a browser app (`spa`:
 * PKCE S256, CORS for its origins); a public one with only the device grant
 * is a `tv` app.
 */
import type { AppInput } from '../apps/apps.js';
import { isAuthMethod } from '../apps/client-keys.js';
import { isLoopbackHost } from '../apps/redirect-uris.js';
import { InvalidClientMetadata, InvalidRedirectUri, InvalidSoftwareStatement } from '../oauth/errors.js';
import type { AppRecord, PlatformType, TokenEndpointAuthMethod } from '../storage/storage.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const GRANTS = new Set(['authorization_code', 'implicit', 'refresh_token', 'client_credentials', DEVICE_GRANT]);
const RESPONSE_TYPES = new Set(['code', 'token']);
/** Scopes a registration gets when it names none. */
export const DEFAULT_REGISTERED_SCOPES = ['openid', 'profile', 'email'];

type Metadata = Record<string, unknown>;

function stringOf(m: Metadata, name: string, max: number): string | undefined {
  const value = m[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) throw new InvalidClientMetadata(`${name} must be a string of at most ${max} characters`);
  return value;
}

function listOf(m: Metadata, name: string, max: number, error = InvalidClientMetadata): string[] | undefined {
  const value = m[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > max || value.some((v) => typeof v !== 'string' || v.length > 2000)) {
    throw new error(`${name} must be an array of at most ${max} strings`);
  }
  return value as string[];
}

/** A private-use scheme (RFC 8252 §7.1) or loopback http (§7.3): where a native app receives its answer. */
/** A browser app's redirect URI: https, or http on this machine during development. */
function isBrowserRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}

function isNativeRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    if (url.protocol === 'http:') return isLoopbackHost(url.hostname);
    return url.protocol !== 'https:';
  } catch {
    return false;
  }
}

export interface ReadMetadata {
  input: AppInput & { name: string };
  platform: PlatformType;
}

/** The app a registration (or, RFC 7592 §2.2, a full replacement of one) describes. */
export function readMetadata(body: unknown): ReadMetadata {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidClientMetadata('the request body must be a JSON object of client metadata');
  const m = body as Metadata;
  if (m.software_statement !== undefined) throw new InvalidSoftwareStatement('software statements are not accepted: send the metadata itself');

  const method = stringOf(m, 'token_endpoint_auth_method', 40) ?? 'client_secret_basic';
  if (!isAuthMethod(method)) throw new InvalidClientMetadata('token_endpoint_auth_method must be one of none, client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt');
  const redirectUris = listOf(m, 'redirect_uris', 50, InvalidRedirectUri) ?? [];
  const grants = listOf(m, 'grant_types', 10) ?? ['authorization_code'];
  const responseTypes = listOf(m, 'response_types', 10) ?? ['code'];
  if (grants.some((g) => !GRANTS.has(g))) throw new InvalidClientMetadata('grant_types may hold only authorization_code, implicit, refresh_token, client_credentials and the device_code grant');
  if (responseTypes.some((r) => !RESPONSE_TYPES.has(r))) throw new InvalidClientMetadata('response_types may hold only code and token');
  // RFC 7591 §2.1: the two lists must agree.
  if (responseTypes.includes('code') !== grants.includes('authorization_code')) throw new InvalidClientMetadata('response_types code goes with grant_types authorization_code, and only with it');
  if (responseTypes.includes('token') !== grants.includes('implicit')) throw new InvalidClientMetadata('response_types token goes with grant_types implicit, and only with it');
  const redirecting = grants.includes('authorization_code') || grants.includes('implicit');
  if (redirecting && redirectUris.length === 0) throw new InvalidRedirectUri('redirect_uris is required for the authorization_code and implicit grants');

  let platform: PlatformType;
  if (method !== 'none') {
    platform = 'web';
  } else {
    if (grants.includes('client_credentials')) throw new InvalidClientMetadata('client_credentials needs a client that authenticates: choose a token_endpoint_auth_method other than none');
    if (grants.includes('implicit')) throw new InvalidClientMetadata('public clients may not use the implicit grant');
    if (!redirecting) platform = 'tv';
    else if (redirectUris.every(isNativeRedirect)) platform = 'desktop';
    else if (redirectUris.every(isBrowserRedirect)) platform = 'spa';
    else throw new InvalidRedirectUri('a public client (token_endpoint_auth_method none) uses either https redirect URIs (a browser app) or loopback http and private-use schemes (a native app), not both');
  }

  const scope = stringOf(m, 'scope', 1000);
  const jwks = m.jwks;
  if (jwks !== undefined && jwks !== null && (typeof jwks !== 'object' || Array.isArray(jwks))) throw new InvalidClientMetadata('jwks must be a JWK Set object');
  const alg = stringOf(m, 'id_token_signed_response_alg', 10);
  if (alg !== undefined && alg !== 'ES256' && alg !== 'RS256') throw new InvalidClientMetadata('id_token_signed_response_alg must be ES256 or RS256');
  const name = stringOf(m, 'client_name', 200) ?? defaultName(redirectUris);

  return {
    platform,
    input: {
      name,
      redirectUris,
      platforms: [platform],
      scopes: scope === undefined ? DEFAULT_REGISTERED_SCOPES : scope.split(' ').filter(Boolean),
      optionalScopes: [],
      postLogoutRedirectUris: listOf(m, 'post_logout_redirect_uris', 50, InvalidRedirectUri) ?? [],
      tokenEndpointAuthMethod: method,
      jwks: jwks ?? null,
      jwksUri: stringOf(m, 'jwks_uri', 2000) ?? null,
      ...(alg !== undefined ? { idTokenAlg: alg } : {}),
    },
  };
}

/** A registration that names itself nothing is called by the host it redirects to. */
function defaultName(redirectUris: string[]): string {
  try {
    const host = new URL(redirectUris[0] ?? '').hostname;
    if (host) return host.slice(0, 100);
  } catch {
    // fall through
  }
  return 'Registered app';
}

/** The grants and response types an app of this kind may use at Gatehouse. */
function grantsOf(app: AppRecord): { grant_types: string[]; response_types: string[] } {
  const types = app.platforms.map((p) => p.type);
  if (types.includes('web')) return { grant_types: ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', DEVICE_GRANT], response_types: ['code', 'token'] };
  if (types.every((t) => t === 'tv')) return { grant_types: [DEVICE_GRANT, 'refresh_token'], response_types: [] };
  return { grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT], response_types: ['code'] };
}

/** Whether the app authenticates with its secret (directly or by an HMAC assertion), so the secret is the client's to know. */
export function usesSecret(method: TokenEndpointAuthMethod): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post' || method === 'client_secret_jwt';
}

/** The metadata of a registered app as Gatehouse holds it (RFC 7591 §3.2.1): what it will honour, not merely what was asked. */
export function describeApp(app: AppRecord): Record<string, unknown> {
  return {
    client_id: app.clientId,
    client_id_issued_at: Math.floor(app.createdAt / 1000),
    client_name: app.name,
    redirect_uris: app.redirectUris,
    ...grantsOf(app),
    token_endpoint_auth_method: app.tokenEndpointAuthMethod,
    scope: app.scopes.join(' '),
    ...(app.jwks ? { jwks: app.jwks } : {}),
    ...(app.jwksUri ? { jwks_uri: app.jwksUri } : {}),
    post_logout_redirect_uris: app.postLogoutRedirectUris,
    id_token_signed_response_alg: app.idTokenAlg,
  };
}
