/** GET /info, the login info API (docs/protocol.md §6). */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { loginInfo, toJwt, toXml, type InfoFields } from '../../info/login-info.js';
import { InvalidRequest, InvalidToken, OAuthError } from '../../oauth/errors.js';
import { checkBinding, extractAccessToken, sendBearerError, type Credentials } from '../bearer.js';
import { answerCorsFor } from '../cors.js';
import { edgeParams, PARAMS } from '../edge-params.js';
import type { HotRoute } from '../hot-lane.js';
import type { TokenWithOwners } from '../../storage/storage.js';

/** The login info a token gives: only for a user's token whose user and app are both active (else null, and the handler says why). */
function answer(found: TokenWithOwners, psuidKey: Buffer): InfoFields | null {
  const { token, user, app } = found;
  if (token.userId === null || !user || user.status !== 'active' || !app || app.status !== 'active') return null;
  return loginInfo(user, app, token, psuidKey);
}

/** `GET /info` with a bearer token and nothing else, for the hot lane (hot-lane.ts). */
export function hotInfo(ctx: Context): HotRoute {
  const psuidKey = ctx.secrets.deriveKey('psuid');
  return { path: '/info', answer: (found) => answer(found, psuidKey), byOwnersAndScopes: true };
}

const unauthorized = (reply: FastifyReply, error: OAuthError) => sendBearerError(reply, error, { credentialsSent: true });

export const infoRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const psuidKey = ctx.secrets.deriveKey('psuid');

  const htu = `${ctx.config.issuer}/info`;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    let params;
    let credentials: Credentials | null;
    try {
      params = edgeParams(PARAMS.resource, request.query, request.method === 'POST' ? request.body : null);
      credentials = extractAccessToken(request, params);
    } catch (err) {
      if (err instanceof OAuthError) return unauthorized(reply, new InvalidRequest(err.description, 400));
      throw err;
    }
    if (credentials === null) return unauthorized(reply, new InvalidToken('an OAuth token is required'));
    const format = params.format ?? 'json';
    if (format !== 'json' && format !== 'xml' && format !== 'jwt') throw new InvalidRequest('format must be json, xml or jwt');

    const found = await ctx.tokens.resolveForOwnApis(credentials.token);
    if (!found) return unauthorized(reply, new InvalidToken('the token is unknown, expired or revoked'));
    answerCorsFor(request, found.app);
    const refused = await checkBinding(ctx.dpop, request, htu, credentials, found.token);
    if (refused) return unauthorized(reply, refused);
    if (found.token.userId === null) return unauthorized(reply, new InvalidToken('this token belongs to an app, not a user'));
    const info = answer(found, psuidKey);
    if (info === null) return unauthorized(reply, new InvalidToken('the token is no longer valid'));
    // The info was given, so the app is there and active.
    const { token } = found;
    const appRecord = found.app!;
    reply.header('Cache-Control', 'no-store');
    if (format === 'xml') return reply.type('application/xml; charset=utf-8').send(toXml(info));
    if (format === 'jwt') {
      const key = params.jwt_secret ?? (appRecord.secretSealed ? ctx.secrets.open(appRecord.secretSealed) : null);
      if (key === null) throw new InvalidRequest('this app has no client secret: pass jwt_secret to get a JWT');
      const jwt = await toJwt(info, token, ctx.config.issuer, key, Math.floor(ctx.clock() / 1000));
      return reply.type('application/jwt').send(jwt);
    }
    return reply.send(info);
  };

  app.get('/info', handler);
  app.post('/info', handler);
};
