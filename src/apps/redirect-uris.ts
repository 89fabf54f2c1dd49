/**
 * What a redirect URI or a suggest hostname may be, checked when an app is
 * registered, so that /authorize only ever compares strings exactly
 * (RFC 9700 §4.1.3, RFC 6749 §3.1.2).
 */
import { InputError } from '../errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * https anywhere; http only on loopback (RFC 8252 §7.3, RFC 9700 §2.6);
 * private-use schemes for native apps (RFC 8252 §7.1). No fragments
 * (RFC 6749 §3.1.2), no credentials.
 */
export function validateRedirectUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`redirect URI is not an absolute URL: ${JSON.stringify(value.slice(0, 200))}`);
  }
  if (value.length > 2000) throw new InputError('redirect URI is longer than 2000 characters');
  if (url.hash !== '' || value.includes('#')) throw new InputError(`redirect URI must not have a fragment: ${value}`);
  if (url.username !== '' || url.password !== '') throw new InputError(`redirect URI must not carry credentials: ${value}`);
  if (FORBIDDEN_SCHEMES.has(url.protocol)) throw new InputError(`redirect URI scheme ${url.protocol} is not allowed`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new InputError(`redirect URI must use https (http is allowed only on localhost): ${value}`);
  }
  return value;
}

/** A suggest hostname is an origin: scheme, host and optional port, nothing else (docs/protocol.md §8). */
export function validateOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`not an origin: ${JSON.stringify(value.slice(0, 200))}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new InputError(`origin must use https (http is allowed only on localhost): ${value}`);
  }
  // One host name or IP literal: URLs tolerate `*`, `;` and more in a host, which mean something else in CSP `frame-ancestors`.
  if (!/^(?:[a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname)) throw new InputError(`origin must name a single host: ${value}`);
  if (url.origin !== value.replace(/\/$/, '')) throw new InputError(`origin must not have a path, query or fragment: ${value}`);
  return url.origin;
}
