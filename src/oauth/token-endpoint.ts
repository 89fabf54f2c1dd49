/**
 * POST /token (RFC 6749 §3.2, SPEC §4): pick the grant, authenticate the
 * client, run the grant. Failed authentications and grants are counted per
 * client, and a client past its limit is refused before anything is checked
 * (secret and code guessing, issue 10).
 */
import { sha256Hex } from '../crypto/random.js';
import { isLimited, LIMITS, recordFailure, TooManyAttempts } from './attempts.js';
import { authenticateClient, claimedClientId } from './client-auth.js';
import { InvalidRequest, OAuthError, UnsupportedGrantType } from './errors.js';
import type { GrantContext, RequestMeta, TokenParams } from './grants/grant.js';
import { GRANTS } from './grants/index.js';
import type { TokenResponse } from './tokens.js';

const DEVICE_GRANT_URN = 'urn:ietf:params:oauth:grant-type:device_code';
const COUNTED = new Set(['invalid_client', 'invalid_grant', 'bad_verification_code']);

export async function handleTokenRequest(
  ctx: GrantContext,
  params: TokenParams,
  authorization: string | undefined,
  meta: RequestMeta = { ip: 'unknown' },
): Promise<TokenResponse> {
  const grantType = params.grant_type;
  if (!grantType) throw new InvalidRequest('grant_type is required');
  const grant = GRANTS.get(grantType);
  if (!grant) throw new UnsupportedGrantType(`grant_type is not supported: use one of ${[...GRANTS.keys()].join(', ')}`);
  const credentials = { authorization, clientId: params.client_id, clientSecret: params.client_secret };
  const limit = (ctx.limits ?? LIMITS).tokenFailuresPerClient;
  const claimed = claimedClientId(credentials);
  const key = `token:client:${claimed}`;
  if (claimed !== null && (await isLimited(ctx.storage, ctx.clock, key, limit))) {
    throw new TooManyAttempts('too many failed requests for this client: wait a minute before trying again');
  }
  try {
    const client = await authenticateClient(ctx.storage, credentials);
    const response = await grant(ctx, client, params, meta);
    if (ctx.audit) {
      const issued = await ctx.storage.findToken(sha256Hex(response.access_token));
      await ctx.audit.record({
        action: 'token_issued', actor: { type: 'app', id: client.app.clientId }, userId: issued?.userId ?? null, ip: meta.ip,
        details: { grant: grantType === DEVICE_GRANT_URN ? 'device_code' : grantType, scopes: issued?.scopes ?? [], family: issued?.familyId ?? null, refresh: response.refresh_token !== undefined },
      });
    }
    return response;
  } catch (err) {
    if (claimed !== null && err instanceof OAuthError && COUNTED.has(err.code)) await recordFailure(ctx.storage, ctx.clock, key, limit);
    throw err;
  }
}
