/**
 * `grant_type=refresh_token` (RFC 6749 §6, docs/protocol.md §4). Public clients' refresh
 * tokens rotate with reuse detection: a retired one presented again revokes the
 * whole family (RFC 9700 §4.14.2). A confidential client keeps its refresh token
 * until it expires or is revoked; the response repeats it.
 *
 * DPoP (RFC 9449 §5): a public client's refresh token bound to a key is
 * exchanged only with a proof of that key, checked before the token is
 * rotated, so a thief without the key cannot even burn it. New access tokens
 * are bound to the key of the request's proof.
 */
import { tokenKey } from '../tokens.js';
import { InvalidDpopProof } from '../dpop.js';
import { InvalidGrant, InvalidRequest, InvalidScope } from '../errors.js';
import { parseScopeParam, withoutOfflineAccess } from '../scopes.js';
import { chooseResource } from '../../resources/resources.js';
import type { TokenForClient, TokenWithOwners } from '../../storage/storage.js';
import type { ClientId } from '../../types.js';
import type { GrantContext, GrantHandler, TokenParams } from './grant.js';

/**
 * The row of the refresh token `params` presents, with its user, in one read;
 * null when there is none to look for. With `clientId`, the app it names is
 * read in the same statement (`Storage.findTokenForClient`): the token
 * endpoint's caller, whom it authenticates meanwhile.
 */
export function readRefreshToken(ctx: Pick<GrantContext, 'storage'>, params: TokenParams): Promise<TokenWithOwners | null>;
export function readRefreshToken(ctx: Pick<GrantContext, 'storage'>, params: TokenParams, clientId: ClientId): Promise<TokenForClient>;
export async function readRefreshToken(ctx: Pick<GrantContext, 'storage'>, params: TokenParams, clientId?: ClientId): Promise<TokenWithOwners | TokenForClient | null> {
  const raw = params.refresh_token;
  const hash = raw && raw.length <= 512 ? tokenKey(raw) : null;
  if (clientId === undefined) return hash === null ? null : ctx.storage.findTokenWithOwners(hash);
  return hash === null ? { found: null, client: await ctx.storage.findApp(clientId) } : ctx.storage.findTokenForClient(hash, clientId);
}

export const refreshTokenGrant: GrantHandler = async (ctx, client, params, meta) => {
  const { app } = client;
  const raw = params.refresh_token;
  if (!raw) throw new InvalidRequest('refresh_token is required');
  const now = ctx.clock();
  const found = await (meta.refreshToken ?? readRefreshToken(ctx, params));
  const token = found?.token;
  if (!token || token.type !== 'refresh') throw new InvalidGrant('the refresh token is unknown');
  if (token.clientId !== app.clientId) throw new InvalidGrant('the refresh token was issued to another client');
  if (token.revokedAt !== null) throw new InvalidGrant('the refresh token was revoked');
  if (token.expiresAt <= now) throw new InvalidGrant('the refresh token has expired');
  const jkt = meta.dpopJkt ?? null;
  if (token.jkt !== null && token.jkt !== jkt) {
    throw jkt === null ? new InvalidDpopProof('this refresh token is bound to a DPoP key: send a DPoP proof made with it') : new InvalidGrant('the refresh token is bound to another DPoP key');
  }

  const parsed = parseScopeParam(params.scope);
  if (parsed === null) throw new InvalidScope('scope is malformed');
  const requested = withoutOfflineAccess(parsed);
  if (requested.some((s) => !token.scopes.includes(s))) throw new InvalidScope('scope may only narrow the scopes originally granted');
  const scopes = requested.length > 0 ? requested : token.scopes;
  // RFC 8707 §2.2: before anything is spent, so a wrong resource leaves the refresh token as it was.
  const resource = await chooseResource(ctx.storage, params.resource, token.resources ?? []);

  const rotate = app.secretHash === null;
  if (rotate || token.rotatedAt !== null) {
    const result = await ctx.storage.rotateRefreshToken(token.hash, now);
    // Revoked since it was read (its user, app or grant): not a replay, just refused.
    if (result.outcome === 'already_consumed' && result.record.rotatedAt === null) throw new InvalidGrant('the refresh token was revoked');
    if (result.outcome !== 'consumed') {
      await ctx.storage.revokeFamily(token.familyId, now);
      await ctx.audit?.record({ action: 'token_replay', outcome: 'refused', actor: { type: 'app', id: app.clientId }, userId: token.userId, ip: meta.ip, details: { grant: 'refresh_token', family: token.familyId } });
      throw new InvalidGrant('the refresh token was already used; every token of this authorization is revoked');
    }
  }
  // As read with the token; a block after that read is caught when the new tokens are stored (Storage.saveTokens).
  if (token.userId !== null && (!found.user || found.user.status !== 'active')) throw new InvalidGrant('the user is no longer active');

  return ctx.tokens.issue({
    app,
    userId: token.userId,
    scopes,
    familyId: token.familyId,
    deviceId: token.deviceId,
    deviceName: token.deviceName,
    authTime: token.authTime,
    amr: token.amr,
    withRefresh: true,
    generation: token.generation,
    resource,
    reach: token.resources ?? [],
    jkt,
    ...(rotate ? { refreshExpiresAt: token.expiresAt, refreshScopes: token.scopes } : { reuseRefreshToken: raw }),
  });
};
