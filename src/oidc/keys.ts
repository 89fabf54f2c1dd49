/**
 * Signing keys for id_tokens (docs/protocol.md §2, §7): generated on first start, stored
 * with the private half sealed under the server key, published at /jwks.
 * Every process reads them from the database, so all of them sign with and
 * publish the same keys; a rotation made by any process (or the CLI) is seen
 * by the others within `KEY_CACHE_MS`.
 *
 * Rotation is staged, so that no relying party ever meets an id_token whose
 * `kid` its cached copy of /jwks lacks: `gatehouse keys rotate` publishes the
 * next key at once but dates its `activatesAt` `NEXT_KEY_LEAD_MS` ahead, and
 * the old key keeps signing until then. Every process picks, on each id_token,
 * the newest key whose `activatesAt` has passed, so they all switch at the
 * same moment without telling each other anything.
 */
import { createPrivateKey, sign as signWith, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { createLocalJWKSet, errors, exportJWK, generateKeyPair, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { randomHex } from '../crypto/random.js';
import { SecretKeyError, type SecretBox } from '../crypto/secret-box.js';
import type { IdTokenAlg, SigningKeyRecord, Storage } from '../storage/storage.js';
import type { Clock, Millis } from '../types.js';

export const DEFAULT_SIGNING_ALG: IdTokenAlg = 'ES256';
export const SIGNING_ALGS: readonly IdTokenAlg[] = ['ES256', 'RS256'];
/** How stale this process's view of the key table may be. */
const KEY_CACHE_MS = 5_000;
/** How long relying parties (and shared HTTP caches) may keep /jwks: its `Cache-Control: max-age`. */
export const JWKS_MAX_AGE_SECONDS = 60;
/**
 * How long a rotated-in key is published before it signs: every process has
 * read it (`KEY_CACHE_MS`), then every cached /jwks from before has expired
 * (`JWKS_MAX_AGE_SECONDS`), with 25 s to spare for clocks of several machines
 * that disagree a little.
 */
export const NEXT_KEY_LEAD_MS = KEY_CACHE_MS + JWKS_MAX_AGE_SECONDS * 1000 + 25_000;

/** A new key pair for `alg`, signing from `leadMs` after its creation. */
async function newSigningKey(secrets: SecretBox, clock: Clock, alg: string, leadMs: number): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('RS') ? { modulusLength: 2048 } : {}) });
  const kid = randomHex(8);
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  const createdAt = clock();
  return {
    kid,
    alg,
    privateJwkSealed: secrets.seal(JSON.stringify(privateJwk)),
    publicJwk: JSON.stringify(publicJwk),
    createdAt,
    activatesAt: createdAt + leadMs,
    retiredAt: null,
  };
}

/**
 * Makes sure a current key exists for each algorithm Gatehouse signs with, and
 * that this process's server key opens the stored ones: a process started
 * with another key (a second machine without the shared key) stops here with a
 * clear message instead of failing at its first id_token.
 *
 * Processes started together on a new database race to make the first keys:
 * the database keeps one open key per algorithm (a unique index), so one
 * insert wins and the others drop theirs and use the winner's.
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
    if (keys.some((k) => k.alg === alg && k.retiredAt === null)) continue;
    // The first key of an algorithm signs at once: no relying party can have cached a key set without it.
    await storage.addSigningKey(await newSigningKey(secrets, clock, alg, 0));
  }
}

/**
 * `gatehouse keys rotate`: a new key per algorithm, published at once and
 * signing from `NEXT_KEY_LEAD_MS` later, when the current key retires (it
 * stays published for the id_token lifetime after that).
 */
export async function rotateSigningKeys(
  storage: Storage, secrets: SecretBox, clock: Clock, record?: (keys: SigningKeyRecord[]) => Promise<unknown>,
): Promise<SigningKeyRecord[]> {
  // Made first (an RSA key takes a while), then published together with the audit entry: one unit of work.
  const next: SigningKeyRecord[] = [];
  for (const alg of SIGNING_ALGS) next.push(await newSigningKey(secrets, clock, alg, NEXT_KEY_LEAD_MS));
  await storage.atomically(async () => {
    for (const key of next) await storage.rotateSigningKey(key);
    await record?.(next);
  });
  return next;
}

/** The key that signs for `alg` at `now`: the newest that has activated and not retired. */
export function signingKeyAt(records: readonly SigningKeyRecord[], alg: string, now: Millis): SigningKeyRecord | null {
  let best: SigningKeyRecord | null = null;
  for (const k of records) {
    if (k.alg !== alg || k.activatesAt > now || (k.retiredAt !== null && k.retiredAt <= now)) continue;
    if (!best || k.activatesAt > best.activatesAt || (k.activatesAt === best.activatesAt && k.createdAt > best.createdAt)) best = k;
  }
  return best;
}

export interface SigningKey {
  kid: string;
  alg: IdTokenAlg;
  key: KeyObject;
}

/** `crypto.sign` with its callback: the signature is made on libuv's thread pool. */
const signOnPool = promisify(signWith) as (algorithm: string, data: Buffer, key: KeyObject) => Promise<Buffer>;

/**
 * A compact JWS (RFC 7515 §7.1) of `payload`, with `kid` and `typ` in its
 * header, signed with Node's own crypto. jose signs through WebCrypto, whose
 * every signature is a job handed to the thread pool and back, ES256 ones
 * too. Where the signature is made depends on what it costs (measured on the
 * benchmark machine, docs/benchmarks.md):
 * - ES256 on the calling thread: 29 µs there, against 12 µs there plus 40 µs
 *   on the pool — less CPU in all, and the default algorithm;
 * - RS256 on the thread pool: 255 µs on the calling thread would stall every
 *   other request of the event loop for that long, where handing it over
 *   costs the loop 26 µs.
 * ES256 signatures are the raw r‖s pair JWS wants (RFC 7518 §3.4), not DER.
 */
export async function signJwt(key: SigningKey, typ: string, payload: Record<string, unknown>): Promise<string> {
  const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ })).toString('base64url');
  const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = key.alg === 'ES256'
    ? signWith('sha256', Buffer.from(input), { key: key.key, dsaEncoding: 'ieee-p1363' })
    : await signOnPool('sha256', Buffer.from(input), key.key);
  return `${input}.${signature.toString('base64url')}`;
}

export class KeyStore {
  private cache: { at: number; records: SigningKeyRecord[] } | null = null;
  private readonly imported = new Map<string, SigningKey>();

  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    /** Retired keys stay published this long: the longest an id_token they signed can live. */
    private readonly retiredKeyGraceMs: number,
  ) {}

  private async records(): Promise<SigningKeyRecord[]> {
    const now = this.clock();
    if (!this.cache || now - this.cache.at > KEY_CACHE_MS || now < this.cache.at) this.cache = { at: now, records: await this.storage.listSigningKeys() };
    return this.cache.records;
  }

  /** The key that signs for `alg` now (`signingKeyAt`). */
  async signingKey(alg: IdTokenAlg): Promise<SigningKey> {
    const record = signingKeyAt(await this.records(), alg, this.clock());
    if (!record) throw new Error(`no current ${alg} signing key: run gatehouse keys rotate`);
    let key = this.imported.get(record.kid);
    if (key === undefined) {
      const jwk = JSON.parse(this.secrets.open(record.privateJwkSealed)) as JWK;
      key = { kid: record.kid, alg: record.alg as IdTokenAlg, key: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }) };
      this.imported.set(record.kid, key);
    }
    return key;
  }

  /** The public keys to publish: the open ones (signing now or next), and retired ones whose tokens may still be alive. */
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
