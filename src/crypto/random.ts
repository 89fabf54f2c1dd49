/**
 * Random values and hashes for everything Gatehouse hands out. Tokens, codes
 * and client secrets are ≥ 256-bit random strings; only their SHA-256 hashes are
 * stored (SPEC §4, RFC 9700 §4.14), so a stolen database yields nothing usable.
 * A fast hash is right here: the inputs are high-entropy, so there is nothing to
 * brute-force, and every API call pays for the lookup (SPEC §1).
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Brand } from '../types.js';

/** Hex SHA-256 of a secret value: the only form in which it is stored. */
export type SecretHash = Brand<string, 'SecretHash'>;

export function sha256Hex(value: string): SecretHash {
  return createHash('sha256').update(value).digest('hex') as SecretHash;
}

/** `bytes` of randomness as base64url, no padding. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
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
