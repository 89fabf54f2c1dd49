/**
 * /api/v1/users: the accounts, as an operator manages them on /admin and with
 * `gatehouse user` — through the same Admin service (src/admin/admin.ts).
 */
import { z } from 'zod';
import { ApiProblem } from '../problem.js';
import { decodeCursor, page, pageOf, PageQuery } from '../paging.js';
import { operation, type Resource } from '../operation.js';
import { userView, UserSchema } from '../views.js';
import { userOr404, UserIdParams } from './common.js';
import type { UserId } from '../../types.js';

const UserPage = pageOf(UserSchema, 'UserPage');
const Language = z.enum(['en', 'ru']).optional().meta({ description: 'Language of a confirmation mail (default en)' });

const NewUserSchema = z.object({
  login: z.string().min(1).max(64),
  password: z.string().max(256).optional().meta({ description: 'Omitted: the account has no password until one is set (reset-password) or it signs in through another identity provider' }),
  email: z.string().max(254).optional().meta({ description: 'Counts as confirmed (the operator vouches for it) unless confirm_email_by_mail' }),
  first_name: z.string().max(100).optional(),
  last_name: z.string().max(100).optional(),
  is_developer: z.boolean().optional(),
  is_admin: z.boolean().optional(),
  confirm_email_by_mail: z.boolean().optional().meta({ description: 'Mail a confirmation link instead of vouching for the address' }),
  language: Language,
}).strict().meta({ id: 'NewUser' });

const UserChangeSchema = z.object({
  is_admin: z.boolean().optional(),
  is_developer: z.boolean().optional(),
  blocked: z.boolean().optional().meta({ description: 'Blocking signs the user out everywhere and revokes every token' }),
  password: z.string().max(256).optional().meta({ description: 'A new password: signs the user out everywhere' }),
  email: z.string().max(254).optional().meta({ description: 'Main address, added to the user\'s addresses if new' }),
  phone: z.string().max(40).optional().meta({ description: 'International form: +44 20 7946 0958' }),
  phone_confirmed: z.boolean().optional(),
  confirm_email_by_mail: z.boolean().optional(),
  language: Language,
}).strict().meta({ id: 'UserChange' });

const DeletedUserSchema = z.object({
  id: z.string(),
  login: z.string(),
  apps_without_owner: z.array(z.string()).meta({ description: 'Names of the apps the user owned: they now belong to nobody' }),
}).meta({ id: 'DeletedUser' });

const NewPasswordSchema = z.object({
  user: UserSchema,
  password: z.string().meta({ description: 'Shown once: hand it to the user' }),
}).meta({ id: 'NewPassword' });

/** Block, unblock, end every session, unlock sign-in, reset second factors: one action each, no body. */
const ACTIONS = [
  { path: 'block', action: 'block', summary: 'Block a user', description: 'Signs them out everywhere, revokes every token; they cannot sign in.' },
  { path: 'unblock', action: 'unblock', summary: 'Unblock a user', description: 'They may sign in again.' },
  { path: 'unlock-sign-in', action: 'unlock_sign_in', summary: 'Lift a sign-in lock', description: 'After too many failed sign-ins in a row.' },
  { path: 'reset-second-factors', action: 'reset_two_step', summary: 'Reset two-step sign-in', description: 'Deletes the authenticator-app key and recovery codes (a lost phone).' },
] as const;

