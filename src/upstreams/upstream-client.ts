/**
 * What the sign-in flow (src/upstreams/federation.ts) asks of an upstream,
 * whichever kind it is: an authorization URL, and at the callback the profile
 * of the user, every check passed. Two implementations: OpenID Connect with
 * openid-client (oidc-upstream.ts), and Yandex ID and GitHub over plain
 * OAuth 2.0 (oauth-upstream.ts).
 */
import type { UpstreamKind } from '../storage/upstream-store.js';
import type { UpstreamProfile } from './profile.js';

/** An upstream's settings with its secret opened and the preset's endpoints filled in. */
export interface UpstreamSettings {
  name: string;
  kind: UpstreamKind;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  authorizationEndpoint: string | null;
  tokenEndpoint: string | null;
  userinfoEndpoint: string | null;
  updatedAt: number;
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  /** S256 of the PKCE verifier (RFC 7636 §4.2). */
  codeChallenge: string;
}

export interface CallbackCheck {
  /** The redirect URI with the query the upstream sent. */
  callbackUrl: URL;
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface UpstreamClient {
  authorizationUrl(u: UpstreamSettings, request: AuthorizationRequest, now: number): Promise<URL>;
  /** Throws UpstreamError. */
  finish(u: UpstreamSettings, check: CallbackCheck, now: number): Promise<UpstreamProfile>;
}

/** How long any one request to an upstream may take. */
export const FETCH_TIMEOUT_MS = 10_000;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** http: to this machine, allowed for development and tests; everywhere else an upstream must be https. */
export function isLoopbackHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && LOOPBACK.has(u.hostname);
  } catch {
    return false;
  }
}
