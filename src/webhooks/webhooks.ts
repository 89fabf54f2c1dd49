/**
 * Webhook endpoints, one service for every door: the management API,
 * /admin/webhooks and `gatehouse webhook …` all call these methods, so the
 * checks, the audit entries and the secret handling are the same wherever a
 * change comes from.
 *
 * An endpoint's signing secret (`whsec_` and 32 random bytes in base64, the
 * Standard Webhooks format) is returned once, when the endpoint is created,
 * and stored sealed with the server key (src/crypto/secret-box.ts), as client
 * secrets are. It signs; nobody reads it back.
 *
 * This class is also the audit log's source of events (src/audit/audit-log.ts
 * `withEvents`): it builds the events an entry causes and wakes the delivery
 * worker once they are committed.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { AuditActor, AuditEventSource, AuditLog } from '../audit/audit-log.js';
import { randomHex } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { InputError } from '../errors.js';
import type { AuditEntry, Storage, UserRecord } from '../storage/storage.js';
import type { WebhookDeliveryRecord, WebhookDeliveryStatus, WebhookEndpointRecord, WebhookEventRecord } from '../storage/webhook-store.js';
import type { Clock } from '../types.js';
import { isPrivateAddress } from './address-guard.js';
import type { WebhookDelivery } from './delivery.js';
import { EVENT_TYPES, eventsOf, isEventType, type EventType } from './events.js';

/** An endpoint as every door shows it: everything but the secret. */
export type WebhookEndpoint = Omit<WebhookEndpointRecord, 'secretSealed'>;

export interface WebhookEndpointInput {
  url?: string | undefined;
  events?: readonly string[] | undefined;
  description?: string | undefined;
}

/** Who asked, for the audit log. */
export interface WebhookCaller {
  actor: AuditActor;
  ip: string | null;
}

const MAX_URL = 2000;
const MAX_DESCRIPTION = 200;

const publicView = ({ secretSealed: _, ...endpoint }: WebhookEndpointRecord): WebhookEndpoint => endpoint;

/** The endpoint as JSON for the API and `--json`: snake_case, times in ISO 8601. */
export function endpointJson(e: WebhookEndpoint): Record<string, unknown> {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: e.id, url: e.url, description: e.description, events: e.events, enabled: e.enabled,
    disabled_reason: e.disabledReason, disabled_at: iso(e.disabledAt), last_success_at: iso(e.lastSuccessAt),
    created_at: iso(e.createdAt), updated_at: iso(e.updatedAt),
  };
}

/** A delivery as JSON for the API and `--json`. */
export function deliveryJson(d: WebhookDeliveryRecord): Record<string, unknown> {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: d.id, event_id: d.eventId, endpoint_id: d.endpointId, type: d.type, status: d.status, attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null, last_attempt_at: iso(d.lastAttemptAt),
    response_status: d.responseStatus, last_error: d.lastError, created_at: iso(d.createdAt), delivered_at: iso(d.deliveredAt),
  };
}

