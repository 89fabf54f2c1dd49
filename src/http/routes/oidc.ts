/**
 * OpenID Connect and standard OAuth endpoints (docs/protocol.md §7): metadata, JWKS,
 * userinfo (OIDC Core §5.3, errors per RFC 6750 §3) and token introspection
 * (RFC 7662).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { authenticateClient, authenticateClientNow, claimedApp, claimedClientId, clientCredentials, HeaderInvalidClient, type AuthenticatedClient, type ClientCredentialsInput } from '../../oauth/client-auth.js';
import { InvalidRequest, InvalidToken, OAuthError } from '../../oauth/errors.js';
import { mayIntrospect } from '../../oauth/introspection.js';
import { MAX_TOKEN_LENGTH } from '../../oauth/tokens.js';
import { serverMetadata } from '../../oidc/discovery.js';
import { JWKS_MAX_AGE_SECONDS } from '../../oidc/keys.js';
import { userClaims } from '../../oidc/userinfo.js';
import { checkBinding, extractAccessToken, sendBearerError, type Credentials } from '../bearer.js';
import { answerCorsFor } from '../cors.js';
import { edgeParams, PARAMS } from '../edge-params.js';
import type { HotFormRoute, HotRoute } from '../hot-lane.js';
import type { AppRecord, TokenWithOwners } from '../../storage/storage.js';
import type { ClientId } from '../../types.js';
import type { Params } from '../params.js';

/** The claims a token gives: only for a user's token whose user and app are both active (else null, and the handler says why). */
function userinfoAnswer(ctx: Context, found: TokenWithOwners): Record<string, unknown> | null {
  const { token, user, app } = found;
  if (token.userId === null || !user || user.status !== 'active' || !app || app.status !== 'active') return null;
  return userClaims(user, token.scopes, ctx.config.issuer, ctx.idTokens.subject(app, user.id));
}

/** `GET /userinfo` with a bearer token and nothing else, for the hot lane (hot-lane.ts). */
export const hotUserinfo = (ctx: Context): HotRoute => ({ path: '/userinfo', answer: (found) => userinfoAnswer(ctx, found), byOwnersAndScopes: true });

/** RFC 6750 §3: the error goes in WWW-Authenticate too, in fixed words (`sendBearerError`). */
const bearerError = (reply: FastifyReply, error: OAuthError) => sendBearerError(reply, error, { credentialsSent: true });

export const oidcRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const issuer = ctx.config.issuer;
  const metadata = serverMetadata(issuer, { registration: ctx.config.registration });

  const sendMetadata = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header('Cache-Control', 'public, max-age=300').header('Access-Control-Allow-Origin', '*').send(metadata);
  app.get('/.well-known/openid-configuration', sendMetadata);
  app.get('/.well-known/oauth-authorization-server', sendMetadata);

  app.get('/jwks', async (_request, reply) =>
    reply.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).header('Access-Control-Allow-Origin', '*').type('application/jwk-set+json').send(await ctx.keys.jwks()));

  const userinfoUrl = `${issuer}/userinfo`;
  const userinfo = async (request: FastifyRequest, reply: FastifyReply) => {
    let raw: Credentials | null;
    try {
      const params = edgeParams(PARAMS.resource, request.query, request.method === 'POST' ? request.body : null);
      raw = extractAccessToken(request, params);
    } catch (err) {
      if (err instanceof OAuthError) return bearerError(reply, new InvalidRequest(err.description, 400));
      throw err;
    }
    if (raw === null) {
      // RFC 6750 §3.1: no credentials at all gets a bare challenge.
      return sendBearerError(reply, new InvalidToken('an access token is required'), { credentialsSent: false });
    }
    const found = await ctx.tokens.resolveForOwnApis(raw.token);
    if (!found || found.token.userId === null) return bearerError(reply, new InvalidToken('the access token is unknown, expired or revoked'));
    answerCorsFor(request, found.app);
    const refused = await checkBinding(ctx.dpop, request, userinfoUrl, raw, found.token);
    if (refused) return bearerError(reply, refused);
    const claims = userinfoAnswer(ctx, found);
    if (claims === null) return bearerError(reply, new InvalidToken('the access token is no longer valid'));
    return reply.header('Cache-Control', 'no-store').send(claims);
  };
  app.get('/userinfo', userinfo);
  app.post('/userinfo', userinfo);

  app.post('/introspect', async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    return introspect(ctx, request.headers.authorization, request.body);
  });
};

type Introspection = Record<string, unknown>;

/**
 * Token introspection (RFC 7662) of the form `body` for the client that `authorization` or the body
 * authenticates. A refusal is thrown as an OAuthError; a token the client may not see is `{ active: false }`.
 *
 * The token is read with the app the caller claims to be, in one statement whoever the token belongs to
 * (Storage.findTokenForClient), and looked at only once the caller is authenticated: what a refused request
 * read is dropped. Where that read is answered at once (SQLite, the records it names in the cache:
 * `TokenService.resolveForClientNow`), so is the introspection, with the same checks in the same order; any
 * other is answered by `introspectLater`.
 */
