/**
 * /api/v1/webhooks: endpoints that receive signed events, as an operator
 * manages them with `gatehouse webhook` and on /admin/webhooks — through the
 * same Webhooks service (src/webhooks/webhooks.ts).
 */
import { z } from 'zod';
import { EVENT_DESCRIPTIONS, EVENT_TYPES } from '../../webhooks/events.js';
import { deliveryJson, endpointJson, type WebhookCaller } from '../../webhooks/webhooks.js';
import type { Context } from '../../context.js';
import { decodeCursor, page, pageOf, PageQuery } from '../paging.js';
import { operation, type Resource } from '../operation.js';
import { ApiProblem } from '../problem.js';

const EventTypeSchema = z.enum(EVENT_TYPES).meta({
  description: `What happened: ${EVENT_TYPES.map((t) => `\`${t}\` ${EVENT_DESCRIPTIONS[t]}`).join('; ')}`,
});

const EndpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(EventTypeSchema),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable().meta({ description: 'Why Gatehouse disabled it (a day of failed deliveries), or null' }),
  disabled_at: z.string().meta({ format: 'date-time' }).nullable(),
  last_success_at: z.string().meta({ format: 'date-time' }).nullable(),
  created_at: z.string().meta({ format: 'date-time' }),
  updated_at: z.string().meta({ format: 'date-time' }),
}).meta({ id: 'WebhookEndpoint' });

const EndpointWithSecretSchema = EndpointSchema.extend({
  secret: z.string().meta({ description: 'The signing secret (whsec_…), shown once: verify deliveries with it (Standard Webhooks)' }),
}).meta({ id: 'WebhookEndpointWithSecret' });

const DeliverySchema = z.object({
  id: z.string(),
  event_id: z.string().meta({ description: 'The webhook-id header of every attempt (receivers drop what they have seen)' }),
  endpoint_id: z.string(),
  type: EventTypeSchema,
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.int(),
  next_attempt_at: z.string().meta({ format: 'date-time' }).nullable(),
  last_attempt_at: z.string().meta({ format: 'date-time' }).nullable(),
  response_status: z.int().nullable().meta({ description: 'The HTTP status of the last attempt, or null when it got no answer' }),
  last_error: z.string().nullable(),
  created_at: z.string().meta({ format: 'date-time' }),
  delivered_at: z.string().meta({ format: 'date-time' }).nullable(),
}).meta({ id: 'WebhookDelivery' });

const EndpointList = z.object({ items: z.array(EndpointSchema) }).meta({ id: 'WebhookEndpointList' });
const DeliveryPage = pageOf(DeliverySchema, 'WebhookDeliveryPage');

const EndpointFields = {
  description: z.string().max(200).optional(),
};
const NewEndpointSchema = z.object({
  url: z.string().max(2000).meta({ description: 'http(s); loopback and private addresses only with GATEHOUSE_WEBHOOK_ALLOW_PRIVATE' }),
  events: z.array(EventTypeSchema).min(1).max(EVENT_TYPES.length),
  ...EndpointFields,
}).strict().meta({ id: 'NewWebhookEndpoint' });
const EndpointChangeSchema = z.object({
  url: z.string().max(2000).optional(),
  events: z.array(EventTypeSchema).min(1).max(EVENT_TYPES.length).optional(),
  enabled: z.boolean().optional().meta({ description: 'false stops deliveries (they wait); true sends what is pending again' }),
  ...EndpointFields,
}).strict().meta({ id: 'WebhookEndpointChange' });

const EndpointParams = z.object({ id: z.string().max(64).meta({ description: 'The endpoint\'s id' }) });
const DeliveryParams = z.object({ delivery_id: z.string().max(64).meta({ description: 'The delivery\'s id' }) });

type Endpoint = z.input<typeof EndpointSchema>;
const endpointView = (e: Parameters<typeof endpointJson>[0]) => endpointJson(e) as Endpoint;
const deliveryView = (d: Parameters<typeof deliveryJson>[0]) => deliveryJson(d) as z.input<typeof DeliverySchema>;

async function endpointOr404(ctx: Context, id: string) {
  const endpoint = await ctx.webhooks.get(id);
  if (!endpoint) throw new ApiProblem('not-found', 'no webhook endpoint with this id');
  return endpoint;
}

const caller = (actor: WebhookCaller['actor'], ip: string | null): WebhookCaller => ({ actor, ip });

export const webhooksResource: Resource = {
  tag: 'Webhooks',
  description: 'Endpoints that receive signed events (Standard Webhooks), and their deliveries: the same actions as `gatehouse webhook` and /admin/webhooks.',
  operations: [
    operation({
      method: 'GET', path: '/webhooks', operationId: 'listWebhooks', scope: 'gatehouse:webhooks:read', summary: 'List webhook endpoints',
      success: { status: 200, description: 'Every endpoint, never its secret', schema: EndpointList },
      handler: async ({ ctx }) => ({ items: (await ctx.webhooks.list()).map(endpointView) }),
    }),
    operation({
      method: 'POST', path: '/webhooks', operationId: 'createWebhook', scope: 'gatehouse:webhooks:write', summary: 'Add a webhook endpoint',
      description: 'The answer holds the signing secret, shown this once.',
      body: NewEndpointSchema, success: { status: 201, description: 'The new endpoint, with its secret', schema: EndpointWithSecretSchema }, problems: ['invalid-input'],
      handler: async ({ ctx, actor, ip, body }) => {
        const made = await ctx.webhooks.create({ url: body.url, events: body.events, description: body.description }, caller(actor, ip));
        return { ...endpointView(made.endpoint), secret: made.secret };
      },
    }),
    operation({
      method: 'GET', path: '/webhooks/{id}', operationId: 'getWebhook', scope: 'gatehouse:webhooks:read', summary: 'Get a webhook endpoint',
      params: EndpointParams, success: { status: 200, description: 'The endpoint', schema: EndpointSchema }, problems: ['not-found'],
      handler: async ({ ctx, params }) => endpointView(await endpointOr404(ctx, params.id)),
    }),
    operation({
      method: 'PATCH', path: '/webhooks/{id}', operationId: 'updateWebhook', scope: 'gatehouse:webhooks:write', summary: 'Change a webhook endpoint',
      description: 'What is omitted stays; the secret never changes.',
      params: EndpointParams, body: EndpointChangeSchema, success: { status: 200, description: 'The endpoint as changed', schema: EndpointSchema }, problems: ['not-found', 'invalid-input'],
      handler: async ({ ctx, actor, ip, params, body }) => {
        await endpointOr404(ctx, params.id);
        const by = caller(actor, ip);
        const { enabled, ...fields } = body;
        let endpoint = Object.keys(fields).length > 0 ? await ctx.webhooks.update(params.id, fields, by) : await ctx.webhooks.get(params.id);
        if (endpoint && enabled !== undefined && endpoint.enabled !== enabled) endpoint = await ctx.webhooks.setEnabled(params.id, enabled, by);
        if (!endpoint) throw new ApiProblem('not-found', 'no webhook endpoint with this id');
        return endpointView(endpoint);
      },
    }),
    operation({
      method: 'DELETE', path: '/webhooks/{id}', operationId: 'deleteWebhook', scope: 'gatehouse:webhooks:write', summary: 'Remove a webhook endpoint',
      description: 'Its pending deliveries are dropped.',
      params: EndpointParams, success: { status: 204, description: 'Removed' }, problems: ['not-found'],
      handler: async ({ ctx, actor, ip, params }) => {
        if (!(await ctx.webhooks.remove(params.id, caller(actor, ip)))) throw new ApiProblem('not-found', 'no webhook endpoint with this id');
      },
    }),
    operation({
      method: 'GET', path: '/webhooks/{id}/deliveries', operationId: 'listWebhookDeliveries', scope: 'gatehouse:webhooks:read',
      summary: 'List an endpoint\'s deliveries', description: 'Newest first; `status` keeps one kind.',
      params: EndpointParams,
      query: z.object({ status: z.enum(['pending', 'delivered', 'failed']).optional(), ...PageQuery }),
      success: { status: 200, description: 'A page of deliveries', schema: DeliveryPage }, problems: ['not-found'],
      handler: async ({ ctx, params, query }) => {
        await endpointOr404(ctx, params.id);
        const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, z.tuple([z.string().max(64)]))[0];
        const rows = await ctx.webhooks.deliveries(params.id, {
          limit: query.limit + 1, ...(before !== undefined ? { beforeId: before } : {}), ...(query.status ? { status: query.status } : {}),
        });
        return page(rows, query.limit, deliveryView, (d) => [d.id]);
      },
    }),
    operation({
      method: 'POST', path: '/webhooks/deliveries/{delivery_id}/redeliver', operationId: 'redeliverWebhook', scope: 'gatehouse:webhooks:write',
      summary: 'Send a delivery again', description: 'From a fresh retry schedule, with the same webhook-id (receivers that saw it drop it).',
      params: DeliveryParams, success: { status: 200, description: 'The delivery, pending again', schema: DeliverySchema }, problems: ['not-found'],
      handler: async ({ ctx, actor, ip, params }) => {
        const delivery = await ctx.webhooks.redeliver(params.delivery_id, caller(actor, ip));
        if (!delivery) throw new ApiProblem('not-found', 'no delivery with this id');
        return deliveryView(delivery);
      },
    }),
  ],
};
