/** /api/v1/audit: the audit log (`gatehouse audit`, /admin/audit), newest first, by cursor. */
import { z } from 'zod';
import type { AuditEntry } from '../../storage/storage.js';
import type { ClientId, UserId } from '../../types.js';
import { decodeCursor, page, PageQuery, pageOf } from '../paging.js';
import { operation, type Resource } from '../operation.js';
import { iso } from '../views.js';

const AuditEntrySchema = z.object({
  id: z.string(),
  at: z.string().meta({ format: 'date-time' }),
  action: z.string(),
  outcome: z.enum(['ok', 'failed', 'refused']),
  actor: z.object({ type: z.enum(['user', 'app', 'operator', 'anonymous']), id: z.string().nullable() }),
  user_id: z.string().nullable(),
  client_id: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())])),
  count: z.int().optional().meta({ description: 'For one entry standing for several identical failures: how many' }),
  last_at: z.string().meta({ format: 'date-time' }).optional(),
}).meta({ id: 'AuditEntry' });
const AuditPage = pageOf(AuditEntrySchema, 'AuditPage');

function entryView(e: AuditEntry): z.input<typeof AuditEntrySchema> {
  return {
    id: e.id, at: iso(e.at), action: e.action, outcome: e.outcome, actor: { type: e.actorType, id: e.actorId },
    user_id: e.userId, client_id: e.clientId, ip: e.ip, details: e.details,
    ...(e.repeated ? { count: e.repeated.count, last_at: iso(e.repeated.lastAt) } : {}),
  };
}

export const auditResource: Resource = {
  tag: 'Audit log',
  description: 'Who did what, when and from where.',
  operations: [
    operation({
      method: 'GET', path: '/audit', operationId: 'listAudit', scope: 'gatehouse:audit:read', summary: 'Read the audit log',
      description: 'Newest first; every given filter must match.',
      query: z.object({
        user_id: z.string().max(40).optional().meta({ description: 'Entries about this user' }),
        client_id: z.string().max(40).optional().meta({ description: 'Entries about this app' }),
        action: z.string().regex(/^[a-z_]{1,40}$/).optional().meta({ description: 'sign_in, consent, token_issued, user_created, api_request, …' }),
        ...PageQuery,
      }),
      success: { status: 200, description: 'A page of entries', schema: AuditPage },
      handler: async ({ ctx, query }) => {
        const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, z.tuple([z.string().max(60)]));
        const rows = await ctx.storage.listAudit({
          limit: query.limit + 1,
          ...(query.user_id ? { userId: query.user_id as UserId } : {}),
          ...(query.client_id ? { clientId: query.client_id as ClientId } : {}),
          ...(query.action ? { action: query.action } : {}),
          ...(before ? { beforeId: before[0] } : {}),
        });
        return page(rows, query.limit, entryView, (e) => [e.id]);
      },
    }),
  ],
};
