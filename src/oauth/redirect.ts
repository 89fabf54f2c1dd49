/**
 * The one place that builds the answer to an authorization request. Only ever
 * used with a redirect URI that was verified against the app's registration.
 * Adds `iss` to every response (RFC 9207).
 */
import type { OAuthError } from './errors.js';
import type { RedirectTarget } from './authorize/request.js';

/** Where the browser goes next and with which parameters; the HTTP layer sends it as a redirect or a form post. */
export interface AuthorizationResponse {
  target: RedirectTarget;
  params: Record<string, string>;
}

export function authorizationResponse(target: RedirectTarget, issuer: string, values: Record<string, string | null | undefined>): AuthorizationResponse {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== null && value !== undefined) params[key] = value;
  if (target.state !== null) params.state = target.state;
  params.iss = issuer;
  return { target, params };
}

export function errorResponse(target: RedirectTarget, issuer: string, error: OAuthError): AuthorizationResponse {
  return authorizationResponse(target, issuer, { error: error.code, error_description: error.description });
}

/** The URL for query and fragment modes. */
export function responseUrl(response: AuthorizationResponse): string {
  const url = new URL(response.target.redirectUri);
  if (response.target.responseMode === 'query') {
    // Keep the redirect URI's own query (RFC 6749 §3.1.2).
    for (const [key, value] of Object.entries(response.params)) url.searchParams.set(key, value);
  } else {
    url.hash = new URLSearchParams(response.params).toString();
  }
  return url.toString();
}
