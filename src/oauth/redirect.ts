/**
 * The one place that builds a redirect back to an app. Only ever called with a
 * redirect URI that was verified against the app's registration.
 * Adds `iss` to every authorization response (RFC 9207).
 */
import type { OAuthError } from './errors.js';
import type { RedirectTarget } from './authorize/request.js';

export function redirectWith(target: RedirectTarget, issuer: string, values: Record<string, string | null | undefined>): string {
  const url = new URL(target.redirectUri);
  // Query mode keeps the URI's own query (RFC 6749 §3.1.2); fragment mode replaces the fragment (§4.2.2).
  const params = target.responseMode === 'query' ? url.searchParams : new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== null && value !== undefined) params.set(key, value);
  if (target.state !== null) params.set('state', target.state);
  params.set('iss', issuer);
  if (target.responseMode === 'fragment') url.hash = params.toString();
  return url.toString();
}

export function redirectWithError(target: RedirectTarget, issuer: string, error: OAuthError): string {
  return redirectWith(target, issuer, { error: error.code, error_description: error.description });
}
