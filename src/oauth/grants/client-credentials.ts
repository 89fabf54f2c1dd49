/**
 * `grant_type=client_credentials` (RFC 6749 §4.4): a token for the app itself,
 * with no user and no refresh token. Only confidential clients may use it.
 */
import { InvalidScope, UnauthorizedClient } from '../errors.js';
import { parseScopeParam, scopeNotAllowed } from '../scopes.js';
import type { GrantHandler } from './grant.js';
import { chooseResource } from '../../resources/resources.js';

export const clientCredentialsGrant: GrantHandler = async (ctx, client, params, meta) => {
  const { app } = client;
  if (client.method === 'none') throw new UnauthorizedClient('public clients cannot use client_credentials');
  const requested = parseScopeParam(params.scope);
  if (requested === null) throw new InvalidScope('scope is malformed');
  const allowed = [...app.scopes, ...app.optionalScopes];
  const unknown = requested.find((s) => !allowed.includes(s));
  if (unknown !== undefined) throw scopeNotAllowed(unknown);
  const resource = await chooseResource(ctx.storage, params.resource, []);
  return ctx.tokens.issue({ app, userId: null, scopes: requested.length > 0 ? requested : app.scopes, withRefresh: false, resource, jkt: meta.dpopJkt ?? null });
};
