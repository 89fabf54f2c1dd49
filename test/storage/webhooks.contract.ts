/**
 * The webhook part of the storage contract (src/storage/webhook-store.ts):
 * events written with their audit entry, with a delivery to each enabled
 * endpoint subscribed at that moment; deliveries claimed by exactly one of
 * many claimers (across connections, as several processes), leases that end,
 * attempts recorded only by the claim that made them, endpoints disabled once.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { AuditEntry, Storage } from '../../src/storage/storage.js';
import type { WebhookEndpointRecord, WebhookEventRecord } from '../../src/storage/webhook-store.js';
import type { Millis } from '../../src/types.js';
import type { OpenedStorage } from './contract.js';

const T0: Millis = 1_700_000_000_000;
const SECOND = 1000;

export function webhookContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage contract, webhooks: ${name}`, () => {
    let opened: OpenedStorage;
    let s: Storage;
    let seq = 0;
    const endpoint = (over: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord => ({
      id: `ep_${String(++seq).padStart(6, '0')}`, url: `https://hooks.example/${seq}`, description: '', events: ['user.created', 'sign_in.failed'],
      secretSealed: 'v1.sealed', enabled: true, disabledReason: null, disabledAt: null, lastSuccessAt: null, createdAt: T0 + seq, updatedAt: T0 + seq, ...over,
    });
    const event = (type = 'user.created', at = T0): WebhookEventRecord => ({
      id: `msg_${String(at).padStart(15, '0')}${String(++seq).padStart(16, '0')}`, type, at, body: JSON.stringify({ type, timestamp: new Date(at).toISOString(), data: { n: seq } }),
    });
    const entry = (action = 'user_created', at = T0): Omit<AuditEntry, 'id' | 'repeated'> => ({
      at, action, outcome: 'ok', actorType: 'operator', actorId: null, userId: null, clientId: null, ip: null, details: {},
    });

    beforeEach(async () => {
      opened = await open();
      s = opened.storage;
    });
    afterEach(async () => {
      await opened.close();
    });

    test('keeps an endpoint as given, updates and deletes it', async () => {
      const e = endpoint();
      await s.webhooks.addWebhookEndpoint(e);
      expect(await s.webhooks.findWebhookEndpoint(e.id)).toEqual(e);
      expect(await s.webhooks.listWebhookEndpoints()).toEqual([e]);
      const updated = await s.webhooks.updateWebhookEndpoint(e.id, { events: ['key.rotated'], enabled: false, disabledReason: 'why', disabledAt: T0 + 5, updatedAt: T0 + 5 });
      expect(updated).toEqual({ ...e, events: ['key.rotated'], enabled: false, disabledReason: 'why', disabledAt: T0 + 5, updatedAt: T0 + 5 });
      expect(await s.webhooks.updateWebhookEndpoint('ep_none', { updatedAt: T0 })).toBeNull();
      expect(await s.webhooks.deleteWebhookEndpoint(e.id)).toBe(true);
      expect(await s.webhooks.deleteWebhookEndpoint(e.id)).toBe(false);
      expect(await s.webhooks.findWebhookEndpoint(e.id)).toBeNull();
    });

    test('writes an event with its audit entry and a delivery to each enabled endpoint subscribed to its type', async () => {
      const subscribed = endpoint();
      const other = endpoint({ events: ['key.rotated'] });
      const disabled = endpoint({ enabled: false });
      for (const e of [subscribed, other, disabled]) await s.webhooks.addWebhookEndpoint(e);
      const ev = event('user.created');
      const { id: auditId, deliveries: written } = await s.appendAudit(entry(), undefined, [ev]);
      expect(written).toBe(1);
      expect((await s.listAudit()).map((a) => a.id)).toEqual([auditId]);
      expect(await s.webhooks.findWebhookEvent(ev.id)).toEqual(ev);
      const deliveries = await s.webhooks.listWebhookDeliveries({ eventId: ev.id });
      expect(deliveries).toEqual([{
        id: `${ev.id}_${subscribed.id}`, eventId: ev.id, endpointId: subscribed.id, type: 'user.created', status: 'pending', attempts: 0,
        nextAttemptAt: T0, lastAttemptAt: null, responseStatus: null, lastError: null, createdAt: T0, deliveredAt: null,
      }]);
      // Two events from one entry (a consent revoked on /account is a token revocation too).
      const both = [event('sign_in.failed'), event('key.rotated')];
      expect((await s.appendAudit(entry('sign_in'), undefined, both)).deliveries).toBe(2);
      expect((await s.webhooks.listWebhookDeliveries({})).map((d) => [d.eventId, d.endpointId]).sort())
        .toEqual([[ev.id, subscribed.id], [both[0]!.id, subscribed.id], [both[1]!.id, other.id]].sort());
    });

    test('an event no enabled endpoint is subscribed to by its exact name gets no delivery, and says so', async () => {
      await s.webhooks.addWebhookEndpoint(endpoint({ events: ['sign_in.failed'] }));
      await s.webhooks.addWebhookEndpoint(endpoint({ events: ['user.created'], enabled: false }));
      // Names that a pattern match would take for subscribed ones: a wildcard's stand-in, a prefix, another case.
      const near = ['signXin.failed', 'sign_in.fail', 'SIGN_IN.FAILED', 'user.created'].map((type) => event(type));
      for (const ev of near) expect((await s.appendAudit(entry(), undefined, [ev])).deliveries).toBe(0);
      expect(await s.webhooks.listWebhookDeliveries({})).toEqual([]);
      expect((await s.appendAudit(entry(), undefined, [])).deliveries).toBe(0);
    });

    test('an event whose audit entry repeats one (an anonymous failure counted again) is still written', async () => {
      await s.webhooks.addWebhookEndpoint(endpoint());
      const first = event('sign_in.failed');
      const second = event('sign_in.failed');
      const one = await s.appendAudit({ ...entry('sign_in'), outcome: 'failed', actorType: 'anonymous' }, 'same-key', [first]);
      const two = await s.appendAudit({ ...entry('sign_in'), outcome: 'failed', actorType: 'anonymous' }, 'same-key', [second]);
      expect(two.id).toBe(one.id);
      expect([one.deliveries, two.deliveries]).toEqual([1, 1]);
      expect((await s.webhooks.listWebhookDeliveries({})).map((d) => d.eventId).sort()).toEqual([first.id, second.id].sort());
    });

    test('a claim counts the attempt and holds the delivery for its lease; then another claimer may take it', async () => {
      const e = endpoint();
      await s.webhooks.addWebhookEndpoint(e);
      const ev = event();
      await s.appendAudit(entry(), undefined, [ev]);
      const [claimed, ...rest] = await s.webhooks.claimWebhookDeliveries(T0, 30 * SECOND, 10);
      expect(rest).toEqual([]);
      expect(claimed!.delivery).toMatchObject({ attempts: 1, nextAttemptAt: T0 + 30 * SECOND, status: 'pending' });
      expect(claimed!.event).toEqual(ev);
      expect(claimed!.endpoint).toEqual(e);
      expect(await s.webhooks.claimWebhookDeliveries(T0 + 29 * SECOND, 30 * SECOND, 10)).toEqual([]);
      // The claimer died; its lease ends and another claims the same delivery, once more counted.
      const [again] = await s.webhooks.claimWebhookDeliveries(T0 + 30 * SECOND, 30 * SECOND, 10);
      expect(again!.delivery).toMatchObject({ id: claimed!.delivery.id, attempts: 2 });
      // The first claimer's late result is not written over the second's claim.
      expect(await s.webhooks.finishWebhookDelivery(claimed!.delivery.id, { attempt: 1, at: T0 + 31 * SECOND, responseStatus: 200, error: null, status: 'delivered', nextAttemptAt: T0 })).toBe(false);
      expect(await s.webhooks.finishWebhookDelivery(again!.delivery.id, { attempt: 2, at: T0 + 32 * SECOND, responseStatus: 200, error: null, status: 'delivered', nextAttemptAt: T0 })).toBe(true);
      expect(await s.webhooks.findWebhookDelivery(again!.delivery.id)).toMatchObject({ status: 'delivered', responseStatus: 200, deliveredAt: T0 + 32 * SECOND, attempts: 2 });
      expect((await s.webhooks.findWebhookEndpoint(e.id))!.lastSuccessAt).toBe(T0 + 32 * SECOND);
      expect(await s.webhooks.claimWebhookDeliveries(T0 + 100 * SECOND, 30 * SECOND, 10)).toEqual([]);
    });

    test('a failed attempt waits for its retry time; deliveries to a disabled endpoint wait until it is enabled', async () => {
      const e = endpoint();
      await s.webhooks.addWebhookEndpoint(e);
      await s.appendAudit(entry(), undefined, [event()]);
      const [c] = await s.webhooks.claimWebhookDeliveries(T0, 30 * SECOND, 10);
      await s.webhooks.finishWebhookDelivery(c!.delivery.id, { attempt: 1, at: T0 + 1, responseStatus: 500, error: 'HTTP 500', status: 'pending', nextAttemptAt: T0 + 5 * SECOND });
      expect(await s.webhooks.findWebhookDelivery(c!.delivery.id)).toMatchObject({ status: 'pending', responseStatus: 500, lastError: 'HTTP 500', lastAttemptAt: T0 + 1, nextAttemptAt: T0 + 5 * SECOND });
      expect(await s.webhooks.claimWebhookDeliveries(T0 + 4 * SECOND, 30 * SECOND, 10)).toEqual([]);
      await s.webhooks.updateWebhookEndpoint(e.id, { enabled: false, updatedAt: T0 });
      expect(await s.webhooks.claimWebhookDeliveries(T0 + 5 * SECOND, 30 * SECOND, 10)).toEqual([]);
      await s.webhooks.updateWebhookEndpoint(e.id, { enabled: true, updatedAt: T0 });
      expect(await s.webhooks.claimWebhookDeliveries(T0 + 5 * SECOND, 30 * SECOND, 10)).toHaveLength(1);
    });

    test('of many claimers racing, on one connection or several, each delivery goes to exactly one', async () => {
      await s.webhooks.addWebhookEndpoint(endpoint());
      await s.webhooks.addWebhookEndpoint(endpoint());
      for (let i = 0; i < 10; i++) await s.appendAudit(entry('user_created', T0 + i), undefined, [event('user.created', T0 + i)]);
      const others = opened.reopen ? await Promise.all([opened.reopen(), opened.reopen()]) : [];
      const claimers = [s, s, s, ...others, ...others];
      const results = await Promise.all(claimers.map((c) => c.webhooks.claimWebhookDeliveries(T0 + 60 * SECOND, 30 * SECOND, 3)));
      let ids = results.flat().map((c) => c.delivery.id);
      expect(new Set(ids).size).toBe(ids.length);
      // Whatever the first round left is claimed by the next, still once each.
      for (;;) {
        const more = (await Promise.all(claimers.map((c) => c.webhooks.claimWebhookDeliveries(T0 + 60 * SECOND, 30 * SECOND, 3)))).flat();
        if (more.length === 0) break;
        ids = [...ids, ...more.map((c) => c.delivery.id)];
      }
      expect(ids.length).toBe(20);
      expect(new Set(ids).size).toBe(20);
    });

    test('an endpoint is disabled once, and not when a delivery reached it after the failing one began', async () => {
      const e = endpoint();
      await s.webhooks.addWebhookEndpoint(e);
      await s.webhooks.updateWebhookEndpoint(e.id, { updatedAt: T0 });
      // Something succeeded after T0 + 10: a delivery failing since T0 does not disable it.
      await s.appendAudit(entry(), undefined, [event()]);
      const [c] = await s.webhooks.claimWebhookDeliveries(T0, 30 * SECOND, 10);
      await s.webhooks.finishWebhookDelivery(c!.delivery.id, { attempt: 1, at: T0 + 10, responseStatus: 204, error: null, status: 'delivered', nextAttemptAt: T0 });
      expect(await s.webhooks.disableFailingWebhookEndpoint(e.id, 'failing', T0, T0 + 20)).toBe(false);
      const results = await Promise.all([1, 2, 3].map(() => s.webhooks.disableFailingWebhookEndpoint(e.id, 'failing for a day', T0 + 11, T0 + 30)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await s.webhooks.findWebhookEndpoint(e.id)).toMatchObject({ enabled: false, disabledReason: 'failing for a day', disabledAt: T0 + 30 });
    });

    test('redelivery makes a delivery pending from its first attempt; deleting an endpoint deletes its deliveries; old events go', async () => {
      const e = endpoint();
      await s.webhooks.addWebhookEndpoint(e);
      const ev = event();
      await s.appendAudit(entry(), undefined, [ev]);
      const [c] = await s.webhooks.claimWebhookDeliveries(T0, 30 * SECOND, 10);
      await s.webhooks.finishWebhookDelivery(c!.delivery.id, { attempt: 1, at: T0 + 1, responseStatus: null, error: 'refused', status: 'failed', nextAttemptAt: T0 + 1 });
      expect(await s.webhooks.claimWebhookDeliveries(T0 + 60 * SECOND, 30 * SECOND, 10)).toEqual([]);
      expect(await s.webhooks.redeliverWebhook(c!.delivery.id, T0 + 70 * SECOND)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0 + 70 * SECOND });
      expect(await s.webhooks.redeliverWebhook('msg_none_ep_none', T0)).toBeNull();
      expect(await s.webhooks.claimWebhookDeliveries(T0 + 70 * SECOND, 30 * SECOND, 10)).toHaveLength(1);
      // Paging the log, newest first.
      const later = event('user.created', T0 + 5);
      await s.appendAudit(entry('user_created', T0 + 5), undefined, [later]);
      const page1 = await s.webhooks.listWebhookDeliveries({ endpointId: e.id, limit: 1 });
      expect(page1.map((d) => d.eventId)).toEqual([later.id]);
      expect((await s.webhooks.listWebhookDeliveries({ endpointId: e.id, beforeId: page1[0]!.id })).map((d) => d.eventId)).toEqual([ev.id]);
      expect(await s.webhooks.deleteOldWebhookEvents(T0 + 1)).toBe(2);
      expect(await s.webhooks.findWebhookEvent(ev.id)).toBeNull();
      expect(await s.webhooks.deleteWebhookEndpoint(e.id)).toBe(true);
      expect(await s.webhooks.listWebhookDeliveries({})).toEqual([]);
      expect(await s.webhooks.listWebhookEvents()).toEqual([later]);
    });
  });
}
