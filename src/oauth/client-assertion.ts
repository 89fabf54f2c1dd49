/**
 * Client authentication by assertion (RFC 7521 §4.2, RFC 7523 §2.2 and §3,
 * OIDC Core §9): `private_key_jwt`, a JWT signed with a key of the app's
 * `jwks` or `jwks_uri`, and `client_secret_jwt`, a JWT MACed with its client
 * secret. Checked, in order:
 *
 * 1. the header's `alg` is one the app's method allows (asymmetric for
 *    `private_key_jwt`, HS256/384/512 for `client_secret_jwt`; never `none`);
 * 2. the signature, by the app's key (the `kid` picks it; an unknown `kid`
 *    fetches `jwks_uri` again, once per cooldown) or by its secret;
 * 3. `iss` and `sub` are the client_id;
 * 4. `aud` names Gatehouse: its issuer, or the endpoint the assertion is
 *    presented at among those that authenticate clients;
 * 5. `exp` is present, not past, and at most 10 minutes ahead (assertions are
 *    for one request, not credentials to keep); `iat` and `nbf`, when present,
 *    not in the future (30 s of clock skew allowed everywhere);
 * 6. `jti` is present and was never accepted for this client before; it is
 *    recorded in the database until the assertion expires, so a replay to
 *    another process fails too.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { ASSERTION_KEY_ALGS, ASSERTION_SECRET_ALGS } from '../apps/client-keys.js';
import { sha256Hex } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { AppRecord, Storage } from '../storage/storage.js';
import type { Clock } from '../types.js';
import { ClientJwksFetcher, JwksFetchError } from './client-jwks.js';

/** RFC 7523 §2.2: the only `client_assertion_type` Gatehouse accepts. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Clock skew allowed between the app and Gatehouse. */
const SKEW_SECONDS = 30;
/** The furthest ahead an assertion may expire. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 600;

/** The endpoints that authenticate clients, any of which an assertion may name as its audience. */
export const ASSERTION_AUDIENCE_PATHS = ['/token', '/par', '/introspect', '/revoke', '/revoke_token', '/device/code'];

/** Why an assertion was refused: the description of the `invalid_client` error. */
export class AssertionRejected extends Error {}

/** The client_id an assertion claims (its `sub`, else `iss`), before anything is checked; null when it is no JWT. */
export function assertedClientId(assertion: string): string | null {
  try {
    const claims = decodeJwt(assertion);
    const id = claims.sub ?? claims.iss;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

export class ClientAssertions {
  private readonly audiences: string[];

  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    issuer: string,
    private readonly fetcher: ClientJwksFetcher,
  ) {
    this.audiences = [issuer, ...ASSERTION_AUDIENCE_PATHS.map((p) => issuer + p)];
  }

  /** Checks the assertion for `app` (whose method is `private_key_jwt` or `client_secret_jwt`); throws `AssertionRejected`. */
  async verify(app: AppRecord, assertion: string): Promise<void> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(assertion).alg;
    } catch {
      throw new AssertionRejected('the client assertion is not a signed JWT');
    }
    const secretJwt = app.tokenEndpointAuthMethod === 'client_secret_jwt';
    const allowed: readonly string[] = secretJwt ? ASSERTION_SECRET_ALGS : ASSERTION_KEY_ALGS;
    if (typeof alg !== 'string' || !allowed.includes(alg)) {
      throw new AssertionRejected(`the client assertion must be signed with one of ${allowed.join(', ')} for this app`);
    }
    const options = {
      algorithms: [...allowed],
      issuer: app.clientId,
      subject: app.clientId,
      audience: this.audiences,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
      currentDate: new Date(this.clock()),
      clockTolerance: SKEW_SECONDS,
    };
    let payload: JWTPayload;
    try {
      if (secretJwt) {
        if (app.secretSealed === null) throw new AssertionRejected('this app has no client secret to check the assertion with');
        payload = (await jwtVerify(assertion, new TextEncoder().encode(this.secrets.open(app.secretSealed)), options)).payload;
      } else {
        payload = await this.verifyWithKeys(app, assertion, options);
      }
    } catch (err) {
      throw explain(err);
    }
    const now = Math.floor(this.clock() / 1000);
    const exp = payload.exp!;
    if (exp > now + MAX_ASSERTION_LIFETIME_SECONDS + SKEW_SECONDS) {
      throw new AssertionRejected(`the client assertion lives too long: its exp must be at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ahead`);
    }
    if (payload.iat !== undefined && payload.iat > now + SKEW_SECONDS) throw new AssertionRejected('the client assertion was issued in the future (iat)');
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 512) throw new AssertionRejected('the client assertion needs a jti of 1 to 512 characters');
    const kept = (exp + SKEW_SECONDS) * 1000;
    if (!(await this.storage.clients.useAssertionId(app.clientId, sha256Hex(jti), kept, this.clock()))) {
      throw new AssertionRejected('this client assertion was used before (jti): make a new one for every request');
    }
  }

  private async verifyWithKeys(app: AppRecord, assertion: string, options: Parameters<typeof jwtVerify>[2]): Promise<JWTPayload> {
    if (app.jwks !== null) return (await jwtVerify(assertion, createLocalJWKSet(app.jwks as never), options)).payload;
    if (app.jwksUri === null) throw new AssertionRejected('this app has no public keys registered');
    const attempt = async (refresh: boolean) => {
      const jwks = await this.fetcher.keys(app.jwksUri!, { refresh });
      return (await jwtVerify(assertion, createLocalJWKSet(jwks as never), options)).payload;
    };
    try {
      return await attempt(false);
    } catch (err) {
      // A key the cached set lacks: the app may have rotated its keys since.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWSSignatureVerificationFailed) return attempt(true);
      throw err;
    }
  }
}

/** jose's reasons, in Gatehouse's words (never echoing the assertion). */
function explain(err: unknown): Error {
  if (err instanceof AssertionRejected) return err;
  if (err instanceof JwksFetchError) return new AssertionRejected(`the app's keys could not be fetched: ${err.message}`);
  if (err instanceof errors.JWTExpired) return new AssertionRejected('the client assertion has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud': return new AssertionRejected('the client assertion is not for this server: its aud must be the issuer or the token endpoint');
      case 'iss': case 'sub': return new AssertionRejected('the client assertion\'s iss and sub must both be the client_id');
      case 'nbf': return new AssertionRejected('the client assertion is not valid yet (nbf)');
      case 'iat': return new AssertionRejected('the client assertion has an invalid iat');
      default: return new AssertionRejected(`the client assertion lacks a valid ${err.claim} claim`);
    }
  }
  if (err instanceof errors.JWKSNoMatchingKey) return new AssertionRejected('no key of this app matches the client assertion (kid)');
  if (err instanceof errors.JWKSMultipleMatchingKeys) return new AssertionRejected('several keys of this app match the client assertion: name one with kid');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new AssertionRejected('the client assertion\'s signature does not verify');
  if (err instanceof errors.JOSEAlgNotAllowed) return new AssertionRejected('the client assertion\'s algorithm is not allowed for this app');
  if (err instanceof errors.JOSEError) return new AssertionRejected('the client assertion is not a valid JWT');
  return err instanceof Error ? err : new Error(String(err));
}
