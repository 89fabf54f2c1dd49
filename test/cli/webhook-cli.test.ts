/**
 * `gatehouse webhook add|list|update|deliveries|redeliver|remove`, run as the
 * operator runs them (the built CLI), beside a delivery worker on the same
 * database: the secret printed once by `add` verifies what the endpoint gets,
 * the delivery log shows each attempt, a delivery sent again by hand arrives
 * again, and bad input is refused in one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { gatehouseCli, type Run } from './support.js';

const SLOW = { timeout: 240_000 };
let dataDir: string;
let ctx: Context;
let stop: () => void;
let receiver: WebhookReceiver;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-webhook-cli-'));
  // The server's side: its database, and its delivery worker.
  ctx = await createContext(loadConfig({ dataDir, webhookAllowPrivate: true, logLevel: 'silent' }, {}));
  stop = ctx.webhookDelivery.start(100);
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  stop?.();
  await receiver?.close();
  await ctx?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}) => gatehouseCli({ GATEHOUSE_DATA_DIR: dataDir, ...env }, args);

function oneLineError(result: Run, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^gatehouse: /)]);
  expect(result.stderr).toMatch(message);
}

test('webhook add prints the secret once; list, deliveries, redeliver and remove work on what the server sends', SLOW, async () => {
  const added = await run(['webhook', 'add', '--url', receiver.url, '--event', 'key.rotated', '--event', 'user.created,user.deleted', '--description', 'ops', '--json'], { GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: 'true' });
  expect(added.stderr).toBe('');
  const endpoint = JSON.parse(added.stdout) as { id: string; secret: string; events: string[]; enabled: boolean; url: string };
  expect(endpoint).toMatchObject({ url: receiver.url, events: ['user.created', 'user.deleted', 'key.rotated'], enabled: true, description: 'ops' });
  expect(endpoint.secret).toMatch(/^whsec_/);
  receiver.secret = endpoint.secret;

  const listed = await run(['webhook', 'list']);
  expect(listed.stdout).toContain(`${endpoint.id}  ${receiver.url}  [user.created, user.deleted, key.rotated]  enabled  (ops)`);
  expect(listed.stdout + (await run(['webhook', 'list', '--json'])).stdout).not.toContain(endpoint.secret);

  // `gatehouse keys rotate` records key.rotated; the server's worker delivers it.
  expect((await run(['keys', 'rotate'])).code).toBe(0);
  await receiver.waitFor((r) => r.length === 1);
  expect(receiver.received[0]!.verified?.type).toBe('key.rotated');
  await ctx.webhookDelivery.idle();

  const log = await run(['webhook', 'deliveries', endpoint.id, '--json']);
  const [d] = JSON.parse(log.stdout) as { id: string; status: string; attempts: number; response_status: number; type: string }[];
  expect(d).toMatchObject({ type: 'key.rotated', status: 'delivered', attempts: 1, response_status: 204 });
  expect((await run(['webhook', 'deliveries', endpoint.id])).stdout).toMatch(new RegExp(`^${d!.id}  key\\.rotated  delivered  attempts 1  response 204`));

  const again = await run(['webhook', 'redeliver', d!.id]);
  expect(again.stdout).toContain('is pending again');
  await receiver.waitFor((r) => r.length === 2);
  expect(receiver.received[1]!.id).toBe(receiver.received[0]!.id);

  const disabled = await run(['webhook', 'update', endpoint.id, '--disable', '--json']);
  expect(JSON.parse(disabled.stdout)).toMatchObject({ enabled: false, disabled_reason: 'disabled by an operator' });
  expect((await run(['webhook', 'update', endpoint.id, '--enable', '--event', 'user.created'])).stdout).toContain('[user.created]  enabled');

  expect((await run(['webhook', 'remove', endpoint.id])).stdout).toBe(`removed ${endpoint.id}\n`);
  expect((await run(['webhook', 'list'])).stdout).toBe('no webhook endpoints\n');
  const actions = (await ctx.audit.list({ limit: 50 })).map((e) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['webhook_added', 'webhook_redelivered', 'webhook_updated', 'webhook_removed']));
});

test('webhook commands refuse bad input in one line', SLOW, async () => {
  oneLineError(await run(['webhook', 'add', '--url', 'http://127.0.0.1:9/x', '--event', 'key.rotated']), /private address.*GATEHOUSE_WEBHOOK_ALLOW_PRIVATE/);
  oneLineError(await run(['webhook', 'add', '--url', 'https://hooks.example/x', '--event', 'user.exploded']), /unknown event "user\.exploded"/);
  oneLineError(await run(['webhook', 'add', '--url', 'ftp://hooks.example/x', '--event', 'key.rotated']), /http:\/\/ or https:\/\//);
  oneLineError(await run(['webhook', 'remove', 'ep_nothing']), /no webhook endpoint ep_nothing/);
  oneLineError(await run(['webhook', 'redeliver', 'msg_x_ep_y']), /no webhook delivery/);
  oneLineError(await run(['webhook', 'deliveries', 'ep_nothing']), /no webhook endpoint/);
});
