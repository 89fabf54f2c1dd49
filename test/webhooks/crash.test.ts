/**
 * Webhooks survive kill -9 (issue 21): Gatehouse runs as its own process
 * (`node dist/main.js`) on SQLite; a change is made over HTTP, the process is
 * killed with SIGKILL before the event reached its endpoint, and restarted on
 * the same data directory. The event, written in the same commit as the
 * change's audit entry, is delivered once; an attempt cut short by the kill
 * is made again with the same `webhook-id` once its claim's lease ends.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { freePort } from '../helpers/postgres.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const PASSWORD = 'correct horse battery';
const OPERATOR = { actor: { type: 'operator' } as const, ip: null };
let dataDir: string;
let env: Record<string, string>;
let running: GatehouseProcess | null = null;
let receiver: WebhookReceiver | null = null;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-webhook-crash-'));
  env = { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SECRET_KEY: randomBytes(32).toString('base64'), GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: 'true', GATEHOUSE_WEBHOOK_TIMEOUT: '1' };
});
afterEach(async () => {
  await running?.stop();
  await receiver?.close();
  running = null;
  receiver = null;
  rmSync(dataDir, { recursive: true, force: true });
});

/** Registers an endpoint as the CLI does, in this process, on the same data directory. */
async function register(url: string): Promise<string> {
  const ctx = await createContext(loadConfig({ dataDir, secretKey: env.GATEHOUSE_SECRET_KEY, webhookAllowPrivate: true, logLevel: 'silent' }, {}));
  try {
    return (await ctx.webhooks.create({ url, events: ['user.created'] }, OPERATOR)).secret;
  } finally {
    await ctx.close();
  }
}

/** What the database holds once the server is gone: the events and deliveries of `user.created`. */
async function stored() {
  const ctx = await createContext(loadConfig({ dataDir, secretKey: env.GATEHOUSE_SECRET_KEY, logLevel: 'silent' }, {}));
  try {
    return { events: await ctx.storage.webhooks.listWebhookEvents({ type: 'user.created' }), deliveries: await ctx.storage.webhooks.listWebhookDeliveries({}) };
  } finally {
    await ctx.close();
  }
}

async function signUp(server: GatehouseProcess, login: string): Promise<void> {
  const visitor = new HttpUser({ url: server.url } as TestGatehouse, login, PASSWORD);
  const form = hiddenFields(await (await visitor.get('/signup')).text());
  expect((await visitor.post('/signup', { ...form, login, password: PASSWORD })).status).toBe(303);
}

function kill9(server: GatehouseProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.kill('SIGKILL');
  return exited;
}

describe('kill -9 between a change and the delivery of its event', () => {
  test('the event of a change whose response arrived is delivered once after a restart', async () => {
    // The endpoint's receiver is not up yet: nothing can be delivered before the kill.
    const port = await freePort();
    running = await spawnGatehouse(env, { operator: true });
    // Registered after the operator was made (`gatehouse user create` is a user.created too), as the CLI would, beside the running server.
    const secret = await register(`http://127.0.0.1:${port}/hooks`);
    await signUp(running, 'survivor');
    await kill9(running);
    running = null;

    receiver = await startWebhookReceiver('127.0.0.1', port);
    receiver.secret = secret;
    running = await spawnGatehouse(env);
    const [got] = await receiver.waitFor((r) => r.length >= 1, 40_000);
    expect(got!.verified).toMatchObject({ type: 'user.created', data: { user: { login: 'survivor' } } });
    // Nothing more comes: once is once.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(receiver.received).toHaveLength(1);
    await running.stop();
    running = null;
    const { events, deliveries } = await stored();
    const survivor = events.filter((e) => e.body.includes('"login":"survivor"'));
    expect(survivor).toHaveLength(1);
    expect(survivor[0]!.id).toBe(got!.id);
    expect(deliveries).toMatchObject([{ eventId: got!.id, status: 'delivered', responseStatus: 204 }]);
  });

  test('an attempt cut short by kill -9 is made again with the same webhook-id once the lease ends, and acknowledged once', async () => {
    receiver = await startWebhookReceiver();
    // The first request is held unanswered: the process dies in the middle of the attempt.
    let first = true;
    receiver.respond = () => (first ? ((first = false), 'hold') : 204);
    running = await spawnGatehouse(env, { operator: true });
    receiver.secret = await register(receiver.url);
    await signUp(running, 'interrupted');
    await receiver.waitFor((r) => r.length === 1);
    await kill9(running);
    running = await spawnGatehouse(env);
    const got = await receiver.waitFor((r) => r.length === 2, 40_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(receiver.received).toHaveLength(2);
    expect(got.map((r) => r.answered)).toEqual(['held', 204]);
    expect(got[1]!.id).toBe(got[0]!.id);
    expect(got.every((r) => r.verified?.type === 'user.created' && r.verified.data.user.login === 'interrupted')).toBe(true);
    await running.stop();
    running = null;
    const { events, deliveries } = await stored();
    expect(events.filter((e) => e.body.includes('"login":"interrupted"'))).toHaveLength(1);
    expect(deliveries).toMatchObject([{ eventId: got[0]!.id, status: 'delivered', attempts: 2 }]);
  });
});
