/**
 * /api/v1/users/{id}/tokens and /sessions: what a user holds — tokens apps
 * hold for them and browsers signed in — and ending them, as the user can on
 * /account and an operator on /admin.
 */
import { z } from 'zod';
import { tokenHandle } from '../../oauth/tokens.js';
import { sessionHandle } from '../../pages/account-page.js';
import { operation, type Resource } from '../operation.js';
import { ApiProblem } from '../problem.js';
import { iso } from '../views.js';
import { userOr404, UserIdParams } from './common.js';

const TokenSchema = z.object({
  id: z.string().meta({ description: 'A handle of the token, not the token' }),
  type: z.enum(['access', 'refresh']),
  client_id: z.string(),
  scopes: z.array(z.string()),
  device_id: z.string().nullable(),
  device_name: z.string().nullable(),
  debug: z.boolean(),
  created_at: z.string().meta({ format: 'date-time' }),
  expires_at: z.string().meta({ format: 'date-time' }),
}).meta({ id: 'Token' });

const SessionSchema = z.object({
  id: z.string().meta({ description: 'A handle of the session, not its cookie' }),
  created_at: z.string().meta({ format: 'date-time' }),
  last_seen_at: z.string().meta({ format: 'date-time' }),
  expires_at: z.string().meta({ format: 'date-time' }),
  auth_time: z.string().meta({ format: 'date-time' }),
  amr: z.array(z.string()),
  user_agent: z.string().nullable(),
  ip: z.string().nullable(),
}).meta({ id: 'Session' });

const TokenList = z.object({ items: z.array(TokenSchema) }).meta({ id: 'TokenList' });
const SessionList = z.object({ items: z.array(SessionSchema) }).meta({ id: 'SessionList' });

export const userAccessResource: Resource = {
  tag: 'Tokens and sessions',
  description: 'What a user holds: live tokens of apps, signed-in browsers; revoking them.',
  operations: [
    operation({
      method: 'GET', path: '/users/{id}/tokens', operationId: 'listUserTokens', scope: 'gatehouse:tokens:read', summary: 'List a user\'s live tokens',
      description: 'Access and refresh tokens neither expired nor revoked, newest first.',
      params: UserIdParams, success: { status: 200, description: 'The tokens', schema: TokenList }, problems: ['not-found'],
      handler: async ({ ctx, params }) => {
        const user = await userOr404(ctx, params.id);
        const tokens = await ctx.storage.listTokens({ userId: user.id, activeAt: ctx.clock(), limit: 1000 });
        return {
          items: tokens.map((t) => ({
            id: tokenHandle(t.hash), type: t.type, client_id: t.clientId, scopes: t.scopes, device_id: t.deviceId, device_name: t.deviceName,
            debug: t.isDebug, created_at: iso(t.createdAt), expires_at: iso(t.expiresAt),
          })),
        };
      },
    }),
    operation({
      method: 'DELETE', path: '/users/{id}/tokens/{token_id}', operationId: 'revokeUserToken', scope: 'gatehouse:tokens:write', summary: 'Revoke a token',
      description: 'Revokes the token and every token of the same authorization (its refresh token and those it was refreshed into).',
      params: UserIdParams.extend({ token_id: z.string().max(40) }), success: { status: 204, description: 'Revoked' }, problems: ['not-found'],
      handler: async ({ ctx, admin, actor, ip, params }) => {
        const user = await userOr404(ctx, params.id);
        const token = (await ctx.storage.listTokens({ userId: user.id, activeAt: ctx.clock(), limit: 1000 })).find((t) => tokenHandle(t.hash) === params.token_id);
        if (!token) throw new ApiProblem('not-found', 'no live token of this user with this id');
        await admin.revokeTokenFamily(actor, user, token, ip);
      },
    }),
    operation({
      method: 'POST', path: '/users/{id}/revoke-all', operationId: 'revokeUserAccess', scope: 'gatehouse:tokens:write', summary: 'Sign a user out everywhere',
      description: 'Ends every session and revokes every token and instant-login grant of the user.',
      params: UserIdParams, success: { status: 204, description: 'Done' }, problems: ['not-found'],
      handler: async ({ ctx, admin, actor, ip, params }) => {
        await admin.actOnUser(actor, await userOr404(ctx, params.id), 'revoke', ip);
      },
    }),
    operation({
      method: 'GET', path: '/users/{id}/sessions', operationId: 'listUserSessions', scope: 'gatehouse:tokens:read', summary: 'List a user\'s sessions',
      description: 'Browsers signed in, newest first.',
      params: UserIdParams, success: { status: 200, description: 'The sessions', schema: SessionList }, problems: ['not-found'],
      handler: async ({ ctx, params }) => {
        const user = await userOr404(ctx, params.id);
        const sessions = await ctx.storage.listSessionsOfUser(user.id, ctx.clock());
        return {
          items: sessions.map((s) => ({
            id: sessionHandle(s), created_at: iso(s.createdAt), last_seen_at: iso(s.lastSeenAt), expires_at: iso(s.expiresAt),
            auth_time: iso(s.authTime), amr: s.amr, user_agent: s.userAgent, ip: s.ip,
          })),
        };
      },
    }),
    operation({
      method: 'DELETE', path: '/users/{id}/sessions/{session_id}', operationId: 'endUserSession', scope: 'gatehouse:tokens:write', summary: 'End a session',
      params: UserIdParams.extend({ session_id: z.string().max(40) }), success: { status: 204, description: 'Ended' }, problems: ['not-found'],
      handler: async ({ ctx, admin, actor, ip, params }) => {
        const user = await userOr404(ctx, params.id);
        const session = (await ctx.storage.listSessionsOfUser(user.id, ctx.clock())).find((s) => sessionHandle(s) === params.session_id);
        if (!session) throw new ApiProblem('not-found', 'no session of this user with this id');
        await admin.endSession(actor, user, session, ip);
      },
    }),
  ],
};
