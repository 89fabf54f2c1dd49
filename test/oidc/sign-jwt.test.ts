/**
 * `signJwt`, the one signer of id_tokens and JWT access tokens: what it makes
 * verifies with jose as a relying party verifies it, for both algorithms, and
 * an RS256 signature (a quarter of a millisecond of CPU) is made off the
 * event loop, so that a burst of RS256 id_tokens does not hold up every other
 * request the process serves.
 */
import { generateKeyPairSync } from 'node:crypto';
import { importJWK, jwtVerify, type JWK } from 'jose';
import { describe, expect, test } from 'vitest';
import { signJwt, type SigningKey } from '../../src/oidc/keys.js';

function keyOf(alg: 'ES256' | 'RS256'): { signing: SigningKey; publicJwk: JWK } {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { signing: { kid: `kid-${alg}`, alg, key: pair.privateKey }, publicJwk: pair.publicKey.export({ format: 'jwk' }) as JWK };
}

describe('signJwt', () => {
  for (const alg of ['ES256', 'RS256'] as const) {
    test(`${alg}: a compact JWS a relying party verifies, with its kid and typ`, async () => {
      const { signing, publicJwk } = keyOf(alg);
      const jwt = await signJwt(signing, 'JWT', { sub: 'someone', aud: 'app', iat: 1 });
      const { payload, protectedHeader } = await jwtVerify(jwt, await importJWK(publicJwk, alg), { algorithms: [alg] });
      expect(protectedHeader).toEqual({ alg, kid: `kid-${alg}`, typ: 'JWT' });
      expect(payload).toEqual({ sub: 'someone', aud: 'app', iat: 1 });
    });
  }

  test('an RS256 signature is made off the event loop: the call returns before it exists', async () => {
    const { signing } = keyOf('RS256');
    let signed = false;
    const pending = signJwt(signing, 'JWT', { sub: 'someone' }).then(() => (signed = true));
    // A signature made on the calling thread would have settled within these turns of the microtask queue;
    // one made on the thread pool arrives only with a later turn of the event loop.
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(signed).toBe(false);
    await pending;
    expect(signed).toBe(true);
  });
});
