/**
 * Webhook endpoints through the management API (issue 21): created, read,
 * changed and removed over /api/v1 with every answer checked against the
 * OpenAPI document; a change made through the API reaches a real receiver,
 * verified with the `standardwebhooks` package and the secret the API showed
 * once; deliveries listed and sent again; scopes enforced. Stored state: runs
 * on both engines.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { apiClient, automationApp, DocumentChecker } from './support.js';

let gh: TestGatehouse;
let receiver: WebhookReceiver;
let stop: () => void;
let api: ReturnType<typeof apiClient>;
let ops: { clientId: string; token: string };

beforeAll(async () => {
  gh = await startGatehouse({ config: { webhookAllowPrivate: true, webhookTimeoutSeconds: 2 } });
  receiver = await startWebhookReceiver();
  stop = gh.ctx.webhookDelivery.start(50);
  const doc = await (await fetch(`${gh.url}/api/v1/openapi.json`)).json();
  api = apiClient(gh, new DocumentChecker(doc));
  ops = await automationApp(gh, ['gatehouse:admin']);
});
afterAll(async () => {
  stop?.();
  await receiver?.close();
  await gh?.close();
});

describe('webhooks through the management API (issue 21)', () => {
  test('an endpoint made through the API receives the signed event of a user the API creates; its deliveries are listed and sent again', async () => {
    const made = await api('POST', '/webhooks', { token: ops.token, body: { url: receiver.url, events: ['user.created'], description: 'HR sync' } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ url: receiver.url, events: ['user.created'], enabled: true, description: 'HR sync' });
    expect(made.body.secret).toMatch(/^whsec_/);
    receiver.secret = made.body.secret;
    // The secret is shown once: never in a read or a list.
    expect(JSON.stringify((await api('GET', `/webhooks/${made.body.id}`, { token: ops.token })).body)).not.toContain(made.body.secret);
    expect(JSON.stringify((await api('GET', '/webhooks', { token: ops.token })).body)).not.toContain(made.body.secret);

    const user = await api('POST', '/users', { token: ops.token, body: { login: 'hooked-by-api', password: 'correct horse battery' } });
    expect(user.status).toBe(201);
    const [first] = await receiver.waitFor((r) => r.some((x) => x.verified?.type === 'user.created' && x.verified.data.user?.login === 'hooked-by-api'));
    expect(first!.verified!.data).toMatchObject({ user: { id: user.body.id, login: 'hooked-by-api' }, actor: { type: 'app', id: ops.clientId } });

    const deliveries = await api('GET', `/webhooks/${made.body.id}/deliveries`, { token: ops.token });
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.items).toHaveLength(1);
    const delivery = deliveries.body.items[0];
    expect(delivery).toMatchObject({ event_id: first!.id, type: 'user.created' });
    const delivered = await api('GET', `/webhooks/${made.body.id}/deliveries?status=delivered`, { token: ops.token });
    expect(delivered.body.items.map((d: { id: string }) => d.id)).toEqual([delivery.id]);

    const again = await api('POST', `/webhooks/deliveries/${delivery.id}/redeliver`, { token: ops.token });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: delivery.id, event_id: first!.id, status: 'pending' });
    const twice = await receiver.waitFor((r) => r.filter((x) => x.id === first!.id).length === 2);
    expect(twice.filter((x) => x.id === first!.id).every((x) => x.verified !== null)).toBe(true);
  });

  test('deliveries page by cursor, newest first', async () => {
    const own = await startWebhookReceiver();
    const made = await api('POST', '/webhooks', { token: ops.token, body: { url: own.url, events: ['user.updated'] } });
    own.secret = made.body.secret;
    const user = await api('POST', '/users', { token: ops.token, body: { login: 'renamed-often', password: 'correct horse battery' } });
    for (let i = 0; i < 5; i++) await api('PATCH', `/users/${user.body.id}`, { token: ops.token, body: { phone: `+44 20 7946 09${50 + i}` } });
    await own.waitFor((r) => r.filter((x) => x.verified?.type === 'user.updated' && x.verified.data.user?.id === user.body.id).length >= 5);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const pageOf: { body: { items: { id: string }[]; next_cursor: string | null } } =
        await api('GET', `/webhooks/${made.body.id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: ops.token });
      seen.push(...pageOf.body.items.map((d) => d.id));
      cursor = pageOf.body.next_cursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(5);
    expect([...seen].sort().reverse()).toEqual(seen);
    await own.close();
  });

  test('changed, disabled and removed through the API; bad input and unknown ids are problems', async () => {
    const made = await api('POST', '/webhooks', { token: ops.token, body: { url: receiver.url, events: ['app.created'] } });
    const changed = await api('PATCH', `/webhooks/${made.body.id}`, { token: ops.token, body: { events: ['app.created', 'app.updated'], enabled: false } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ events: ['app.created', 'app.updated'], enabled: false });
    expect((await gh.ctx.webhooks.get(made.body.id))!.enabled).toBe(false);

    expect((await api('POST', '/webhooks', { token: ops.token, body: { url: 'ftp://example.org/', events: ['app.created'] } })).status).toBe(422);
    expect((await api('POST', '/webhooks', { token: ops.token, body: { url: receiver.url, events: ['no.such_event'] } })).status).toBe(400);
    expect((await api('GET', '/webhooks/nothing-here', { token: ops.token })).status).toBe(404);
    expect((await api('POST', '/webhooks/deliveries/nothing-here/redeliver', { token: ops.token })).status).toBe(404);

    expect((await api('DELETE', `/webhooks/${made.body.id}`, { token: ops.token })).status).toBe(204);
    expect(await gh.ctx.webhooks.get(made.body.id)).toBeNull();
    expect((await api('DELETE', `/webhooks/${made.body.id}`, { token: ops.token })).status).toBe(404);
  });

  test('a webhooks:read token lists endpoints but cannot add one; a users:write token cannot read them', async () => {
    const reader = await automationApp(gh, ['gatehouse:webhooks:read'], 'hook-reader');
    expect((await api('GET', '/webhooks', { token: reader.token })).status).toBe(200);
    const refused = await api('POST', '/webhooks', { token: reader.token, body: { url: receiver.url, events: ['user.created'] } });
    expect(refused.status).toBe(403);
    const other = await automationApp(gh, ['gatehouse:users:write'], 'hr-sync');
    expect((await api('GET', '/webhooks', { token: other.token })).status).toBe(403);
  });
});
