/** PKCE helpers (RFC 7636). */
import { describe, expect, test } from 'vitest';
import { isValidPkceValue, s256Challenge, verifyPkce } from '../../src/oauth/pkce.js';

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE', () => {
  test('derives the S256 challenge of RFC 7636 Appendix B', () => {
    expect(s256Challenge(VERIFIER)).toBe(CHALLENGE);
  });

  test('verifies S256: the matching verifier only (§4.6)', () => {
    expect(verifyPkce(CHALLENGE, 'S256', VERIFIER)).toBe(true);
    expect(verifyPkce(CHALLENGE, 'S256', VERIFIER.slice(0, -1) + 'j')).toBe(false);
    expect(verifyPkce(CHALLENGE, 'S256', CHALLENGE)).toBe(false);
  });

  test('verifies plain: the verifier equals the challenge', () => {
    expect(verifyPkce(VERIFIER, 'plain', VERIFIER)).toBe(true);
    expect(verifyPkce(VERIFIER, 'plain', VERIFIER.toUpperCase())).toBe(false);
  });

  test('accepts values of 43–128 unreserved characters only (§4.1)', () => {
    expect(isValidPkceValue('a'.repeat(43))).toBe(true);
    expect(isValidPkceValue('a'.repeat(128))).toBe(true);
    expect(isValidPkceValue('AZaz09-._~'.repeat(5))).toBe(true);
    expect(isValidPkceValue('a'.repeat(42))).toBe(false);
    expect(isValidPkceValue('a'.repeat(129))).toBe(false);
    for (const bad of ['+', '/', '=', ' ', '%', 'é']) expect(isValidPkceValue('a'.repeat(42) + bad)).toBe(false);
  });

  test('never verifies a malformed verifier, even against itself as a plain challenge', () => {
    expect(verifyPkce('short', 'plain', 'short')).toBe(false);
    expect(verifyPkce('a'.repeat(129), 'plain', 'a'.repeat(129))).toBe(false);
  });
});
