/**
 * The headers every answer carries unless its route set its own: Fastify's
 * onSend hook (server.ts) adds them, and the hot lane (hot-lane.ts) sends the
 * same list with the answers it writes itself.
 */
import type { Config } from '../config.js';

/**
 * For every response that sets none of its own; it forbids framing (frame-ancestors 'none').
 * connect-src 'self': the passkey script asks Gatehouse itself for WebAuthn options (src/sdk/passkeys.ts).
 */
export const DEFAULT_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Whether an answer over `protocol` (as a trusted proxy reports it, else the socket's) gets HSTS: only
 * when the issuer is https, and never over plain http (RFC 6797 §7.2) — known only when a trusted proxy
 * says so (X-Forwarded-Proto).
 */
export function wantsHsts(config: Pick<Config, 'secureCookies' | 'trustProxy'>, protocol: string | undefined): boolean {
  const knowsScheme = config.trustProxy !== false && config.trustProxy !== 0;
  return config.secureCookies && !(knowsScheme && protocol === 'http');
}

const WITHOUT_HSTS: ReadonlyArray<readonly [string, string]> = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
  ['content-security-policy', DEFAULT_CSP],
  ['x-frame-options', 'DENY'],
  ['cache-control', 'no-store'],
];
const WITH_HSTS: ReadonlyArray<readonly [string, string]> = [...WITHOUT_HSTS, ['strict-transport-security', HSTS]];

/** The full list for an answer that set none of its own, no-store: what the onSend hook adds to such an answer. */
export function securityHeaders(config: Pick<Config, 'secureCookies' | 'trustProxy'>, protocol: string | undefined): ReadonlyArray<readonly [string, string]> {
  return wantsHsts(config, protocol) ? WITH_HSTS : WITHOUT_HSTS;
}
