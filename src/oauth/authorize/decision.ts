/**
 * What happens once the user is known: whether consent must be asked, and
 * issuing the code that carries the user's decision back to the app
 * (RFC 6749 §4.1.2, docs/protocol.md §3).
 */
import { randomFromAlphabet, randomToken, sha256Hex, type SecretHash } from '../../crypto/random.js';
import type { AuthCodeRecord, SessionRecord, Storage, UserRecord } from '../../storage/storage.js';
import type { ClientId, Clock, Millis } from '../../types.js';
import type { IdTokens } from '../../oidc/id-token.js';
import { authorizationResponse, type AuthorizationResponse } from '../redirect.js';
import { newFamilyId, type TokenService } from '../tokens.js';
import type { AuthorizationRequest } from './request.js';

export interface ConsentState {
  /** The user must see the consent page. */
  required: boolean;
  /** Optional scopes the user granted before (pre-ticked on the page, granted when consent is skipped). */
  previouslyGrantedOptional: string[];
}

export async function consentState(storage: Storage, user: UserRecord, req: AuthorizationRequest): Promise<ConsentState> {
  const consent = await storage.findConsent(user.id, req.app.clientId);
  const granted = consent?.scopes ?? [];
  const covered = consent !== null && req.scopes.every((s) => granted.includes(s));
  return {
    required: req.forceConfirm || !covered,
    previouslyGrantedOptional: req.optionalScopes.filter((s) => granted.includes(s)),
  };
}

/** Remembers what the user allowed, so the next request for the same scopes skips the page. */
export async function rememberConsent(storage: Storage, clock: Clock, user: UserRecord, req: AuthorizationRequest, granted: string[]): Promise<void> {
  const existing = await storage.findConsent(user.id, req.app.clientId);
  // Optional scopes the user unticked this time are forgotten; everything else accumulates.
  const kept = (existing?.scopes ?? []).filter((s) => !req.optionalScopes.includes(s) || granted.includes(s));
  const scopes = [...new Set([...kept, ...granted])];
  const now = clock();
  await storage.saveConsent({ userId: user.id, clientId: req.app.clientId, scopes, createdAt: existing?.createdAt ?? now, updatedAt: now });
}

export interface CompletionOptions {
  storage: Storage;
  clock: Clock;
  issuer: string;
  codeTtlSeconds: number;
  tokens: TokenService;
  idTokens: IdTokens;
}

/** Confirmation codes are 7 digits, typeable from Gatehouse's page into a console program (docs/protocol.md §5.2). */
export function verificationCodeHash(clientId: ClientId, code: string): SecretHash {
  // Keyed by app, so a code can only ever match for the app it was issued to.
  return sha256Hex(`${clientId}:${code}`);
}

/**
 * Carries the user's consent back: a code bound to client, redirect URI, PKCE
 * challenge and scopes (RFC 6749 §4.1.2); for the implicit response types an
 * access token and/or id_token (RFC 6749 §4.2.2, OIDC Core §3.2.2.5).
 */
export async function completeAuthorization(o: CompletionOptions, user: UserRecord, req: AuthorizationRequest, scopes: string[], auth: Pick<SessionRecord, 'authTime' | 'amr'>): Promise<AuthorizationResponse> {
  const { authTime, amr } = auth;
  if (req.responseType !== 'code') {
    const values: Record<string, string | null> = {};
    let accessToken: string | undefined;
    if (req.responseType.includes('token') && req.responseType !== 'id_token') {
      const issued = await o.tokens.issue({
        app: req.app,
        userId: user.id,
        scopes,
        deviceId: req.deviceId,
        deviceName: req.deviceName,
        authTime,
        amr,
        withRefresh: false,
        isDebug: req.toVerificationPage,
        resource: req.resources.length === 1 ? await o.storage.resources.findResource(req.resources[0]!) : null,
      });
      accessToken = issued.access_token;
      const requested = [...req.scopes, ...req.optionalScopes];
      Object.assign(values, {
        access_token: issued.access_token,
        token_type: 'bearer',
        expires_in: String(issued.expires_in),
        cid: req.app.clientId,
        // As Yandex ID does: scope only when the user granted fewer than were asked for.
        scope: scopes.length < requested.length ? scopes.join(' ') : null,
      });
    }
    if (req.responseType.includes('id_token')) {
      values.id_token = await o.idTokens.sign({ app: req.app, userId: user.id, nonce: req.nonce, authTime, amr, ...(accessToken ? { accessToken } : {}) });
    }
    return authorizationResponse(req, o.issuer, values);
  }

  const now = o.clock();
  const record = {
    kind: (req.toVerificationPage ? 'verification' : 'redirect') as AuthCodeRecord['kind'],
    clientId: req.app.clientId,
    userId: user.id,
    // Where the code goes, also when redirect_uri was omitted: the code stays bound to it (RFC 6749 §4.1.3).
    redirectUri: req.redirectUri,
    scopes,
    codeChallenge: req.codeChallenge,
    codeChallengeMethod: req.codeChallengeMethod,
    nonce: req.nonce,
    deviceId: req.deviceId,
    deviceName: req.deviceName,
    authTime,
    amr,
    familyId: newFamilyId(),
    createdAt: now,
    expiresAt: now + o.codeTtlSeconds * 1000,
    consumedAt: null,
    resources: req.resources,
  };
  if (!req.toVerificationPage) {
    const code = randomToken(32);
    await o.storage.createCode({ ...record, hash: sha256Hex(code) });
    return authorizationResponse(req, o.issuer, { code });
  }
  // A 7-digit code may collide with one of the same app still on record: draw again.
  for (let attempt = 0; ; attempt++) {
    const code = randomFromAlphabet('0123456789', 7);
    try {
      await o.storage.createCode({ ...record, hash: verificationCodeHash(req.app.clientId, code) });
      return authorizationResponse(req, o.issuer, { code });
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}
