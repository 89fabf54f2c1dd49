/**
 * What an app's client-authentication settings may be, checked when it is
 * registered or changed (the console, the CLI, dynamic registration alike):
 * the method (RFC 7591 §2), and for `private_key_jwt` its public keys, inline
 * as a JWK Set or at an https address (OIDC Core §9, RFC 7523 §2.2).
 */
import { importJWK } from 'jose';
import { InputError } from '../errors.js';
import type { ClientJwks, TokenEndpointAuthMethod } from '../storage/storage.js';

export const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'];

/** The algorithms a client may sign its assertions with: asymmetric for `private_key_jwt`, HMAC for `client_secret_jwt`. */
export const ASSERTION_KEY_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
export const ASSERTION_SECRET_ALGS = ['HS256', 'HS384', 'HS512'] as const;

const MAX_KEYS = 20;
const MAX_JWKS_BYTES = 32 * 1024;
const KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);
/** Members only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export function isAuthMethod(value: string): value is TokenEndpointAuthMethod {
  return (AUTH_METHODS as readonly string[]).includes(value);
}

/**
 * A JWK Set of public signing keys, as JSON text or parsed: at most 20 keys,
 * each RSA, EC or OKP, no private part, `use` absent or `sig`, importable.
 * Returns the set with only its keys (anything else at its top level dropped).
 */
export async function validateJwks(value: unknown): Promise<ClientJwks> {
  let parsed = value;
  if (typeof value === 'string') {
    if (value.length > MAX_JWKS_BYTES) throw new InputError(`jwks is larger than ${MAX_JWKS_BYTES / 1024} KiB`);
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new InputError('jwks is not JSON');
    }
  } else if (JSON.stringify(value ?? null).length > MAX_JWKS_BYTES) {
    throw new InputError(`jwks is larger than ${MAX_JWKS_BYTES / 1024} KiB`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (parsed === null || typeof parsed !== 'object' || !Array.isArray(keys)) throw new InputError('jwks must be a JWK Set: {"keys": [...]}');
  if (keys.length < 1 || keys.length > MAX_KEYS) throw new InputError(`jwks must hold 1 to ${MAX_KEYS} keys`);
  const kids = new Set<string>();
  for (const key of keys as unknown[]) {
    if (key === null || typeof key !== 'object' || Array.isArray(key)) throw new InputError('every key in jwks must be a JWK object');
    const jwk = key as Record<string, unknown>;
    if (typeof jwk.kty !== 'string' || !KEY_TYPES.has(jwk.kty)) throw new InputError('keys in jwks must be RSA, EC or OKP public keys');
    if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw new InputError('jwks must hold public keys only: a key has a private part');
    if (jwk.use !== undefined && jwk.use !== 'sig') throw new InputError('keys in jwks must be for signing (use "sig")');
    if (jwk.kid !== undefined) {
      if (typeof jwk.kid !== 'string' || jwk.kid.length > 200) throw new InputError('a kid in jwks must be a string of at most 200 characters');
      if (kids.has(jwk.kid)) throw new InputError('two keys in jwks have the same kid');
      kids.add(jwk.kid);
    }
    if (jwk.alg !== undefined && !(ASSERTION_KEY_ALGS as readonly unknown[]).includes(jwk.alg)) {
      throw new InputError(`a key in jwks names an algorithm Gatehouse does not accept; use one of ${ASSERTION_KEY_ALGS.join(', ')}`);
    }
    if (jwk.kty === 'RSA' && typeof jwk.n === 'string' && Buffer.from(jwk.n, 'base64url').length < 256) {
      throw new InputError('RSA keys in jwks must have at least 2048 bits');
    }
    try {
      await importJWK({ ...jwk, ext: true } as never, typeof jwk.alg === 'string' ? jwk.alg : defaultAlg(jwk));
    } catch {
      throw new InputError('a key in jwks is not a valid public key');
    }
  }
  return { keys: keys as ClientJwks['keys'] };
}

/** The algorithm to import a key for when it names none: the usual one for its type. */
function defaultAlg(jwk: Record<string, unknown>): string {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256';
}

/**
 * Where the app's keys are published: https (plain http only where the
 * operator allows fetching from private networks, for tests and labs), no
 * credentials, no fragment. Addresses are checked again when fetched.
 */
export function validateJwksUri(value: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError('jwks_uri is not an absolute URL');
  }
  if (value.length > 2000) throw new InputError('jwks_uri is longer than 2000 characters');
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) throw new InputError('jwks_uri must use https');
  if (url.username !== '' || url.password !== '' || url.hash !== '' || value.includes('#')) throw new InputError('jwks_uri must have no credentials and no fragment');
  return url.href;
}
