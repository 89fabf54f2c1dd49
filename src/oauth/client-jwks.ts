/**
 * Fetching an app's public keys from its `jwks_uri` (OIDC Core §10.1.1,
 * RFC 7591 §2): with a timeout and a size cap, cached for a few minutes and
 * fetched again when an assertion names a key the cached set lacks (key
 * rotation), but at most once per cooldown, so unknown `kid`s cannot make
 * Gatehouse hammer the app's server.
 *
 * Server-side request forgery (OWASP SSRF, RFC 9700 §4.15's lesson): the
 * address is the app's to choose, so every address its host resolves to is
 * checked at connection time (the same lookup the socket uses, so a second
 * DNS answer cannot slip past) and loopback, private, link-local, shared and
 * multicast ranges are refused unless the operator allows them
 * (`GATEHOUSE_ALLOW_PRIVATE_JWKS_URI`, for tests and labs). Redirects are
 * not followed.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { validateJwks } from '../apps/client-keys.js';
import type { ClientJwks } from '../storage/storage.js';
import type { Clock } from '../types.js';

const TIMEOUT_MS = 3_000;
const MAX_BYTES = 64 * 1024;
/** How long a fetched key set is used without asking again. */
export const JWKS_CACHE_MS = 5 * 60_000;
/** The least time between two fetches of one address when an unknown key is named. */
export const JWKS_COOLDOWN_MS = 30_000;

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) BLOCKED.addSubnet(net, prefix, 'ipv6');

/** Whether an address is one an app may not make Gatehouse connect to. IPv4-mapped IPv6 addresses are judged as IPv4. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class JwksFetchError extends Error {}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** `dns.lookup` that fails when any address the name resolves to is private. */
function guardedLookup(hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(Object.assign(new Error('jwks_uri resolves to a private address'), { code: 'EPRIVATE' }), []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

/** GET the address and return its body as text: 200 only, at most 64 KiB, within the timeout. */
function fetchText(uri: string, allowPrivate: boolean): Promise<string> {
  const url = new URL(uri);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address is connected to without any lookup: judge it here.
  if (!allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) return Promise.reject(new JwksFetchError('jwks_uri points to a private address'));
  const get = url.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const request = get(url, {
      timeout: TIMEOUT_MS,
      headers: { accept: 'application/jwk-set+json, application/json', 'user-agent': 'Gatehouse' },
      ...(allowPrivate ? {} : { lookup: guardedLookup as never }),
    }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new JwksFetchError(`jwks_uri answered ${response.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) {
          request.destroy(new JwksFetchError('jwks_uri answered more than 64 KiB'));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.on('error', reject);
    });
    const timer = setTimeout(() => request.destroy(new JwksFetchError('jwks_uri did not answer in time')), TIMEOUT_MS);
    request.on('close', () => clearTimeout(timer));
    request.on('timeout', () => request.destroy(new JwksFetchError('jwks_uri did not answer in time')));
    request.on('error', (err) => reject(err instanceof JwksFetchError ? err : new JwksFetchError((err as NodeJS.ErrnoException).code === 'EPRIVATE' ? 'jwks_uri resolves to a private address' : 'jwks_uri could not be fetched')));
  });
}

interface Cached {
  jwks: ClientJwks;
  fetchedAt: number;
}

/**
 * The key sets of apps' `jwks_uri`s. A cache, not state: every process keeps
 * its own, and losing it costs one fetch.
 */
export class ClientJwksFetcher {
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<ClientJwks>>();

  constructor(private readonly clock: Clock, private readonly allowPrivate: boolean) {}

  /**
   * The keys at `uri`: cached while fresh; with `refresh` (an assertion named a
   * key the set lacks), fetched again unless fetched within the cooldown.
   */
  async keys(uri: string, options: { refresh?: boolean } = {}): Promise<ClientJwks> {
    const cached = this.cache.get(uri);
    const age = cached ? this.clock() - cached.fetchedAt : Infinity;
    if (cached && age < (options.refresh ? JWKS_COOLDOWN_MS : JWKS_CACHE_MS)) return cached.jwks;
    // One fetch at a time per address, however many requests wait for it.
    let pending = this.pending.get(uri);
    if (!pending) {
      pending = this.fetch(uri).finally(() => this.pending.delete(uri));
      this.pending.set(uri, pending);
    }
    return pending;
  }

  private async fetch(uri: string): Promise<ClientJwks> {
    const text = await fetchText(uri, this.allowPrivate);
    let jwks: ClientJwks;
    try {
      jwks = await validateJwks(text);
    } catch {
      throw new JwksFetchError('jwks_uri did not answer with a valid JWK Set of public keys');
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(uri, { jwks, fetchedAt: this.clock() });
    return jwks;
  }
}
