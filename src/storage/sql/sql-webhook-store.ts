/** The webhook store (../webhook-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import { sql, type InsertQueryBuilder, type InsertResult, type Kysely, type Selectable } from 'kysely';
import type { Millis } from '../../types.js';
import type {
  AttemptResult, ClaimedDelivery, WebhookDeliveryRecord, WebhookDeliveryStatus, WebhookEndpointPatch, WebhookEndpointRecord,
  WebhookEventRecord, WebhookStore,
} from '../webhook-store.js';
import { compiledOnce } from './compiled-once.js';
import type { Database, WebhookDeliveriesTable, WebhookEndpointsTable, WebhookEventsTable } from './schema.js';
import { num, numOrNull } from './values.js';

function toEndpoint(r: Selectable<WebhookEndpointsTable>): WebhookEndpointRecord {
  return {
    id: r.id, url: r.url, description: r.description, events: JSON.parse(r.events) as string[], secretSealed: r.secret_sealed,
    enabled: num(r.enabled) === 1, disabledReason: r.disabled_reason, disabledAt: numOrNull(r.disabled_at),
    lastSuccessAt: numOrNull(r.last_success_at), createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}

function toEvent(r: Selectable<WebhookEventsTable>): WebhookEventRecord {
  return { id: r.id, type: r.type, at: num(r.at), body: r.body };
}

function toDelivery(r: Selectable<WebhookDeliveriesTable> & { type: string }): WebhookDeliveryRecord {
  return {
    id: r.id, eventId: r.event_id, endpointId: r.endpoint_id, type: r.type, status: r.status as WebhookDeliveryStatus,
    attempts: num(r.attempts), nextAttemptAt: num(r.next_attempt_at), lastAttemptAt: numOrNull(r.last_attempt_at),
    responseStatus: r.response_status === null ? null : num(r.response_status), lastError: r.last_error,
    createdAt: num(r.created_at), deliveredAt: numOrNull(r.delivered_at),
  };
}

/** The id of the delivery of an event to an endpoint. */
export const deliveryId = (eventId: string, endpointId: string): string => `${eventId}_${endpointId}`;

/** An event as its inserts take it: its record, the prefix of its deliveries' ids, and its type quoted as an endpoint's list holds it. */
export interface EventValues extends WebhookEventRecord {
  idPrefix: string;
  quotedType: string;
}

export const eventValues = (e: WebhookEventRecord): EventValues => ({ id: e.id, type: e.type, at: e.at, body: e.body, idPrefix: `${e.id}_`, quotedType: JSON.stringify(e.type) });

/**
 * The statements that record an event and its deliveries to every enabled
 * endpoint subscribed to its type at this moment. `SqlStorage.appendAudit`
 * runs them with the audit entry: on PostgreSQL these, in one statement (CTEs
 * of the audit insert); on SQLite `sqliteEventStatements`, in one group commit.
 */
export function eventInserts(db: Kysely<Database>, events: readonly EventValues[]): InsertQueryBuilder<Database, any, InsertResult>[] {
  if (events.length === 0) return [];
  return [
    db.insertInto('webhook_events').values(events.map((e) => ({ id: e.id, type: e.type, at: e.at, body: e.body }))),
    ...events.map((e) => deliveriesInsert(db, e.idPrefix, e.id, e.at, e.quotedType, true)),
  ];
}

/**
 * One event's deliveries, a row for each enabled endpoint subscribed to its
 * type: `idPrefix` is the event's id and `_`, `quotedType` its type as JSON.
 */
function deliveriesInsert(db: Kysely<Database>, idPrefix: string, eventId: string, at: number, quotedType: string, postgres: boolean): InsertQueryBuilder<Database, any, InsertResult> {
  // `events` is a JSON array of names: the quoted name is in it exactly when subscribed. A plain substring
  // search, not LIKE: SQLite compiles a LIKE whose pattern is a parameter again at every run (the pattern
  // may allow an index), and `_` in a name would match any character.
  const subscribed = postgres ? sql<boolean>`strpos(events, ${quotedType}) > 0` : sql<boolean>`instr(events, ${quotedType}) > 0`;
  return db.insertInto('webhook_deliveries')
    .columns(['id', 'event_id', 'endpoint_id', 'status', 'attempts', 'next_attempt_at', 'created_at'])
    .expression((eb) => eb.selectFrom('webhook_endpoints')
      .select([
        sql<string>`cast(${idPrefix} as text) || id`.as('id'),
        sql<string>`cast(${eventId} as text)`.as('event_id'),
        'id as endpoint_id',
        sql<string>`cast(${'pending'} as text)`.as('status'),
        sql<number>`cast(${0} as integer)`.as('attempts'),
        sql<number>`cast(${at} as bigint)`.as('next_attempt_at'),
        sql<number>`cast(${at} as bigint)`.as('created_at'),
      ])
      .where('enabled', '=', 1)
      .where(subscribed));
}

