/**
 * Validating an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3,
 * docs/protocol.md §3) as a list of small steps, in the order they must run: nothing may be
 * redirected until the client and its redirect URI are known to be genuine
 * (RFC 6749 §4.1.2.1), so those two steps throw `UntrustedRedirectError`,
 * rendered as a page; every later step throws a `RedirectableError`.
 */
import { isClientId } from '../../apps/apps.js';
import { isBrowserApp, isDeviceFlowOnly, isYandexSdkRedirectUri, matchRedirectUri, type RedirectMatch } from '../../apps/platforms.js';
import type { AppRecord, Storage } from '../../storage/storage.js';
import type { ClientId } from '../../types.js';
import { parseDeviceParams } from '../device-params.js';
import { InvalidRequest, InvalidTarget, OAuthError, UnauthorizedClient, UnsupportedResponseType, UntrustedRedirectError } from '../errors.js';
import { resourceUriProblem } from '../../resources/resources.js';
import { isValidPkceValue, type PkceMethod } from '../pkce.js';
import { resolveRequestedScopes } from '../scopes.js';

/** `code`; `token` (implicit, docs/protocol.md §3); OIDC's `id_token` and `id_token token` (OIDC Core §3.2). */
export type ResponseType = 'code' | 'token' | 'id_token' | 'id_token token';
export type ResponseMode = 'query' | 'fragment' | 'form_post';
export type Prompt = 'none' | 'login' | 'consent' | 'select_account';

/** Response types in a canonical order (their words may come in any order, OAuth Multiple Response Types §5). */
export function normalizeResponseType(value: string | undefined): ResponseType | null {
  if (!value) return null;
  const words = value.split(' ').filter(Boolean).sort().join(' ');
  return words === 'code' || words === 'token' || words === 'id_token' || words === 'id_token token' ? words : null;
}

/** Gatehouse's own page that shows a code or token to type or copy (docs/protocol.md §5.2, §5.3). */
export const VERIFICATION_PAGE = '/verification_code';

/** Where a validated request's answer goes. */
export interface RedirectTarget {
  redirectUri: string;
  /**
   * Where errors and results are placed: query for `code`, fragment for the
   * rest (RFC 6749 §4.2.2), or an auto-submitted form (OAuth Form Post Response Mode).
   */
  responseMode: ResponseMode;
  state: string | null;
  /** The answer goes to Gatehouse's own verification page, not to the app. */
  toVerificationPage: boolean;
  /** `native`: a derived mobile URI or a desktop app's loopback URI, which needs PKCE; `loopback`: one accepted on any port, which takes only codes. */
  redirectMatch: RedirectMatch;
}

export interface AuthorizationRequest extends RedirectTarget {
  app: AppRecord;
  responseType: ResponseType;
  /** The redirect_uri parameter as sent, or null when it was omitted (RFC 6749 §4.1.3). */
  redirectUriParam: string | null;
  /** Scopes the user cannot decline. */
  scopes: string[];
  /** Scopes shown with checkboxes (`optional_scope`). */
  optionalScopes: string[];
  codeChallenge: string | null;
  codeChallengeMethod: PkceMethod | null;
  nonce: string | null;
  loginHint: string | null;
  forceConfirm: boolean;
  deviceId: string | null;
  deviceName: string | null;
  display: 'page' | 'popup';
  /** OIDC `prompt` values (OIDC Core §3.1.2.1). */
  prompt: Prompt[];
  /** OIDC `max_age` in seconds: older sign-ins must be repeated. */
  maxAge: number | null;
  /** OIDC `ui_locales`, most preferred first. */
  uiLocales: string[];
  /** OIDC `acr_values`: the levels the app asks for, any one of which will do (src/accounts/authentication.ts). */
  acrValues: string[];
  /** RFC 8707: the registered resource server the tokens are for; empty for Gatehouse's own APIs. */
  resources: string[];
}

/** An error that may be sent back to the (verified) redirect URI. */
export class RedirectableError extends Error {
  constructor(readonly error: OAuthError, readonly target: RedirectTarget) {
    super(error.message);
  }
}

export type AuthorizeParams = Readonly<Record<string, string | undefined>>;

