/** What an app may register as a redirect URI or suggest hostname (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.6). */
import { describe, expect, test } from 'vitest';
import { isLoopbackHost, validateOrigin, validateRedirectUri } from '../../src/apps/redirect-uris.js';
import { InputError } from '../../src/errors.js';

describe('redirect URIs', () => {
  test.each([
    'https://app.example/callback',
    'https://app.example:8443/cb?tab=1',
    'http://localhost/callback',
    'http://127.0.0.1:51234/',
    'http://[::1]:8080/cb',
    'gh0123456789abcdef0123456789abcdef:///auth/finish?platform=ios',
    'yx0123456789abcdef0123456789abcdef:///auth/finish?platform=android',
    'com.example.app:/oauth2redirect',
  ])('accepts %s unchanged', (uri) => {
    expect(validateRedirectUri(uri)).toBe(uri);
  });

  test.each([
    ['http on a public host (RFC 9700 §2.6)', 'http://app.example/callback'],
    ['http on a host that only starts like loopback', 'http://127.0.0.1.evil.example/cb'],
    ['http on a host that only starts like localhost', 'http://localhost.evil.example/cb'],
    ['a fragment (RFC 6749 §3.1.2)', 'https://app.example/cb#frag'],
    ['an empty fragment', 'https://app.example/cb#'],
    ['credentials', 'https://user:pass@app.example/cb'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,hi'],
    ['file:', 'file:///etc/passwd'],
    ['a relative URL', '/callback'],
    ['no URL at all', 'not a url'],
    ['more than 2000 characters', 'https://app.example/' + 'a'.repeat(2000)],
  ])('rejects %s', (_, uri) => {
    expect(() => validateRedirectUri(uri)).toThrow(InputError);
  });

  test('names the rule that was broken', () => {
    expect(() => validateRedirectUri('http://app.example/cb')).toThrow(/https/);
    expect(() => validateRedirectUri('https://app.example/cb#x')).toThrow(/fragment/);
  });

  test('knows the loopback hosts', () => {
    for (const host of ['localhost', '127.0.0.1', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['example.com', '127.0.0.2', '0.0.0.0', 'localhost.example']) expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('suggest hostnames (origins, docs/protocol.md §8)', () => {
  test('accepts an https origin, or http on loopback, with or without a trailing slash', () => {
    expect(validateOrigin('https://shop.example')).toBe('https://shop.example');
    expect(validateOrigin('https://shop.example/')).toBe('https://shop.example');
    expect(validateOrigin('https://shop.example:8443')).toBe('https://shop.example:8443');
    expect(validateOrigin('http://localhost:3000')).toBe('http://localhost:3000');
  });

  test.each([
    ['a path', 'https://shop.example/login'],
    ['a query', 'https://shop.example/?a=1'],
    ['a fragment', 'https://shop.example/#a'],
    ['http on a public host', 'http://shop.example'],
    ['another scheme', 'ftp://shop.example'],
    ['a wildcard, which CSP frame-ancestors would honour', 'https://*.shop.example'],
    ['a character that would end a CSP directive', 'https://shop.example;sandbox'],
    ['no URL', 'shop.example'],
  ])('rejects %s', (_, value) => {
    expect(() => validateOrigin(value)).toThrow(InputError);
  });
});