function introspect(ctx: Context, authorization: string | undefined, body: unknown): Introspection | Promise<Introspection> {
  const params = edgeParams(PARAMS.introspect, body);
  // RFC 7662 §2.1: only authenticated callers may introspect.
  if (authorization === undefined && params.client_id === undefined && params.client_assertion === undefined) {
    throw new HeaderInvalidClient('introspection requires client authentication');
  }
  const credentials = clientCredentials(authorization, params);
  const claimed = claimedClientId(credentials);
  const raw = params.token && params.token.length <= MAX_TOKEN_LENGTH ? params.token : null;
  const now = raw === null || claimed === null ? undefined : readNow(ctx, raw, claimed);
  const client = now && authenticateClientNow(credentials, { clientId: claimed!, app: now.client });
  if (client === undefined) return introspectLater(ctx, params, credentials, claimed, raw);
  checkCaller(client, params);
  return answerFor(ctx, client.app, now!.found);
}

/** `resolveForClientNow`, or undefined when it fails: the read awaited then fails where the refusals come first. */
function readNow(ctx: Context, raw: string, claimed: ClientId): ReturnType<Context['tokens']['resolveForClientNow']> {
  try {
    return ctx.tokens.resolveForClientNow(raw, claimed);
  } catch {
    return undefined;
  }
}

async function introspectLater(ctx: Context, params: Params, credentials: ClientCredentialsInput, claimed: ClientId | null, raw: string | null): Promise<Introspection> {
  const lookup = raw === null ? null
    : claimed === null ? ctx.tokens.resolveWithOwners(raw).then((found) => ({ found, client: null }))
    : ctx.tokens.resolveForClient(raw, claimed);
  lookup?.catch(() => {});
  const client = await authenticateClient(ctx, credentials, lookup && claimed !== null ? { claimed: claimedApp(claimed, lookup) } : {});
  checkCaller(client, params);
  return answerFor(ctx, client.app, (await lookup)?.found ?? null);
}

/** The refusals of an authenticated caller: a public client, a request without a token. */
function checkCaller(client: AuthenticatedClient, params: Params): void {
  if (client.method === 'none') throw new HeaderInvalidClient('public clients cannot introspect tokens');
  if (!params.token) throw new InvalidRequest('token is required');
}

/** What `caller` learns about the token read (`found`: null when there is none, or it is not usable). */
function answerFor(ctx: Context, caller: AppRecord, found: TokenWithOwners | null): Introspection | Promise<Introspection> {
  if (!found) return { active: false };
  const served = async () => (await ctx.storage.resources.resourcesOfApp(caller.clientId)).map((r) => r.uri);
  const may = mayIntrospect(caller, found.token, served);
  if (may instanceof Promise) return may.then((yes) => (yes ? activeAnswer(ctx, found) : { active: false }));
  return may ? activeAnswer(ctx, found) : { active: false };
}

/** RFC 7662 §2.2: the token's answer for a caller that may see it; `active: false` once its user or app is blocked. */
function activeAnswer(ctx: Context, found: TokenWithOwners): Introspection {
  const { token, app: appRecord } = found;
  const user = token.userId === null ? null : found.user;
  if (!appRecord || appRecord.status !== 'active' || (token.userId !== null && (!user || user.status !== 'active'))) return { active: false };
  return {
    active: true,
    scope: token.scopes.join(' '),
    client_id: token.clientId,
    token_type: token.type === 'refresh' ? 'refresh_token' : token.jkt !== null ? 'DPoP' : 'bearer',
    exp: Math.floor(token.expiresAt / 1000),
    iat: Math.floor(token.createdAt / 1000),
    iss: ctx.config.issuer,
    aud: (token.resources ?? []).length > 0 && token.type === 'access' ? token.resources![0] : token.clientId,
    ...(user ? { sub: ctx.idTokens.subject(appRecord, user.id), username: user.login, uid: user.id } : {}),
    ...(token.deviceId ? { device_id: token.deviceId } : {}),
    // RFC 9449 §6.2: the key a bound token must be presented with; the resource server checks the proof.
    ...(token.jkt !== null ? { cnf: { jkt: token.jkt } } : {}),
  };
}

/** `POST /introspect` with a form body, for the hot lane (hot-lane.ts). */
export const hotIntrospect = (ctx: Context): HotFormRoute => ({
  path: '/introspect',
  cors: false,
  takes: () => true,
  answerHeaders: [['cache-control', 'no-store']],
  answer: (authorization, form) => introspect(ctx, authorization, form),
});