/** The parameters that form an authorization request, kept across sign-in and consent. */
export const AUTHORIZE_PARAMS = [
  'response_type', 'client_id', 'redirect_uri', 'scope', 'optional_scope', 'state', 'login_hint',
  'force_confirm', 'device_id', 'device_name', 'code_challenge', 'code_challenge_method', 'nonce',
  'prompt', 'display', 'response_mode', 'max_age', 'ui_locales', 'acr_values', 'resource',
] as const;

async function checkClient(storage: Storage, params: AuthorizeParams): Promise<AppRecord> {
  const clientId = params.client_id;
  if (!clientId) throw new UntrustedRedirectError('invalid_request', 'client_id is required');
  const app = isClientId(clientId) ? await storage.findApp(clientId as ClientId) : null;
  if (!app) throw new UntrustedRedirectError('invalid_client', 'there is no app with this client_id');
  return app;
}

/** TV apps have no browser to come back to: the device flow is their only way in (docs/protocol.md §9). */
function checkPlatform(app: AppRecord): void {
  if (isDeviceFlowOnly(app)) {
    throw new UntrustedRedirectError('unauthorized_client', 'this is a TV app: it signs in with the device flow (POST /device/code and the /device page), not /authorize');
  }
}

function checkRedirectUri(app: AppRecord, params: AuthorizeParams, issuer: string): { uri: string; match: RedirectMatch } {
  const uri = params.redirect_uri;
  // Every app may send the user to Gatehouse's own code page (docs/protocol.md §5.2).
  if (uri === issuer + VERIFICATION_PAGE) return { uri, match: 'registered' };
  if (uri === undefined || uri === '') {
    if (app.redirectUris.length === 1) return { uri: app.redirectUris[0]!, match: 'registered' };
    throw new UntrustedRedirectError('invalid_request', app.redirectUris.length === 0
      ? 'this app has no redirect URI registered'
      : 'redirect_uri is required: this app has several registered');
  }
  // Exact string comparison (RFC 9700 §4.1.3): no prefix, wildcard or normalisation; only the
  // port of a desktop app's loopback URI may differ (RFC 8252 §7.3), see apps/platforms.ts.
  const match = matchRedirectUri(app, uri, issuer);
  if (match === null) throw new UntrustedRedirectError('invalid_request', 'redirect_uri is not registered for this app');
  return { uri, match };
}

function checkStatus(app: AppRecord, target: RedirectTarget): void {
  if (app.status !== 'active') throw new RedirectableError(new UnauthorizedClient('this app is blocked'), target);
}

/** RFC 9126 §5: an app that requires PAR is refused any request that did not come through /par. */
function checkPushed(app: AppRecord, target: RedirectTarget, pushed: boolean): void {
  if (app.requirePar && !pushed) throw new RedirectableError(new InvalidRequest('this app must push its authorization requests to /par and send request_uri'), target);
}

function checkResponseType(app: AppRecord, params: AuthorizeParams, target: RedirectTarget, issuer: string): ResponseType {
  const raw = params.response_type;
  if (!raw) throw new RedirectableError(new InvalidRequest('response_type is required'), target);
  const type = normalizeResponseType(raw);
  if (type === null) {
    throw new RedirectableError(new UnsupportedResponseType('response_type is not supported: use code, token, id_token or id_token token'), target);
  }
  if (type !== 'code' && params.response_mode === 'query') {
    // OAuth Multiple Response Types §5: tokens must never travel in the query.
    throw new RedirectableError(new InvalidRequest('response_mode=query is not allowed for this response_type'), target);
  }
  // The implicit flow hands a token to a browser: only for web apps and instant-login sites,
  // for debug tokens shown on Gatehouse's own page (docs/protocol.md §5.3), and for Yandex's mobile SDKs,
  // which ask for a token on their `yx…` redirect URI (docs/protocol.md §9).
  if (type !== 'code' && !target.toVerificationPage && !app.platforms.some((p) => p.type === 'web') && app.suggestHostnames.length === 0
    && !isYandexSdkRedirectUri(app, issuer, target.redirectUri)) {
    throw new RedirectableError(new UnauthorizedClient('this app may not use response_type=token: it has no web platform or suggest hostname'), target);
  }
  // RFC 9449: a token handed out on a redirect cannot be bound to a key.
  if ((type === 'token' || type === 'id_token token') && app.requireDpop) {
    throw new RedirectableError(new UnauthorizedClient('this app requires DPoP: tokens come only from /token, with a proof'), target);
  }
  // A port nobody registered may belong to any program on the user's machine (RFC 8252 §7.3,
  // §8.1): it gets a code, useless without the PKCE verifier, and never a token (RFC 9700 §2.1.2).
  if (type !== 'code' && target.redirectMatch === 'loopback') {
    throw new RedirectableError(new UnauthorizedClient('tokens and id_tokens go only to a redirect URI registered exactly; a loopback URI on any port takes response_type=code with PKCE'), target);
  }
  return type;
}

