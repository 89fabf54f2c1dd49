/** Proof Key for Code Exchange (RFC 7636). */
import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../crypto/random.js';

export type PkceMethod = 'S256' | 'plain';

/** RFC 7636 §4.1 / §4.2: 43–128 characters of the unreserved set. */
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

export function isValidPkceValue(value: string): boolean {
  return PKCE_VALUE.test(value);
}

export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** RFC 7636 §4.6. */
export function verifyPkce(challenge: string, method: PkceMethod, verifier: string): boolean {
  if (!isValidPkceValue(verifier)) return false;
  const derived = method === 'S256' ? s256Challenge(verifier) : verifier;
  return constantTimeEqual(derived, challenge);
}
