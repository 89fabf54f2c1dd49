/**
 * Random values come from a pool of CSPRNG bytes (crypto/random.ts): every
 * value has the length and alphabet asked for, no two are alike across pool
 * refills, and requests larger than the pool are served whole.
 */
import { expect, test } from 'vitest';
import { randomHex, randomToken } from '../../src/crypto/random.js';

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
