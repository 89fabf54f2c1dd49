/**
 * Signing keys for id_tokens (SPEC §2, §7): generated on first start, stored
 * with the private half sealed under the server key, published at /jwks.
 * Every process reads them from the database, so all of them sign and accept
 * the same keys.
 */
import { randomHex } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { SigningKeyRecord, Storage } from '../storage/storage.js';
import type { Clock } from '../types.js';
import { exportJWK, generateKeyPair } from 'jose';

export const DEFAULT_SIGNING_ALG = 'ES256';

export async function createSigningKey(storage: Storage, secrets: SecretBox, clock: Clock, alg = DEFAULT_SIGNING_ALG): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('RS') ? { modulusLength: 2048 } : {}) });
  const kid = randomHex(8);
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  const record: SigningKeyRecord = {
    kid,
    alg,
    privateJwkSealed: secrets.seal(JSON.stringify(privateJwk)),
    publicJwk: JSON.stringify(publicJwk),
    createdAt: clock(),
    retiredAt: null,
  };
  await storage.addSigningKey(record);
  return record;
}

/** Makes sure a current key exists for each algorithm Gatehouse signs with. */
export async function ensureSigningKeys(storage: Storage, secrets: SecretBox, clock: Clock): Promise<void> {
  const keys = await storage.listSigningKeys();
  for (const alg of [DEFAULT_SIGNING_ALG, 'RS256']) {
    if (!keys.some((k) => k.alg === alg && k.retiredAt === null)) await createSigningKey(storage, secrets, clock, alg);
  }
}
