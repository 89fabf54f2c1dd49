/**
 * What webhooks need kept (src/webhooks/): the endpoints operators register,
 * the outbox of events, and one delivery per event and subscribed endpoint.
 *
 * Events are not added here but by `Storage.appendAudit`, together with the
 * audit entry of the change that caused them (one statement on PostgreSQL,
 * one commit on SQLite), so an event exists exactly when its audit entry
 * does, and the deliveries to every endpoint subscribed at that moment with
 * it.
 *
 * The same rules as the rest of storage (storage.ts): secrets arrive sealed,
 * times are milliseconds passed in by the caller, and the verbs marked
 * *atomic* have exactly one winner among concurrent callers, in one process
 * or several sharing a database.
 */
import type { Millis } from '../types.js';

export interface WebhookEndpointRecord {
  /** `ep_` and random hex. */
  id: string;
  url: string;
  description: string;
  /** Event type names it receives. */
  events: string[];
  /** The `whsec_…` signing secret, sealed with the server key. */
  secretSealed: string;
  enabled: boolean;
  /** Why it was disabled (by an operator, or after failing a whole retry schedule). */
  disabledReason: string | null;
  disabledAt: Millis | null;
  lastSuccessAt: Millis | null;
  createdAt: Millis;
  updatedAt: Millis;
}

/** An event to record with its audit entry. */
export interface WebhookEventRecord {
  /** `msg_`, the time, then random hex: time-ordered, unique, the `webhook-id` of every attempt. */
  id: string;
  type: string;
  at: Millis;
  /** The JSON body `{type, timestamp, data}`, exactly as sent. */
  body: string;
}

/**
 * `pending`: waiting for (another) attempt; `delivered`: the endpoint answered
 * 2xx; `failed`: every attempt failed, or the endpoint was deleted.
 */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryRecord {
  /** The event's id and the endpoint's, joined by `_`. */
  id: string;
  eventId: string;
  endpointId: string;
  /** The event's type (from the event row). */
  type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** When a pending delivery may next be tried (also the end of a claim's lease). */
  nextAttemptAt: Millis;
  lastAttemptAt: Millis | null;
  /** The HTTP status of the last answer; null when none came (refused, timed out). */
  responseStatus: number | null;
  lastError: string | null;
  createdAt: Millis;
  deliveredAt: Millis | null;
}

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  delivery: WebhookDeliveryRecord;
  event: WebhookEventRecord;
  endpoint: WebhookEndpointRecord;
}

export interface AttemptResult {
  /** The attempt count the claim returned: a claimer whose lease ran out and was overtaken writes nothing. */
  attempt: number;
  at: Millis;
  responseStatus: number | null;
  error: string | null;
  /** `delivered`; `pending` with the next attempt's time; or `failed` (given up). */
  status: WebhookDeliveryStatus;
  nextAttemptAt: Millis;
}

export type WebhookEndpointPatch = Partial<Pick<WebhookEndpointRecord, 'url' | 'description' | 'events' | 'enabled' | 'disabledReason' | 'disabledAt'>> & { updatedAt: Millis };

export interface WebhookStore {
  addWebhookEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  findWebhookEndpoint(id: string): Promise<WebhookEndpointRecord | null>;
  /** Oldest first. */
  listWebhookEndpoints(): Promise<WebhookEndpointRecord[]>;
  /** Null when no such endpoint. */
  updateWebhookEndpoint(id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointRecord | null>;
  /** Its deliveries go with it. False when there was none. */
  deleteWebhookEndpoint(id: string): Promise<boolean>;
  /**
   * *Atomic*: disables an enabled endpoint, unless a delivery to it succeeded
   * after `failingSince`. True for the one caller that disabled it.
   */
  disableFailingWebhookEndpoint(id: string, reason: string, failingSince: Millis, now: Millis): Promise<boolean>;

  findWebhookEvent(id: string): Promise<WebhookEventRecord | null>;
  /** Newest first (default 100). */
  listWebhookEvents(options?: { limit?: number; type?: string }): Promise<WebhookEventRecord[]>;

  /**
   * *Atomic*: claims up to `limit` pending deliveries due at `now` to enabled
   * endpoints, oldest first: counts the attempt and holds each for `leaseMs`.
   * Concurrent callers (any process on the database) never get the same one
   * while its lease lasts.
   */
  claimWebhookDeliveries(now: Millis, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  /** Records an attempt's outcome, unless another claimer has taken the delivery since. True when written. */
  finishWebhookDelivery(id: string, result: AttemptResult): Promise<boolean>;
  findWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | null>;
  /** Newest first (default 50); `beforeId` pages. */
  listWebhookDeliveries(options: { endpointId?: string; eventId?: string; status?: WebhookDeliveryStatus; limit?: number; beforeId?: string }): Promise<WebhookDeliveryRecord[]>;
  /** Makes a delivery pending again from its first attempt, due at `now` (redelivery by hand). Null when not found. */
  redeliverWebhook(id: string, now: Millis): Promise<WebhookDeliveryRecord | null>;

  /** Deletes events created before `before`, and their deliveries. Returns rows deleted. */
  deleteOldWebhookEvents(before: Millis): Promise<number>;
}
