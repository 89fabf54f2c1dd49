/**
 * The delivery worker: sends what the outbox holds, in every server process
 * that runs the periodic jobs (src/main.ts).
 *
 * Each round claims a few due deliveries (`WebhookStore.claimWebhookDeliveries`,
 * atomic across processes: several Gatehouse processes on one PostgreSQL
 * database never send the same one at once), signs each per Standard
 * Webhooks — `webhook-id` (the event's id, the same on every attempt, so
 * receivers can drop repeats), `webhook-timestamp`, `webhook-signature`
 * (HMAC-SHA256 with the endpoint's `whsec_` secret, computed by the
 * `standardwebhooks` package) — and POSTs it. A claim is a lease longer than
 * the request's deadline: a process killed mid-attempt leaves the delivery to
 * whichever process claims it once the lease ends, so an event recorded
 * before a crash is still delivered (at least once; receivers see the same
 * `webhook-id` if an attempt was cut short after the endpoint got it).
 *
 * A failed attempt (no answer, a refused address, anything but 2xx) is
 * retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h — a little over a
 * day — then given up; an endpoint that had no successful delivery in all
 * that time is disabled, logged, noted on /admin/webhooks and audited.
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Storage } from '../storage/storage.js';
import type { ClaimedDelivery } from '../storage/webhook-store.js';
import type { Clock } from '../types.js';
import { post } from './sender.js';

const SECOND = 1000;

/**
 * The signing library, loaded with the first delivery: most servers send none, and a start need not load it.
 * A CommonJS package: its exports object is the default export, in Node as in the bundle (scripts/build.mjs).
 */
type Signing = typeof import('standardwebhooks');
let standardWebhooks: Promise<Signing> | null = null;
const signing = () => (standardWebhooks ??= import('standardwebhooks').then((m) => (m as unknown as { default: Signing }).default));
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** The wait after each failed attempt; one attempt more than waits. */
export const RETRY_AFTER_MS: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
export const MAX_ATTEMPTS = RETRY_AFTER_MS.length + 1;
/** Deliveries claimed per round. */
const BATCH = 10;

export interface DeliveryOptions {
  /** The deadline of one attempt (GATEHOUSE_WEBHOOK_TIMEOUT). */
  timeoutMs: number;
  /** GATEHOUSE_WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** Warnings for the server log: an endpoint disabled, a round that failed. */
  warn?: (message: string, details: Record<string, unknown>) => void;
}

export class WebhookDelivery {
  private readonly inFlight = new Set<Promise<unknown>>();
  private running: Promise<void> | null = null;
  private again = false;
  /** Until `start`: a process that does not deliver (the CLI) leaves its events to the server. */
  private stopped = true;

  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly options: DeliveryOptions,
  ) {}

  /** Where warnings go (the server's log); set once the server's logger exists. */
  set warn(warn: DeliveryOptions['warn']) {
    this.options.warn = warn;
  }

  /** How long a claim holds a delivery: the attempt's deadline and a margin. */
  get leaseMs(): number {
    return this.options.timeoutMs + 10 * SECOND;
  }

  /**
   * Looks for due deliveries every `everyMs` (events other processes recorded,
   * retries, leases of crashed processes) and whenever `kick` is called, until
   * the returned function is called.
   */
  start(everyMs = 1000): () => void {
    this.stopped = false;
    const timer = setInterval(() => this.kick(), everyMs).unref();
    this.kick();
    return () => {
      this.stopped = true;
      clearInterval(timer);
    };
  }

  /** Runs a round soon (events were just recorded in this process); rounds never overlap. */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    const round = this.deliverDue().then(() => undefined)
      .catch((err: unknown) => this.options.warn?.('webhook delivery round failed', { err }))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
    this.running = round;
    this.track(round);
  }

  /** Claims and sends due deliveries until none is due. Returns how many attempts were made. */
  async deliverDue(): Promise<number> {
    let attempts = 0;
    for (;;) {
      const claimed = await this.storage.webhooks.claimWebhookDeliveries(this.clock(), this.leaseMs, BATCH);
      if (claimed.length === 0) return attempts;
      await Promise.all(claimed.map((c) => this.attempt(c)));
      attempts += claimed.length;
      if (this.stopped) return attempts;
    }
  }

  /** Stops looking for deliveries and waits for the attempts in flight. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  /** Waits for rounds in flight (the server before it stops, tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async attempt({ delivery, event, endpoint }: ClaimedDelivery): Promise<void> {
    let result: { status: number | null; error: string | null };
    try {
      const { Webhook } = await signing();
      const signer = new Webhook(this.secrets.open(endpoint.secretSealed));
      // The receiver compares webhook-timestamp with its own clock to refuse replays: it is the moment of sending.
      const sentAt = new Date(Date.now());
      const headers = {
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signer.sign(event.id, sentAt, event.body),
      };
      result = await post(endpoint.url, headers, event.body, { timeoutMs: this.options.timeoutMs, allowPrivate: this.options.allowPrivate });
    } catch (err) {
      // A secret sealed with another server key cannot sign anything: the attempt fails like any other.
      result = { status: null, error: `not sent: ${(err as Error).message}` };
    }
    const now = this.clock();
    if (result.error === null) {
      await this.storage.webhooks.finishWebhookDelivery(delivery.id, {
        attempt: delivery.attempts, at: now, responseStatus: result.status, error: null, status: 'delivered', nextAttemptAt: now,
      });
      return;
    }
    const wait = RETRY_AFTER_MS[delivery.attempts - 1];
    const written = await this.storage.webhooks.finishWebhookDelivery(delivery.id, {
      attempt: delivery.attempts, at: now, responseStatus: result.status, error: result.error,
      status: wait === undefined ? 'failed' : 'pending', nextAttemptAt: wait === undefined ? now : now + wait,
    });
    if (written && wait === undefined) await this.disableIfFailing(endpoint.id, endpoint.url, delivery.createdAt, delivery.attempts, result.error);
  }

  /** After a delivery was given up: disables its endpoint unless something reached it since that delivery began. */
  private async disableIfFailing(endpointId: string, url: string, failingSince: number, attempts: number, lastError: string): Promise<void> {
    const reason = `every attempt for a day failed (${attempts} attempts; last: ${lastError.slice(0, 150)})`;
    if (!(await this.storage.webhooks.disableFailingWebhookEndpoint(endpointId, reason, failingSince, this.clock()))) return;
    this.options.warn?.('webhook endpoint disabled after repeated failure', { endpoint: endpointId, url, reason });
    await this.audit.record({ action: 'webhook_disabled', actor: { type: 'operator' }, details: { endpoint: endpointId, url, reason, automatic: true } });
  }
}
