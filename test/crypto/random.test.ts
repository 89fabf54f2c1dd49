/**
 * Random values come from a pool of CSPRNG bytes (crypto/random.ts): every
 * value has the length and alphabet asked for, no two are alike across pool
 * refills, and requests larger than the pool are served whole. Hashes are
 * SHA-256 of the value's UTF-8, whichever of Node's two ways computes them.
 */
import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import { randomHex, randomToken, sha256Hex } from '../../src/crypto/random.js';

test('tokens are base64url of the requested size, distinct across many pool refills', () => {
  const seen = new Set<string>();
  // 32-byte tokens and odd-sized hex values interleaved, so values straddle the 4 KiB refill boundary at varying offsets.
  for (let i = 0; i < 5000; i++) {
    const token = randomToken(32);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hex = randomHex(7);
    expect(hex).toMatch(/^[0-9a-f]{14}$/);
    seen.add(token);
    seen.add(hex);
  }
  expect(seen.size).toBe(10000);
});

test('a value larger than the pool is served whole and random', () => {
  const big = randomHex(10_000);
  expect(big).toHaveLength(20_000);
  expect(big).not.toMatch(/^0+$/);
  // Roughly uniform: no hex digit is missing or wildly over-represented in 20,000 of them.
  for (const digit of '0123456789abcdef') {
    const n = big.split(digit).length - 1;
    expect(n).toBeGreaterThan(900);
    expect(n).toBeLessThan(1600);
  }
});

test('bytes are not zero-filled by mistake: successive values differ in every position over many draws', () => {
  const values = Array.from({ length: 200 }, () => randomHex(16));
  for (let pos = 0; pos < 32; pos++) expect(new Set(values.map((v) => v[pos])).size).toBeGreaterThan(8);
});

test('sha256Hex is the SHA-256 of the UTF-8 of its input, in lowercase hex', () => {
  // FIPS 180-2's "abc" and the empty string; a non-ASCII value hashes its UTF-8 bytes.
  expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  expect(sha256Hex('é')).toBe(createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
});
