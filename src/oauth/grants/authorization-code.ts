/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6, docs/protocol.md §4).
 * The code is consumed atomically before anything else: of many concurrent
 * exchanges exactly one wins, and a code used twice revokes every token issued
 * from it (RFC 6749 §4.1.2, RFC 9700 §4.5).
 */
import { matchRedirectUri } from '../../apps/platforms.js';
import { sha256Hex } from '../../crypto/random.js';
import type { AppRecord, AuthCodeRecord, CodeConsumeResult } from '../../storage/storage.js';
import type { ClientId, Millis } from '../../types.js';
import { isLimited, LIMITS, recordFailure, sourceAddress, sourceNetwork, TooManyAttempts } from '../attempts.js';
import { verificationCodeHash } from '../authorize/decision.js';
import { VERIFICATION_PAGE } from '../authorize/request.js';
import { parseDeviceParams } from '../device-params.js';
import { BadVerificationCode, InvalidGrant, InvalidRequest, OAuthError, UnauthorizedClient } from '../errors.js';
import { verifyPkce } from '../pkce.js';
import { chooseResource } from '../../resources/resources.js';
import type { GrantContext, GrantHandler, RequestMeta } from './grant.js';

/**
 * Yandex-era console programs expect `bad_verification_code` for a wrong
 * confirmation code (docs/protocol.md §5.2); every other code answers RFC 6749's
 * `invalid_grant`, which standard client libraries understand.
 */
function badCode(kind: AuthCodeRecord['kind'] | null, description: string): OAuthError {
  return kind === 'verification' ? new BadVerificationCode(description) : new InvalidGrant(description);
}

const isConfirmationCode = (raw: string) => /^\d{7}$/.test(raw);

/**
 * Consumes a code as the app presented it. A 7-digit confirmation code is
 * looked up under the app's own key (so another app's code never matches),
 * and guessing is limited (docs/protocol.md §5.2) per app *and* source: every attempt from
 * one address counts before the lookup, atomically, so parallel guesses cannot
 * slip past the limit, and a right code is forgiven; wrong codes from one
 * network count towards a wider limit. Nothing is counted for the app as a
 * whole, so guessers elsewhere never lock its users out (issue 15).
 */
async function consume(ctx: GrantContext, clientId: ClientId, raw: string, now: Millis, meta: RequestMeta): Promise<CodeConsumeResult> {
  if (!isConfirmationCode(raw)) {
    if (raw.length > 512) return { outcome: 'not_found' };
    return ctx.storage.consumeCode(sha256Hex(raw), now);
  }
  const limits = ctx.limits ?? LIMITS;
  const addressKey = `verification_code:${clientId}:${sourceAddress(meta.ip)}`;
  const networkKey = `verification_code:${clientId}:net:${sourceNetwork(meta.ip)}`;
  const perAddress = await recordFailure(ctx.storage, ctx.clock, addressKey, limits.verificationCode);
  if (perAddress > limits.verificationCode.max || (await isLimited(ctx.storage, ctx.clock, networkKey, limits.verificationCodePerClient))) {
    throw new TooManyAttempts('too many confirmation codes tried: wait a minute before trying again');
  }
  const result = await ctx.storage.consumeCode(verificationCodeHash(clientId, raw), now);
  if (result.outcome === 'not_found') await recordFailure(ctx.storage, ctx.clock, networkKey, limits.verificationCodePerClient);
  else await ctx.storage.forgiveAttempt(addressKey);
  return result;
}

/**
 * A code is bound to the URI it was delivered to (RFC 6749 §4.1.3): a
 * redirect_uri that is sent must be exactly that one. One that is not sent is
 * accepted, because Yandex ID's token request has no redirect_uri and code
 * written for it sends none. Nothing is lost by that: /authorize delivers
 * codes only to URIs registered for the app and compared exactly
 * (RFC 9700 §4.1.3), so the URI a code went to is always the app's own, and
 * the exchange still needs the app's secret or its PKCE verifier.
 */
function checkRedirectUri(ctx: GrantContext, app: AppRecord, code: AuthCodeRecord, sent: string | undefined): void {
  if (sent === undefined) return;
  // A confirmation code was shown on Gatehouse's own page: no other redirect_uri can be right.
  const deliveredTo = code.kind === 'verification' ? ctx.issuer + VERIFICATION_PAGE : code.redirectUri;
  if (deliveredTo !== null) {
    if (sent !== deliveredTo) throw new InvalidGrant('redirect_uri does not match the one the code was issued for');
  } else if (matchRedirectUri(app, sent, ctx.issuer) === null) {
    // A code issued before Gatehouse recorded where each code went.
    throw new InvalidGrant('redirect_uri is not registered for this app');
  }
}

export const authorizationCodeGrant: GrantHandler = async (ctx, client, params, meta) => {
  const { app } = client;
  const raw = params.code;
  if (!raw) throw new InvalidRequest('code is required');
  const device = parseDeviceParams(params);
  const now = ctx.clock();

  const result = await consume(ctx, app.clientId, raw, now, meta);
  if (result.outcome === 'not_found') {
    if (isConfirmationCode(raw)) throw new BadVerificationCode('the code is wrong or has expired');
    throw new InvalidGrant('the code is unknown, expired or already used');
  }
  const code = result.record;
  if (code.clientId !== app.clientId) throw new InvalidGrant('the code was issued to another client');
  if (result.outcome === 'already_consumed') {
    await ctx.storage.revokeFamily(code.familyId, now);
    await ctx.audit?.record({ action: 'token_replay', outcome: 'refused', actor: { type: 'app', id: app.clientId }, userId: code.userId, ip: meta.ip, details: { grant: 'authorization_code', family: code.familyId } });
    throw badCode(code.kind, 'the code was already used; tokens issued from it are revoked');
  }
  if (code.expiresAt <= now) throw badCode(code.kind, 'the code has expired');

  checkRedirectUri(ctx, app, code, params.redirect_uri);

  // RFC 7636 §4.6; RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
  const verifier = params.code_verifier;
  if (code.codeChallenge !== null) {
    if (verifier === undefined) throw new InvalidGrant('code_verifier is required');
    if (!verifyPkce(code.codeChallenge, code.codeChallengeMethod ?? 'S256', verifier)) throw new InvalidGrant('code_verifier does not match the code challenge');
  } else if (verifier !== undefined) {
    throw new InvalidGrant('code_verifier was sent but the authorization request had no code_challenge');
  } else if (client.method === 'none') {
    throw new UnauthorizedClient('public clients must use PKCE');
  }

  // As read when the code was consumed; a block after that read is caught when the tokens are stored (Storage.saveTokens).
  if (!result.userActive) throw new InvalidGrant('the user who granted this code is no longer active');
  const resource = await chooseResource(ctx.storage, params.resource, code.resources ?? []);

  return ctx.tokens.issue({
    app,
    userId: code.userId,
    scopes: code.scopes,
    familyId: code.familyId,
    deviceId: code.deviceId ?? device.deviceId,
    deviceName: code.deviceId !== null ? code.deviceName : device.deviceName,
    authTime: code.authTime,
    amr: code.amr,
    nonce: code.nonce,
    withRefresh: true,
    generation: code.generation,
    resource,
    reach: code.resources ?? [],
    jkt: meta.dpopJkt ?? null,
  });
};
