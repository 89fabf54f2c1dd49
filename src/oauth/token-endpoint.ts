/** POST /token (RFC 6749 §3.2, SPEC §4): pick the grant, authenticate the client, run the grant. */
import { authenticateClient } from './client-auth.js';
import { InvalidRequest, UnsupportedGrantType } from './errors.js';
import type { GrantContext, TokenParams } from './grants/grant.js';
import { GRANTS } from './grants/index.js';
import type { TokenResponse } from './tokens.js';

export async function handleTokenRequest(ctx: GrantContext, params: TokenParams, authorization: string | undefined): Promise<TokenResponse> {
  const grantType = params.grant_type;
  if (!grantType) throw new InvalidRequest('grant_type is required');
  const grant = GRANTS.get(grantType);
  if (!grant) throw new UnsupportedGrantType(`grant_type ${JSON.stringify(grantType.slice(0, 60))} is not supported`);
  const client = await authenticateClient(ctx.storage, {
    authorization,
    clientId: params.client_id,
    clientSecret: params.client_secret,
  });
  return grant(ctx, client, params);
}