function checkScopes(app: AppRecord, params: AuthorizeParams, target: RedirectTarget): { scopes: string[]; optionalScopes: string[] } {
  try {
    return resolveRequestedScopes(app, params);
  } catch (err) {
    throw new RedirectableError(err as OAuthError, target);
  }
}

function checkPkce(app: AppRecord, params: AuthorizeParams, target: RedirectTarget, responseType: ResponseType): { challenge: string | null; method: PkceMethod | null } {
  const challenge = params.code_challenge;
  const method = params.code_challenge_method;
  // PKCE binds a code to its exchange; the implicit flow has no exchange.
  if (responseType !== 'code') return { challenge: null, method: null };
  if (challenge === undefined || challenge === '') {
    if (method) throw new RedirectableError(new InvalidRequest('code_challenge_method was sent without code_challenge'), target);
    if (app.secretHash === null) throw new RedirectableError(new InvalidRequest('code_challenge is required: PKCE is mandatory for public clients'), target);
    // A native redirect lands on a device, where another app may catch it (RFC 8252 §8.1).
    if (target.redirectMatch !== 'registered') throw new RedirectableError(new InvalidRequest('code_challenge is required: PKCE is mandatory for native redirect URIs'), target);
    return { challenge: null, method: null };
  }
  if (!isValidPkceValue(challenge)) throw new RedirectableError(new InvalidRequest('code_challenge must be 43–128 characters of [A-Za-z0-9-._~]'), target);
  // docs/protocol.md §3: S256 is the default when the method is omitted.
  const m = method === undefined || method === '' ? 'S256' : method;
  if (m !== 'S256' && m !== 'plain') throw new RedirectableError(new InvalidRequest('code_challenge_method must be S256 or plain'), target);
  // OAuth 2.0 for Browser-Based Apps §6.1.3.1 (RFC 9700 §2.1.1): a browser app uses S256.
  if (m !== 'S256' && isBrowserApp(app)) throw new RedirectableError(new InvalidRequest('code_challenge_method must be S256 for a browser app'), target);
  return { challenge, method: m };
}

function checkLengths(params: AuthorizeParams, target: RedirectTarget): void {
  const limit = (name: string, max: number) => {
    const v = params[name];
    if (v !== undefined && v.length > max) throw new RedirectableError(new InvalidRequest(`${name} is longer than ${max} characters`), target);
  };
  limit('nonce', 512);
  limit('login_hint', 254);
}

function checkOidc(params: AuthorizeParams, target: RedirectTarget, responseType: ResponseType, scopes: string[]): { prompt: Prompt[]; maxAge: number | null } {
  const fail = (description: string) => new RedirectableError(new InvalidRequest(description), target);
  if (responseType.includes('id_token')) {
    if (!scopes.includes('openid')) throw fail('response_type id_token needs the openid scope');
    // OIDC Core §3.2.2.1: nonce is required when an id_token comes back from /authorize.
    if (!params.nonce) throw fail('nonce is required when response_type includes id_token');
  }
  const prompt = (params.prompt ?? '').split(' ').filter(Boolean);
  for (const p of prompt) {
    if (p !== 'none' && p !== 'login' && p !== 'consent' && p !== 'select_account') throw fail('prompt is not supported: use none, login, consent or select_account');
  }
  if (prompt.includes('none') && prompt.length > 1) throw fail('prompt=none cannot be combined with other values');
  let maxAge: number | null = null;
  if (params.max_age !== undefined) {
    if (!/^\d{1,10}$/.test(params.max_age)) throw fail('max_age must be a whole number of seconds');
    maxAge = Number(params.max_age);
  }
  return { prompt: [...new Set(prompt)] as Prompt[], maxAge };
}

