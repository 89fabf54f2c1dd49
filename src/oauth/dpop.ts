/**
 * DPoP proofs (RFC 9449): a client proves, with each request, that it holds
 * the private key its tokens are bound to. Checked at /token (the tokens are
 * bound to the key's thumbprint, `cnf.jkt`) and at the resource endpoints
 * (/userinfo, /info), where a bound token is accepted only with a proof of
 * the same key for that very request (`htm`, `htu`, `ath`).
 *
 * Replay: a proof's `jti` is recorded in the database for as long as its `iat`
 * is acceptable, so a proof works once whichever process receives it.
 * Freshness: `iat` within `IAT_WINDOW_SECONDS` of the server's clock, and at
 * /token a server nonce (§8): an HMAC of the current minute under a key
 * derived from the server key, so every process issues and accepts the same
 * nonces without storing them; a nonce lives one to two minutes.
 */
import { constants, createHash, createHmac, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { sha256Hex } from '../crypto/random.js';
import type { Storage } from '../storage/storage.js';
import type { Clock, Millis } from '../types.js';
import { OAuthError } from './errors.js';

/**
 * Asymmetric algorithms only (RFC 9449 §4.2: never `none` or a MAC). `Ed25519`
 * is the fully-specified name of EdDSA over Ed25519 (RFC 9864), which newer
 * clients (oauth4webapi) use.
 */
export const DPOP_ALGS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;
const ALGS: readonly string[] = DPOP_ALGS;
/** How far a proof's `iat` may be from the server's clock, either way. */
export const IAT_WINDOW_SECONDS = 60;
const NONCE_SLOT_MS = 60_000;
const MAX_PROOF_LENGTH = 8192;

/** RFC 9449 §5, §7.1: the proof is missing where required, malformed, or does not match the request or token. */
export class InvalidDpopProof extends OAuthError {
  constructor(description: string, status = 400) {
    super('invalid_dpop_proof', description, status);
  }
}

/** RFC 9449 §8: the proof must carry the server nonce sent in `DPoP-Nonce`. */
export class UseDpopNonce extends OAuthError {
  constructor(readonly nonce: string, description: string, status = 400) {
    super('use_dpop_nonce', description, status);
  }
}

export interface ProofTarget {
  /** The request's method (`htm`). */
  method: string;
  /** The endpoint's URL without query or fragment (`htu`), as the issuer names it. */
  url: string;
  /** Resource requests: the access token the proof must name (`ath`). */
  accessToken?: string;
  /** /token: a server nonce is required. */
  requireNonce?: boolean;
}

export interface CheckedProof {
  /** The JWK SHA-256 thumbprint of the proof's key (RFC 7638), base64url. */
  jkt: string;
}

/** `htu` compared as RFC 9449 §4.3 says: scheme and host case-insensitively, without query and fragment. */
function normalizeHtu(value: string): string | null {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return null;
  }
}

const sha256B64url = (value: string) => createHash('sha256').update(value).digest('base64url');

function parseJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

interface ProofKey {
  key: KeyObject;
  /** RFC 7638 thumbprint, base64url. */
  jkt: string;
}

/**
 * Imported keys by their required members, so a client that proves with the
 * same key request after request is imported once. Bounded: an attacker
 * sending a new key each time only evicts.
 */
const KEY_CACHE = new Map<string, ProofKey>();
const KEY_CACHE_SIZE = 1000;

/** The members of each key type a thumbprint covers (RFC 7638 §3.2), in their lexicographic order. */
const REQUIRED: Record<string, readonly string[]> = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'] };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The proof's public key, checked against its algorithm; a string says what is wrong. */
function publicKeyOf(jwk: unknown, alg: string): ProofKey | string {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return 'the DPoP proof must carry its public key in jwk';
  const members = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((m) => m in members)) return 'the DPoP proof key must be a public key';
  const kty = members.kty;
  const wanted = alg === 'ES256' ? 'EC' : alg === 'EdDSA' || alg === 'Ed25519' ? 'OKP' : 'RSA';
  if (kty !== wanted) return `a DPoP proof signed with ${alg} needs a key of type ${wanted}`;
  const required = REQUIRED[wanted]!;
  if (required.some((m) => typeof members[m] !== 'string')) return 'the DPoP proof key is incomplete';
  if (wanted === 'EC' && members.crv !== 'P-256') return 'an ES256 key must be on the P-256 curve';
  if (wanted === 'OKP' && members.crv !== 'Ed25519') return 'an EdDSA key must be an Ed25519 key';
  // The thumbprint input (RFC 7638 §3.3): the required members, sorted, no spaces.
  const canonical = `{${required.map((m) => `${JSON.stringify(m)}:${JSON.stringify(members[m])}`).join(',')}}`;
  const cached = KEY_CACHE.get(canonical);
  if (cached) return cached;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Object.fromEntries(required.map((m) => [m, members[m]])) as never, format: 'jwk' });
  } catch {
    return 'the DPoP proof key is not a valid key';
  }
  if (wanted === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return 'an RSA key must have at least 2048 bits';
  const found = { key, jkt: sha256B64url(canonical) };
  if (KEY_CACHE.size >= KEY_CACHE_SIZE) KEY_CACHE.delete(KEY_CACHE.keys().next().value!);
  KEY_CACHE.set(canonical, found);
  return found;
}

