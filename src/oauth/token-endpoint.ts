/**
 * POST /token (RFC 6749 §3.2, docs/protocol.md §4): pick the grant, authenticate the
 * client, run the grant. Wrong secrets are counted per client and address;
 * past the limit that address's wrong secrets get 429 instead of 401. The
 * right secret is always checked and never refused (issue 15: anyone could
 * otherwise lock an app out by failing on its behalf). Codes and refresh
 * tokens carry 256 bits and are not limited; 7-digit confirmation codes have
 * their own limit (grants/authorization-code.ts).
 */
import { LIMITS, recordFailure, sourceAddress, TooManyAttempts } from './attempts.js';
import { authenticateClient, claimedApp, claimedClientId, clientCredentials } from './client-auth.js';
import { InvalidDpopProof } from './dpop.js';
import { InvalidRequest, OAuthError, UnsupportedGrantType } from './errors.js';
import type { GrantContext, RequestMeta, TokenParams } from './grants/grant.js';
import { GRANTS } from './grants/index.js';
import { readRefreshToken } from './grants/refresh-token.js';
import type { TokenResponse } from './tokens.js';

const DEVICE_GRANT_URN = 'urn:ietf:params:oauth:grant-type:device_code';

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
  const credentials = clientCredentials(authorization, params);
  // A refresh token's row is read with the app the client claims to be, in one statement
  // (Storage.findTokenForClient), and looked at only once the client is authenticated: what a refused
  // request read is dropped.
  let options: Parameters<typeof authenticateClient>[2] = {};
  if (grantType === 'refresh_token') {
    const claimed = claimedClientId(credentials);
    if (claimed === null) {
      meta = { ...meta, refreshToken: unwatched(readRefreshToken(ctx, params)) };
    } else {
      const read = readRefreshToken(ctx, params, claimed);
      meta = { ...meta, refreshToken: unwatched(read.then((r) => r.found)) };
      options = { claimed: claimedApp(claimed, read) };
    }
  }
  const client = await authenticateClient(ctx, credentials, options).catch(async (err: unknown) => {
    const claimed = claimedClientId(credentials);
    if (claimed !== null && err instanceof OAuthError && err.code === 'invalid_client') {
      const limit = (ctx.limits ?? LIMITS).tokenFailuresPerClient;
      const failures = await recordFailure(ctx.storage, ctx.clock, `token:client:${claimed}:${sourceAddress(meta.ip)}`, limit);
      if (failures > limit.max) throw new TooManyAttempts('too many failed requests for this client: wait a minute before trying again');
    }
    throw err;
  });
  meta.onClient?.(client.app);
  // RFC 9449 §5: an app that requires DPoP gets no bearer tokens.
  if (client.app.requireDpop && !meta.dpopJkt) throw new InvalidDpopProof('this app requires DPoP: send a DPoP proof with the token request');
  // The `token_issued` entry is written with the tokens, in the same commit (TokenService.audited).
  const audit = { log: ctx.audit!, clientId: client.app.clientId, ip: meta.ip, grant: grantType === DEVICE_GRANT_URN ? 'device_code' : grantType };
  return grant(ctx.audit ? { ...ctx, tokens: ctx.tokens.audited(audit) } : ctx, client, params, meta);
}

/** `read`, whose failure nobody may ever wait for (the client is refused first): it is not an unhandled rejection. */
function unwatched<T>(read: Promise<T>): Promise<T> {
  read.catch(() => {});
  return read;
}