function responseMode(params: AuthorizeParams, toVerificationPage: boolean): ResponseMode {
  // Gatehouse's own page always reads the fragment, which never reaches a server log.
  if (toVerificationPage) return 'fragment';
  const asked = params.response_mode;
  if (asked === 'query' || asked === 'fragment' || asked === 'form_post') return asked;
  const type = normalizeResponseType(params.response_type);
  return type === null || type === 'code' ? 'query' : 'fragment';
}

/** RFC 8707 §2: `resource` names a resource server registered here, or the app is told `invalid_target`. */
async function checkResource(storage: Storage, params: AuthorizeParams, target: RedirectTarget): Promise<string[]> {
  const uri = params.resource;
  if (uri === undefined) return [];
  const problem = resourceUriProblem(uri);
  if (problem !== null) throw new RedirectableError(new InvalidTarget(problem), target);
  if (!(await storage.resources.findResource(uri))) throw new RedirectableError(new InvalidTarget('the resource is not a resource server registered here'), target);
  return [uri];
}

/** Runs every step; the returned request is safe to act on. `pushed`: the parameters came from /par (RFC 9126). */
export async function validateAuthorizationRequest(storage: Storage, params: AuthorizeParams, issuer: string, options: { pushed?: boolean } = {}): Promise<AuthorizationRequest> {
  const app = await checkClient(storage, params);
  checkPlatform(app);
  const { uri: redirectUri, match: redirectMatch } = checkRedirectUri(app, params, issuer);
  const state = params.state ?? null;
  const toVerificationPage = redirectUri === issuer + VERIFICATION_PAGE;
  const target: RedirectTarget = {
    redirectUri,
    responseMode: responseMode(params, toVerificationPage),
    state: state !== null && state.length <= 1024 ? state : null,
    toVerificationPage,
    redirectMatch,
  };
  if (state !== null && state.length > 1024) throw new RedirectableError(new InvalidRequest('state is longer than 1024 characters'), target);
  checkStatus(app, target);
  checkPushed(app, target, options.pushed ?? false);
  const responseType = checkResponseType(app, params, target, issuer);
  const { scopes, optionalScopes } = checkScopes(app, params, target);
  const pkce = checkPkce(app, params, target, responseType);
  checkLengths(params, target);
  const oidc = checkOidc(params, target, responseType, [...scopes, ...optionalScopes]);
  if (params.response_mode !== undefined && !['query', 'fragment', 'form_post'].includes(params.response_mode)) {
    throw new RedirectableError(new InvalidRequest('response_mode must be query, fragment or form_post'), target);
  }
  const resources = await checkResource(storage, params, target);
  let device;
  try {
    device = parseDeviceParams(params);
  } catch (err) {
    throw new RedirectableError(err as OAuthError, target);
  }
  return {
    ...target,
    app,
    responseType,
    redirectUriParam: params.redirect_uri || null,
    scopes,
    optionalScopes,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: pkce.method,
    nonce: params.nonce || null,
    loginHint: params.login_hint || null,
    forceConfirm: /^(yes|true|1)$/i.test(params.force_confirm ?? '') || oidc.prompt.includes('consent'),
    deviceId: device.deviceId,
    deviceName: device.deviceName,
    display: params.display === 'popup' ? 'popup' : 'page',
    prompt: oidc.prompt,
    maxAge: oidc.maxAge,
    uiLocales: (params.ui_locales ?? '').split(' ').filter((l) => /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(l)).slice(0, 10),
    // Values Gatehouse does not know ask for nothing (OIDC Core §3.1.2.1: acr_values is a voluntary request).
    acrValues: (params.acr_values ?? '').split(' ').filter((v) => v !== '').slice(0, 10).map((v) => v.slice(0, 100)),
    resources,
  };
}
