/**
 * Two Gatehouse processes on one PostgreSQL database deliver webhooks
 * (issue 21): both run the delivery worker, both claim from the one outbox,
 * and every event reaches the endpoint exactly once — events recorded by
 * either process over HTTP, and by a third that does not deliver (the CLI).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { freshDatabase } from '../helpers/postgres.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const secretKey = randomBytes(32).toString('base64');
let database: { url: string; drop(): Promise<void> };
let dataDir: string;
let ctx: Context;
let a: GatehouseProcess;
let b: GatehouseProcess;
let receiver: WebhookReceiver;

beforeAll(async () => {
  database = await freshDatabase(inject('postgresUrl'));
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-webhook-multi-'));
  ctx = await createContext(loadConfig({ dataDir, databaseUrl: database.url, secretKey, webhookAllowPrivate: true, logLevel: 'silent' }, {}));
  receiver = await startWebhookReceiver();
  // A little slow to answer, so the two workers' rounds overlap.
  receiver.respond = () => 204;
  receiver.secret = (await ctx.webhooks.create({ url: receiver.url, events: ['sign_in.failed', 'key.rotated'] }, { actor: { type: 'operator' }, ip: null })).secret;
  const env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_SECRET_KEY: secretKey, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: 'true' };
  [a, b] = await Promise.all([spawnGatehouse(env), spawnGatehouse(env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await receiver?.close();
  await ctx?.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function failSignIn(p: GatehouseProcess, login: string): Promise<void> {
  const visitor = new HttpUser({ url: p.url } as TestGatehouse, login, 'wrong password');
  const form = hiddenFields(await (await visitor.get('/login')).text());
  const res = await visitor.post('/login', { ...form, login, password: 'wrong password' });
  expect([401, 429]).toContain(res.status);
}

describe('webhooks with two processes on one PostgreSQL database', () => {
  test('each event is delivered exactly once, whichever process recorded it', async () => {
    const N = 20;
    // Sign-in failures on both processes at once, and events recorded where nothing delivers.
    await Promise.all([
      ...Array.from({ length: N }, (_, i) => failSignIn(i % 2 === 0 ? a : b, `nobody-${i}`)),
      ...Array.from({ length: N }, (_, i) => ctx.audit.record({ action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: [`k${i}`] } })),
    ]);
    const events = await ctx.storage.webhooks.listWebhookEvents({ limit: 1000 });
    expect(events).toHaveLength(2 * N);
    await receiver.waitFor((r) => new Set(r.map((x) => x.id)).size === 2 * N, 30_000);
    // Let any duplicate arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const ids = receiver.received.map((r) => r.id);
    expect(ids.length).toBe(2 * N);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
    expect(receiver.received.every((r) => r.verified !== null)).toBe(true);
    const deliveries = await ctx.storage.webhooks.listWebhookDeliveries({ limit: 1000 });
    expect(deliveries.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
  });
});
