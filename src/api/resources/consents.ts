/** /api/v1/users/{id}/consents: the apps a user allowed, with the scopes; withdrawing one ends the app's tokens for them too. */
import { z } from 'zod';
import { operation, type Resource } from '../operation.js';
import { ApiProblem } from '../problem.js';
import { iso } from '../views.js';
import { userOr404, UserIdParams } from './common.js';

const ConsentSchema = z.object({
  client_id: z.string(),
  scopes: z.array(z.string()),
  created_at: z.string().meta({ format: 'date-time' }),
  updated_at: z.string().meta({ format: 'date-time' }),
}).meta({ id: 'Consent' });
const ConsentList = z.object({ items: z.array(ConsentSchema) }).meta({ id: 'ConsentList' });

export const consentsResource: Resource = {
  tag: 'Consents',
  description: 'What users allowed apps: the "revoke access" of /account, for operators.',
  operations: [
    operation({
      method: 'GET', path: '/users/{id}/consents', operationId: 'listUserConsents', scope: 'gatehouse:consents:read', summary: 'List a user\'s consents',
      params: UserIdParams, success: { status: 200, description: 'The consents', schema: ConsentList }, problems: ['not-found'],
      handler: async ({ ctx, params }) => {
        const user = await userOr404(ctx, params.id);
        const consents = await ctx.storage.listConsentsOfUser(user.id);
        return { items: consents.map((c) => ({ client_id: c.clientId, scopes: c.scopes, created_at: iso(c.createdAt), updated_at: iso(c.updatedAt) })) };
      },
    }),
    operation({
      method: 'DELETE', path: '/users/{id}/consents/{client_id}', operationId: 'revokeUserConsent', scope: 'gatehouse:consents:write', summary: 'Revoke a consent',
      description: 'The app is asked for consent again next time; its tokens for the user are revoked.',
      params: UserIdParams.extend({ client_id: z.string().max(40) }), success: { status: 204, description: 'Revoked' }, problems: ['not-found'],
      handler: async ({ ctx, admin, actor, ip, params }) => {
        const user = await userOr404(ctx, params.id);
        const consent = (await ctx.storage.listConsentsOfUser(user.id)).find((c) => c.clientId === params.client_id);
        if (!consent) throw new ApiProblem('not-found', 'the user has not consented to this app');
        await admin.revokeConsent(actor, user, consent.clientId, ip);
      },
    }),
  ],
};