function verifySignature(alg: string, key: KeyObject, signingInput: string, signature: string): boolean {
  const data = Buffer.from(signingInput);
  const sig = Buffer.from(signature, 'base64url');
  try {
    switch (alg) {
      case 'ES256': return sig.length === 64 && verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
      case 'EdDSA':
      case 'Ed25519': return verify(null, data, key, sig);
      case 'RS256': return verify('sha256', data, key, sig);
      case 'PS256': return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
      default: return false;
    }
  } catch {
    return false;
  }
}

export class DpopVerifier {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly nonceKey: Buffer,
  ) {}

  private nonceFor(slot: number): string {
    return createHmac('sha256', this.nonceKey).update(`dpop-nonce ${slot}`).digest('base64url').slice(0, 32);
  }

  /** The nonce to send in `DPoP-Nonce` now. */
  nonce(): string {
    return this.nonceFor(Math.floor(this.clock() / NONCE_SLOT_MS));
  }

  private nonceIsFresh(nonce: string): boolean {
    const slot = Math.floor(this.clock() / NONCE_SLOT_MS);
    return nonce === this.nonceFor(slot) || nonce === this.nonceFor(slot - 1);
  }

  /**
   * Checks one `DPoP` header against the request it came with. `status`: 400
   * at /token, 401 at a resource (RFC 9449 §7.1). The `jti` is recorded last,
   * so a proof refused for another reason does not use up its jti.
   */
  async check(header: string, target: ProofTarget, status = 400): Promise<CheckedProof> {
    const fail = (description: string) => new InvalidDpopProof(description, status);
    // Node joins repeated headers with ", "; a JWS never contains a comma.
    if (header.length === 0 || header.length > MAX_PROOF_LENGTH || header.includes(',')) throw fail('send exactly one DPoP proof');
    const parts = header.split('.');
    if (parts.length !== 3) throw fail('the DPoP proof is not a JWT');
    const protectedHeader = parseJson(parts[0]!);
    const payload = parseJson(parts[1]!);
    if (protectedHeader === null || payload === null) throw fail('the DPoP proof is not a JWT');
    if (protectedHeader.typ !== 'dpop+jwt') throw fail('the DPoP proof must have typ dpop+jwt');
    const alg = protectedHeader.alg;
    if (typeof alg !== 'string' || !ALGS.includes(alg)) throw fail(`the DPoP proof must be signed with one of ${DPOP_ALGS.join(', ')}`);
    if (protectedHeader.crit !== undefined) throw fail('the DPoP proof has critical header parameters Gatehouse does not know');
    const key = publicKeyOf(protectedHeader.jwk, alg);
    if (typeof key === 'string') throw fail(key);
    if (!verifySignature(alg, key.key, `${parts[0]}.${parts[1]}`, parts[2]!)) throw fail('the DPoP proof signature does not verify with its key');
    const now: Millis = this.clock();
    if (typeof payload.jti !== 'string' || payload.jti.length < 1 || payload.jti.length > 256) throw fail('the DPoP proof must have a jti');
    if (payload.htm !== target.method) throw fail('the DPoP proof is for another HTTP method (htm)');
    if (typeof payload.htu !== 'string' || normalizeHtu(payload.htu) !== normalizeHtu(target.url)) throw fail('the DPoP proof is for another URL (htu)');
    if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw fail('the DPoP proof must have an iat');
    if (Math.abs(payload.iat * 1000 - now) > IAT_WINDOW_SECONDS * 1000) throw fail('the DPoP proof is too old or from the future (iat)');
    if (target.accessToken !== undefined) {
      if (payload.ath !== sha256B64url(target.accessToken)) throw fail('the DPoP proof is for another access token (ath)');
    }
    if (target.requireNonce) {
      if (payload.nonce === undefined) throw new UseDpopNonce(this.nonce(), 'the DPoP proof must carry the server nonce from the DPoP-Nonce header', status);
      if (typeof payload.nonce !== 'string' || !this.nonceIsFresh(payload.nonce)) throw new UseDpopNonce(this.nonce(), 'the DPoP nonce is unknown or has expired: use the one in the DPoP-Nonce header', status);
    }
    const jkt = key.jkt;
    // Until the iat window has passed, after which the proof is refused anyway.
    const expiresAt = payload.iat * 1000 + IAT_WINDOW_SECONDS * 1000 + 1000;
    if (!(await this.storage.proofs.useDpopProof(sha256Hex(`${jkt}.${payload.jti}`), Math.max(expiresAt, now + 1000), now))) {
      throw fail('the DPoP proof was already used (jti)');
    }
    return { jkt };
  }
}
