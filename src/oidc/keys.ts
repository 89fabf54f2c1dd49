/**
 * Signing keys for id_tokens (SPEC §2, §7): generated on first start, stored
 * with the private half sealed under the server key, published at /jwks.
 * Every process reads them from the database, so all of them sign with and
 * publish the same keys; a rotation made by any process (or the CLI) is seen
 * by the others within `KEY_CACHE_MS`.
 */
import { createLocalJWKSet, errors, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { randomHex } from '../crypto/random.js';
import { SecretKeyError, type SecretBox } from '../crypto/secret-box.js';
import type { IdTokenAlg, SigningKeyRecord, Storage } from '../storage/storage.js';
import type { Clock } from '../types.js';

export const DEFAULT_SIGNING_ALG: IdTokenAlg = 'ES256';
export const SIGNING_ALGS: readonly IdTokenAlg[] = ['ES256', 'RS256'];
/** How stale this process's view of the key table may be. */
const KEY_CACHE_MS = 5_000;

export async function createSigningKey(storage: Storage, secrets: SecretBox, clock: Clock, alg: string = DEFAULT_SIGNING_ALG): Promise<SigningKeyRecord> {
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

/**
 * Makes sure a current key exists for each algorithm Gatehouse signs with, and
 * that this process's server key opens the stored ones: a process started
 * with another key (a second machine without the shared key) stops here with a
 * clear message instead of failing at its first id_token.
 */
export async function ensureSigningKeys(storage: Storage, secrets: SecretBox, clock: Clock): Promise<void> {
  const keys = await storage.listSigningKeys();
  const sample = keys.find((k) => k.retiredAt === null);
  if (sample) {
    try {
      secrets.open(sample.privateJwkSealed);
    } catch {
      throw new SecretKeyError('the server key does not open this database\'s signing keys: every process on one database needs the same secret.key (or GATEHOUSE_SECRET_KEY)');
    }
  }
  for (const alg of SIGNING_ALGS) {
    if (!keys.some((k) => k.alg === alg && k.retiredAt === null)) await createSigningKey(storage, secrets, clock, alg);
  }
}

/** Adds a new key per algorithm and retires the old ones (`gatehouse keys rotate`). */
export async function rotateSigningKeys(storage: Storage, secrets: SecretBox, clock: Clock): Promise<SigningKeyRecord[]> {
  const current = (await storage.listSigningKeys()).filter((k) => k.retiredAt === null);
  const fresh: SigningKeyRecord[] = [];
  for (const alg of SIGNING_ALGS) {
    fresh.push(await createSigningKey(storage, secrets, clock, alg));
    for (const old of current.filter((k) => k.alg === alg)) await storage.retireSigningKey(old.kid, clock());
  }
  return fresh;
}

export interface SigningKey {
  kid: string;
  alg: IdTokenAlg;
  key: Awaited<ReturnType<typeof importJWK>>;
}

export class KeyStore {
  private cache: { at: number; records: SigningKeyRecord[] } | null = null;
  private readonly imported = new Map<string, Promise<SigningKey>>();

  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    /** Retired keys stay published this long: the longest an id_token they signed can live. */
    private readonly retiredKeyGraceMs: number,
  ) {}

  private async records(): Promise<SigningKeyRecord[]> {
    const now = Date.now();
    if (!this.cache || now - this.cache.at > KEY_CACHE_MS) this.cache = { at: now, records: await this.storage.listSigningKeys() };
    return this.cache.records;
  }

  /** The newest current key for `alg`. */
  async signingKey(alg: IdTokenAlg): Promise<SigningKey> {
    const record = (await this.records()).filter((k) => k.alg === alg && k.retiredAt === null).at(-1);
    if (!record) throw new Error(`no current ${alg} signing key: run gatehouse keys rotate`);
    let key = this.imported.get(record.kid);
    if (!key) {
      const jwk = JSON.parse(this.secrets.open(record.privateJwkSealed)) as JWK;
      key = importJWK(jwk, record.alg).then((k) => ({ kid: record.kid, alg: record.alg as IdTokenAlg, key: k }));
      this.imported.set(record.kid, key);
    }
    return key;
  }

  /** The public keys to publish: current ones, and retired ones whose tokens may still be alive. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const cutoff = this.clock() - this.retiredKeyGraceMs;
    const keys = (await this.records()).filter((k) => k.retiredAt === null || k.retiredAt > cutoff);
    return { keys: keys.map((k) => JSON.parse(k.publicJwk) as JWK) };
  }

  /**
   * Checks that a JWT was signed by one of our published keys and issued by us;
   * expiry is not checked (an id_token_hint may have expired, OIDC RP-Initiated
   * Logout §2). Null when it is not ours.
   */
  async verifyOwnJwt(jwt: string, issuer: string): Promise<JWTPayload | null> {
    const keySet = createLocalJWKSet(await this.jwks());
    try {
      return (await jwtVerify(jwt, keySet, { issuer, algorithms: [...SIGNING_ALGS] })).payload;
    } catch (err) {
      // jose checks the signature before the claims: an expired token here is genuinely ours.
      if (err instanceof errors.JWTExpired) return err.payload;
      return null;
    }
  }
}
