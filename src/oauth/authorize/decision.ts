/**
 * What happens once the user is known: whether consent must be asked, and
 * issuing the code that carries the user's decision back to the app
 * (RFC 6749 §4.1.2, SPEC §3).
 */
import { randomToken, sha256Hex } from '../../crypto/random.js';
import type { Storage, UserRecord } from '../../storage/storage.js';
import type { Clock, Millis } from '../../types.js';
import { redirectWith } from '../redirect.js';
import { newFamilyId } from '../tokens.js';
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

export interface CodeOptions {
  storage: Storage;
  clock: Clock;
  issuer: string;
  codeTtlSeconds: number;
}

/** Stores a single-use code bound to client, redirect URI, PKCE challenge and scopes; returns the redirect. */
export async function issueCodeRedirect(o: CodeOptions, user: UserRecord, req: AuthorizationRequest, scopes: string[], authTime: Millis): Promise<string> {
  const code = randomToken(32);
  const now = o.clock();
  await o.storage.createCode({
    hash: sha256Hex(code),
    kind: 'redirect',
    clientId: req.app.clientId,
    userId: user.id,
    redirectUri: req.redirectUriParam,
    scopes,
    codeChallenge: req.codeChallenge,
    codeChallengeMethod: req.codeChallengeMethod,
    nonce: req.nonce,
    deviceId: req.deviceId,
    deviceName: req.deviceName,
    authTime,
    familyId: newFamilyId(),
    createdAt: now,
    expiresAt: now + o.codeTtlSeconds * 1000,
    consumedAt: null,
  });
  return redirectWith(req, o.issuer, { code });
}
