/** /api/v1/keys: the id_token signing keys (`gatehouse keys`), and staged rotation. */
import { z } from 'zod';
import { NEXT_KEY_LEAD_MS } from '../../oidc/keys.js';
import type { SigningKeyRecord } from '../../storage/storage.js';
import { operation, type Resource } from '../operation.js';
import { iso } from '../views.js';

const KeySchema = z.object({
  kid: z.string(),
  alg: z.string(),
  state: z.enum(['signing', 'next', 'retired']).meta({ description: 'next: published, signs from activates_at' }),
  created_at: z.string().meta({ format: 'date-time' }),
  activates_at: z.string().meta({ format: 'date-time' }),
  retired_at: z.string().meta({ format: 'date-time' }).nullable(),
}).meta({ id: 'SigningKey' });
const KeyList = z.object({ items: z.array(KeySchema) }).meta({ id: 'SigningKeyList' });

function keyView(k: SigningKeyRecord, now: number): z.input<typeof KeySchema> {
  return {
    kid: k.kid, alg: k.alg, created_at: iso(k.createdAt), activates_at: iso(k.activatesAt), retired_at: k.retiredAt === null ? null : iso(k.retiredAt),
    state: k.retiredAt !== null && k.retiredAt <= now ? 'retired' : k.activatesAt > now ? 'next' : 'signing',
  };
}

export const keysResource: Resource = {
  tag: 'Signing keys',
  description: 'The keys id_tokens are signed with, published at /jwks.',
  operations: [
    operation({
      method: 'GET', path: '/keys', operationId: 'listKeys', scope: 'gatehouse:keys:read', summary: 'List signing keys',
      success: { status: 200, description: 'The keys', schema: KeyList },
      handler: async ({ ctx }) => {
        const now = ctx.clock();
        return { items: (await ctx.storage.listSigningKeys()).map((k) => keyView(k, now)) };
      },
    }),
    operation({
      method: 'POST', path: '/keys/rotate', operationId: 'rotateKeys', scope: 'gatehouse:keys:write', summary: 'Rotate signing keys',
      description: `Publishes a new key per algorithm at once; it signs from ${NEXT_KEY_LEAD_MS / 1000} s later, when the old one retires.`,
      success: { status: 200, description: 'The new keys', schema: KeyList },
      handler: async ({ ctx, admin, actor, ip }) => {
        const now = ctx.clock();
        return { items: (await admin.rotateKeys(actor, ip)).map((k) => keyView(k, now)) };
      },
    }),
  ],
};
