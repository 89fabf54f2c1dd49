/** What the resources share: finding a user or an app by its path id, or answering 404. */
import { z } from 'zod';
import { isClientId } from '../../apps/apps.js';
import type { Context } from '../../context.js';
import type { AppRecord, UserRecord } from '../../storage/storage.js';
import type { ClientId, UserId } from '../../types.js';
import { ApiProblem } from '../problem.js';

export const UserIdParams = z.object({ id: z.string().max(40).meta({ description: 'The user\'s id' }) });
export const ClientIdParams = z.object({ client_id: z.string().max(40).meta({ description: 'The app\'s client_id' }) });

export async function userOr404(ctx: Context, id: string): Promise<UserRecord> {
  const user = /^\d{1,20}$/.test(id) ? await ctx.storage.findUserById(id as UserId) : null;
  if (!user) throw new ApiProblem('not-found', 'no user with this id');
  return user;
}

export async function appOr404(ctx: Context, clientId: string): Promise<AppRecord> {
  const app = isClientId(clientId) ? await ctx.storage.findApp(clientId as ClientId) : null;
  if (!app) throw new ApiProblem('not-found', 'no app with this client_id');
  return app;
}
