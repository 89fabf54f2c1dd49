/** Scope parameters (RFC 6749 §3.3) and the catalogue (docs/protocol.md §1). */
import { describe, expect, test } from 'vitest';
import { formatScopes, isKnownScope, parseScopeParam, SCOPE_CATALOGUE, scopeLabel } from '../../src/oauth/scopes.js';

describe('scopes', () => {
  test('the catalogue holds the scopes of docs/protocol.md §1', () => {
    expect(SCOPE_CATALOGUE.map((s) => s.name)).toEqual([
      'login:info', 'login:email', 'login:avatar', 'login:birthday', 'login:default_phone', 'openid', 'profile', 'email', 'phone',
    ]);
    expect(isKnownScope('login:info')).toBe(true);
    expect(isKnownScope('login:password')).toBe(false);
    expect(scopeLabel('login:email')).toMatch(/email/);
    expect(scopeLabel('custom:thing')).toBe('custom:thing');
  });

  test('an absent or empty parameter is no scopes', () => {
    expect(parseScopeParam(undefined)).toEqual([]);
    expect(parseScopeParam('')).toEqual([]);
    expect(parseScopeParam('   ')).toEqual([]);
  });

  test('splits on spaces, keeps order and drops duplicates', () => {
    expect(parseScopeParam('login:email  login:info login:email ')).toEqual(['login:email', 'login:info']);
  });

  test('accepts any scope-token of %x21 / %x23-5B / %x5D-7E, known or not', () => {
    expect(parseScopeParam('a!#[]~ z')).toEqual(['a!#[]~', 'z']);
  });

  test.each([['a double quote', 'login:"info'], ['a backslash', 'a\\b'], ['a tab', 'a\tb'], ['a newline', 'a\nb'], ['non-ASCII', 'логин']])(
    'rejects a scope-token with %s',
    (_, value) => {
      expect(parseScopeParam(value)).toBeNull();
    },
  );

  test('formats scopes space-separated', () => {
    expect(formatScopes(['login:info', 'login:email'])).toBe('login:info login:email');
    expect(formatScopes([])).toBe('');
  });
});
