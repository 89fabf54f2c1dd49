/**
 * Random values and hashes for everything Gatehouse hands out. Tokens, codes
 * and client secrets are ≥ 256-bit random strings; only their SHA-256 hashes are
 * stored (docs/protocol.md §4, RFC 9700 §4.14), so a stolen database yields nothing usable.
 * A fast hash is right here: the inputs are high-entropy, so there is nothing to
 * brute-force, and every API call pays for the lookup (docs/protocol.md §1).
 */
import crypto, { createHash, randomFillSync, randomInt, timingSafeEqual } from 'node:crypto';
import type { Brand } from '../types.js';

/**
 * Node's one-shot hash (20.12 and later): a third of `createHash`'s cost, which
 * every token check pays (docs/benchmarks.md). Looked up rather than imported,
 * so that Node 20.11 starts and hashes the long way.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** Hex SHA-256 of a secret value: the only form in which it is stored (a token's, after the time it carries: `tokenKey`). */
export type SecretHash = Brand<string, 'SecretHash'>;

export function sha256Hex(value: string): SecretHash {
  return (oneShot ? oneShot('sha256', value, 'hex') : createHash('sha256').update(value).digest('hex')) as SecretHash;
}

/**
 * Random bytes are drawn from the CSPRNG a pool at a time, as Node does for
 * `crypto.randomUUID()`: one `getrandom` call per 4 KiB instead of one per
 * token (the issuing endpoints ask for two or three values per request). Bytes
 * handed out are zeroed in the pool, so no value is in memory twice.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomEncoded(bytes: number, encoding: 'base64url' | 'hex'): string {
  if (bytes > POOL_SIZE) return randomFillSync(Buffer.alloc(bytes)).toString(encoding);
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const value = pool.toString(encoding, poolOffset, poolOffset + bytes);
  pool.fill(0, poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return value;
}

/** `bytes` of randomness as base64url, no padding. */
export function randomToken(bytes = 32): string {
  return randomEncoded(bytes, 'base64url');
}

export function randomHex(bytes: number): string {
  return randomEncoded(bytes, 'hex');
}

/** A string of `length` characters drawn uniformly from `alphabet`. */
export function randomFromAlphabet(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