export class Webhooks implements AuditEventSource {
  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly delivery: WebhookDelivery,
    private readonly allowPrivate: boolean,
  ) {}

  /** The URL as stored: http(s), no credentials or fragment, and (unless allowed) no private address written in it. */
  checkUrl(value: string): string {
    const text = value.trim();
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InputError(`the URL is not valid: ${JSON.stringify(text.slice(0, 80))}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError('the URL must be http:// or https://');
    if (url.username || url.password) throw new InputError('the URL must not hold a user name or password');
    if (url.hash) throw new InputError('the URL must have no fragment (#…)');
    if (text.length > MAX_URL) throw new InputError(`the URL must be at most ${MAX_URL} characters`);
    // Names are checked again at every connection (address-guard.ts); this only refuses the obvious early.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!this.allowPrivate && ((isIP(host) !== 0 && isPrivateAddress(host)) || host === 'localhost' || host.endsWith('.localhost'))) {
      throw new InputError(`${host} is a loopback or private address: deliveries there are refused unless GATEHOUSE_WEBHOOK_ALLOW_PRIVATE=true`);
    }
    return url.href;
  }

  private checkEvents(events: readonly string[]): EventType[] {
    const names = [...new Set(events.flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e !== ''))];
    if (names.length === 0) throw new InputError(`choose at least one event: ${EVENT_TYPES.join(', ')}`);
    const unknown = names.filter((n) => !isEventType(n));
    if (unknown.length > 0) throw new InputError(`unknown event ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}: choose from ${EVENT_TYPES.join(', ')}`);
    return EVENT_TYPES.filter((t) => names.includes(t));
  }

  private checkDescription(value: string): string {
    const text = value.trim();
    if (text.length > MAX_DESCRIPTION || /[\u0000-\u001f\u007f]/.test(text)) throw new InputError(`the description must be at most ${MAX_DESCRIPTION} printable characters`);
    return text;
  }

  /** Registers an endpoint; its signing secret is in the answer, and nowhere else ever again. */
  async create(input: WebhookEndpointInput, by: WebhookCaller): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    if (input.url === undefined) throw new InputError('the URL is required');
    const url = this.checkUrl(input.url);
    const events = this.checkEvents(input.events ?? []);
    const description = this.checkDescription(input.description ?? '');
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const now = this.clock();
    const record: WebhookEndpointRecord = {
      id: `ep_${randomHex(12)}`, url, description, events, secretSealed: this.secrets.seal(secret), enabled: true,
      disabledReason: null, disabledAt: null, lastSuccessAt: null, createdAt: now, updatedAt: now,
    };
    await this.storage.webhooks.addWebhookEndpoint(record);
    await this.audit.record({ action: 'webhook_added', ...this.who(by), details: { endpoint: record.id, url, events } });
    return { endpoint: publicView(record), secret };
  }

  async list(): Promise<WebhookEndpoint[]> {
    return (await this.storage.webhooks.listWebhookEndpoints()).map(publicView);
  }

  async get(id: string): Promise<WebhookEndpoint | null> {
    const found = await this.storage.webhooks.findWebhookEndpoint(id);
    return found ? publicView(found) : null;
  }

  /** Changes the URL, the events or the description. Null when no such endpoint. */
  async update(id: string, input: WebhookEndpointInput, by: WebhookCaller): Promise<WebhookEndpoint | null> {
    const patch = {
      ...(input.url !== undefined ? { url: this.checkUrl(input.url) } : {}),
      ...(input.events !== undefined ? { events: this.checkEvents(input.events) } : {}),
      ...(input.description !== undefined ? { description: this.checkDescription(input.description) } : {}),
    };
    const updated = await this.storage.webhooks.updateWebhookEndpoint(id, { ...patch, updatedAt: this.clock() });
    if (!updated) return null;
    await this.audit.record({ action: 'webhook_updated', ...this.who(by), details: { endpoint: id, fields: Object.keys(patch) } });
    return publicView(updated);
  }

  /**
   * Enables an endpoint (deliveries still pending go out again, as due) or
   * disables it (they wait). Null when no such endpoint.
   */
  async setEnabled(id: string, enabled: boolean, by: WebhookCaller): Promise<WebhookEndpoint | null> {
    const now = this.clock();
    const updated = await this.storage.webhooks.updateWebhookEndpoint(id, enabled
      ? { enabled: true, disabledReason: null, disabledAt: null, updatedAt: now }
      : { enabled: false, disabledReason: 'disabled by an operator', disabledAt: now, updatedAt: now });
    if (!updated) return null;
    await this.audit.record({ action: 'webhook_updated', ...this.who(by), details: { endpoint: id, enabled } });
    if (enabled) this.delivery.kick();
    return publicView(updated);
  }

  /** Deletes an endpoint and its delivery log. False when there was none. */
  async remove(id: string, by: WebhookCaller): Promise<boolean> {
    const found = await this.storage.webhooks.findWebhookEndpoint(id);
    if (!found || !(await this.storage.webhooks.deleteWebhookEndpoint(id))) return false;
    await this.audit.record({ action: 'webhook_removed', ...this.who(by), details: { endpoint: id, url: found.url } });
    return true;
  }

  /** The delivery log of an endpoint, newest first; `beforeId` pages. */
  deliveries(endpointId: string, options: { limit?: number; beforeId?: string; status?: WebhookDeliveryStatus } = {}): Promise<WebhookDeliveryRecord[]> {
    return this.storage.webhooks.listWebhookDeliveries({ ...options, endpointId });
  }

  /** The JSON body a delivery sends (for the delivery log). */
  async body(eventId: string): Promise<string | null> {
    return (await this.storage.webhooks.findWebhookEvent(eventId))?.body ?? null;
  }

  /**
   * Sends a delivery again, from a fresh retry schedule, whatever became of
   * it (the same `webhook-id`: receivers that saw it drop it). Null when no
   * such delivery.
   */
  async redeliver(deliveryId: string, by: WebhookCaller): Promise<WebhookDeliveryRecord | null> {
    const delivery = await this.storage.webhooks.redeliverWebhook(deliveryId, this.clock());
    if (!delivery) return null;
    await this.audit.record({ action: 'webhook_redelivered', ...this.who(by), details: { endpoint: delivery.endpointId, delivery: deliveryId } });
    this.delivery.kick();
    return delivery;
  }

  /** AuditEventSource: the events an audit entry causes. */
  eventsOf(entry: Omit<AuditEntry, 'id' | 'repeated'>, subject?: Pick<UserRecord, 'id' | 'login'>): Promise<WebhookEventRecord[]> {
    return eventsOf(this.storage, entry, subject);
  }

  /** AuditEventSource: events were committed; their deliveries go out now rather than at the next poll. */
  recorded(): void {
    this.delivery.kick();
  }

  private who(by: WebhookCaller): { actor: AuditActor; ip: string | null } {
    return { actor: by.actor, ip: by.ip };
  }
}