/**
 * `eventInserts` on SQLite, each statement compiled once (compiled-once.ts),
 * as every sign-in writes its event: the events' rows, four values each
 * (id, type, at, body), and one event's deliveries.
 */
export function sqliteEventStatements(db: Kysely<Database>) {
  return {
    events: compiledOnce((...values: (string | number)[]) => db.insertInto('webhook_events').values(
      Array.from({ length: values.length / 4 }, (_, i) => ({ id: values[4 * i] as string, type: values[4 * i + 1] as string, at: values[4 * i + 2] as number, body: values[4 * i + 3] as string })),
    )),
    deliveries: compiledOnce((idPrefix: string, eventId: string, at: number, quotedType: string) => deliveriesInsert(db, idPrefix, eventId, at, quotedType, false)),
  };
}

export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly db: Kysely<Database>, private readonly postgres: boolean) {}

  async addWebhookEndpoint(e: WebhookEndpointRecord): Promise<void> {
    await this.db.insertInto('webhook_endpoints').values({
      id: e.id, url: e.url, description: e.description, events: JSON.stringify(e.events), secret_sealed: e.secretSealed,
      enabled: e.enabled ? 1 : 0, disabled_reason: e.disabledReason, disabled_at: e.disabledAt, last_success_at: e.lastSuccessAt,
      created_at: e.createdAt, updated_at: e.updatedAt,
    }).execute();
  }

  async findWebhookEndpoint(id: string): Promise<WebhookEndpointRecord | null> {
    const row = await this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEndpoint(row) : null;
  }

  async listWebhookEndpoints(): Promise<WebhookEndpointRecord[]> {
    return (await this.db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute()).map(toEndpoint);
  }

  async updateWebhookEndpoint(id: string, p: WebhookEndpointPatch): Promise<WebhookEndpointRecord | null> {
    const row = await this.db.updateTable('webhook_endpoints').set({
      ...(p.url !== undefined ? { url: p.url } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.events !== undefined ? { events: JSON.stringify(p.events) } : {}),
      ...(p.enabled !== undefined ? { enabled: p.enabled ? 1 : 0 } : {}),
      ...(p.disabledReason !== undefined ? { disabled_reason: p.disabledReason } : {}),
      ...(p.disabledAt !== undefined ? { disabled_at: p.disabledAt } : {}),
      updated_at: p.updatedAt,
    }).where('id', '=', id).returningAll().executeTakeFirst();
    return row ? toEndpoint(row) : null;
  }

  async deleteWebhookEndpoint(id: string): Promise<boolean> {
    // Deliveries go by the foreign key's cascade (SQLite enforces it: open.ts turns foreign keys on).
    const result = await this.db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async disableFailingWebhookEndpoint(id: string, reason: string, failingSince: Millis, now: Millis): Promise<boolean> {
    const result = await this.db.updateTable('webhook_endpoints')
      .set({ enabled: 0, disabled_reason: reason.slice(0, 300), disabled_at: now, updated_at: now })
      .where('id', '=', id).where('enabled', '=', 1)
      .where((eb) => eb.or([eb('last_success_at', 'is', null), eb('last_success_at', '<=', failingSince)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async findWebhookEvent(id: string): Promise<WebhookEventRecord | null> {
    const row = await this.db.selectFrom('webhook_events').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEvent(row) : null;
  }

  async listWebhookEvents(options: { limit?: number; type?: string } = {}): Promise<WebhookEventRecord[]> {
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 100)));
    let query = this.db.selectFrom('webhook_events').selectAll();
    if (options.type !== undefined) query = query.where('type', '=', options.type);
    return (await query.orderBy('id', 'desc').limit(limit).execute()).map(toEvent);
  }

  async claimWebhookDeliveries(now: Millis, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    // One UPDATE whose subquery picks the due rows. On PostgreSQL, FOR UPDATE SKIP LOCKED makes concurrent
    // claimers pick disjoint rows instead of waiting for each other, and the outer conditions are checked
    // again on the locked row, so a row another claimer has just taken is never taken twice. On SQLite the
    // statement runs whole and alone (one writer at a time).
    const pending = this.db.selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as ep', 'ep.id', 'd.endpoint_id')
      .select('d.id')
      .where('d.status', '=', 'pending').where('d.next_attempt_at', '<=', now).where('ep.enabled', '=', 1);
    // Most rounds (one a second, and one at every start) find nothing due: a read says so, where the
    // UPDATE is a write even when it changes nothing (on SQLite a commit and a sync of the log). The
    // UPDATE below still decides what is claimed.
    if ((await pending.limit(1).executeTakeFirst()) === undefined) return [];
    const due = pending
      .orderBy('d.next_attempt_at').orderBy('d.id')
      .limit(Math.max(1, Math.floor(limit)))
      .$if(this.postgres, (q) => q.forUpdate(['d']).skipLocked());
    const rows = await this.db.updateTable('webhook_deliveries')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: now + leaseMs }))
      .where('id', 'in', due)
      .where('status', '=', 'pending').where('next_attempt_at', '<=', now)
      .returningAll()
      .execute();
    if (rows.length === 0) return [];
    const [events, endpoints] = await Promise.all([
      this.db.selectFrom('webhook_events').selectAll().where('id', 'in', [...new Set(rows.map((r) => r.event_id))]).execute(),
      this.db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', [...new Set(rows.map((r) => r.endpoint_id))]).execute(),
    ]);
    const eventById = new Map(events.map((e) => [e.id, toEvent(e)]));
    const endpointById = new Map(endpoints.map((e) => [e.id, toEndpoint(e)]));
    const claimed: ClaimedDelivery[] = [];
    for (const r of rows.sort((a, b) => num(a.created_at) - num(b.created_at) || a.id.localeCompare(b.id))) {
      const event = eventById.get(r.event_id);
      const endpoint = endpointById.get(r.endpoint_id);
      // An event deleted by the clean-up, or an endpoint deleted meanwhile: nothing to send.
      if (event && endpoint) claimed.push({ delivery: toDelivery({ ...r, type: event.type }), event, endpoint });
    }
    return claimed;
  }

  async finishWebhookDelivery(id: string, r: AttemptResult): Promise<boolean> {
    const result = await this.db.updateTable('webhook_deliveries')
      .set({
        status: r.status, next_attempt_at: r.nextAttemptAt, last_attempt_at: r.at, response_status: r.responseStatus,
        last_error: r.error === null ? null : r.error.slice(0, 300), ...(r.status === 'delivered' ? { delivered_at: r.at } : {}),
      })
      .where('id', '=', id).where('status', '=', 'pending').where('attempts', '=', r.attempt)
      .executeTakeFirst();
    const written = Number(result.numUpdatedRows) === 1;
    if (written && r.status === 'delivered') {
      const endpointId = (await this.db.selectFrom('webhook_deliveries').select('endpoint_id').where('id', '=', id).executeTakeFirst())?.endpoint_id;
      if (endpointId !== undefined) {
        await this.db.updateTable('webhook_endpoints').set({ last_success_at: r.at })
          .where('id', '=', endpointId)
          .where((eb) => eb.or([eb('last_success_at', 'is', null), eb('last_success_at', '<', r.at)]))
          .execute();
      }
    }
    return written;
  }

  private deliveries() {
    return this.db.selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
      .selectAll('d').select('ev.type');
  }

  async findWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | null> {
    const row = await this.deliveries().where('d.id', '=', id).executeTakeFirst();
    return row ? toDelivery(row) : null;
  }

  async listWebhookDeliveries(o: { endpointId?: string; eventId?: string; status?: WebhookDeliveryStatus; limit?: number; beforeId?: string }): Promise<WebhookDeliveryRecord[]> {
    let query = this.deliveries();
    if (o.endpointId !== undefined) query = query.where('d.endpoint_id', '=', o.endpointId);
    if (o.eventId !== undefined) query = query.where('d.event_id', '=', o.eventId);
    if (o.status !== undefined) query = query.where('d.status', '=', o.status);
    if (o.beforeId !== undefined) query = query.where('d.id', '<', o.beforeId);
    const limit = Math.max(1, Math.min(1000, Math.floor(o.limit ?? 50)));
    return (await query.orderBy('d.id', 'desc').limit(limit).execute()).map(toDelivery);
  }

  async redeliverWebhook(id: string, now: Millis): Promise<WebhookDeliveryRecord | null> {
    const row = await this.db.updateTable('webhook_deliveries').set({ status: 'pending', attempts: 0, next_attempt_at: now })
      .where('id', '=', id).returningAll().executeTakeFirst();
    if (!row) return null;
    // As it was made pending: a worker may claim it the moment this returns.
    const event = await this.db.selectFrom('webhook_events').select('type').where('id', '=', row.event_id).executeTakeFirst();
    return toDelivery({ ...row, type: event?.type ?? '' });
  }

  async deleteOldWebhookEvents(before: Millis): Promise<number> {
    const old = this.db.selectFrom('webhook_events').select('id').where('at', '<', before);
    const deliveries = await this.db.deleteFrom('webhook_deliveries').where('event_id', 'in', old).executeTakeFirst();
    const events = await this.db.deleteFrom('webhook_events').where('at', '<', before).executeTakeFirst();
    return Number(deliveries.numDeletedRows) + Number(events.numDeletedRows);
  }
}