export const usersResource: Resource = {
  tag: 'Users',
  description: 'User accounts: the same actions as /admin/users and `gatehouse user`.',
  operations: [
    operation({
      method: 'GET', path: '/users', operationId: 'listUsers', scope: 'gatehouse:users:read',
      summary: 'List users', description: 'Oldest first. `search` matches part of the login, a name or an email address (ignoring case), or the whole id.',
      query: z.object({ search: z.string().max(100).optional(), ...PageQuery }),
      success: { status: 200, description: 'A page of users', schema: UserPage },
      handler: async ({ ctx, query }) => {
        const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, z.tuple([z.number(), z.string()]));
        const rows = await ctx.storage.listUsers({
          limit: query.limit + 1, ...(query.search ? { search: query.search } : {}),
          ...(after ? { after: { createdAt: after[0], id: after[1] as UserId } } : {}),
        });
        return page(rows, query.limit, userView, (u) => [u.createdAt, u.id]);
      },
    }),
    operation({
      method: 'GET', path: '/users/{id}', operationId: 'getUser', scope: 'gatehouse:users:read', summary: 'Get a user',
      params: UserIdParams, success: { status: 200, description: 'The user', schema: UserSchema }, problems: ['not-found'],
      handler: async ({ ctx, params }) => userView(await userOr404(ctx, params.id)),
    }),
    operation({
      method: 'POST', path: '/users', operationId: 'createUser', scope: 'gatehouse:users:write', summary: 'Create a user',
      body: NewUserSchema, success: { status: 201, description: 'The new user', schema: UserSchema }, problems: ['invalid-input'],
      handler: async ({ admin, actor, ip, body }) => userView(await admin.createUser(actor, {
        login: body.login, password: body.password ?? null, email: body.email, firstName: body.first_name, lastName: body.last_name,
        isDeveloper: body.is_developer, isAdmin: body.is_admin, confirmByMail: body.confirm_email_by_mail, language: body.language,
      }, ip)),
    }),
    operation({
      method: 'PATCH', path: '/users/{id}', operationId: 'updateUser', scope: 'gatehouse:users:write', summary: 'Change a user',
      description: 'Roles, blocking, password, main email address, phone number. What is omitted stays.',
      params: UserIdParams, body: UserChangeSchema, success: { status: 200, description: 'The user as changed', schema: UserSchema }, problems: ['not-found', 'invalid-input'],
      handler: async ({ ctx, admin, actor, ip, params, body }) => {
        const user = await userOr404(ctx, params.id);
        return userView(await admin.updateUser(actor, user, {
          isAdmin: body.is_admin, isDeveloper: body.is_developer, blocked: body.blocked, password: body.password, email: body.email,
          phone: body.phone, phoneConfirmed: body.phone_confirmed, confirmByMail: body.confirm_email_by_mail, language: body.language,
        }, ip));
      },
    }),
    ...ACTIONS.map((a) => operation({
      method: 'POST', path: `/users/{id}/${a.path}`, operationId: `${a.action.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())}User`,
      scope: 'gatehouse:users:write', summary: a.summary, description: a.description,
      params: UserIdParams, success: { status: 200, description: 'The user afterwards', schema: UserSchema }, problems: ['not-found', 'invalid-input'],
      handler: async ({ ctx, admin, actor, ip, params }) => {
        const user = await userOr404(ctx, params.id);
        await admin.actOnUser(actor, user, a.action, ip);
        return userView((await ctx.storage.findUserById(user.id)) ?? user);
      },
    })),
    operation({
      method: 'POST', path: '/users/{id}/reset-password', operationId: 'resetUserPassword', scope: 'gatehouse:users:write',
      summary: 'Reset a password', description: 'Sets a new random password, shown once in the answer; signs the user out everywhere and lifts a sign-in lock.',
      params: UserIdParams, success: { status: 200, description: 'The new password', schema: NewPasswordSchema }, problems: ['not-found'],
      handler: async ({ ctx, admin, actor, ip, params }) => {
        const user = await userOr404(ctx, params.id);
        const password = await admin.actOnUser(actor, user, 'reset_password', ip);
        if (password === null) throw new ApiProblem('server-error');
        return { user: userView((await ctx.storage.findUserById(user.id)) ?? user), password };
      },
    }),
    operation({
      method: 'DELETE', path: '/users/{id}', operationId: 'deleteUser', scope: 'gatehouse:users:write', summary: 'Erase a user',
      description: 'Sessions and tokens end, personal data is deleted; audit entries stay without it. Apps the user owned belong to nobody.',
      params: UserIdParams, success: { status: 200, description: 'What was erased', schema: DeletedUserSchema }, problems: ['not-found'],
      handler: async ({ ctx, admin, actor, ip, params }) => {
        const user = await userOr404(ctx, params.id);
        const orphans = await admin.deleteUser(actor, user, ip);
        return { id: user.id, login: user.login, apps_without_owner: orphans };
      },
    }),
  ],
};
