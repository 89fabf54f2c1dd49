/**
 * A password sign-in's `user.signed_in` event names the account from the
 * user the sign-in just authenticated (`AuditEvent.subject`): the unit that
 * writes the session, the entry and the event reads no account again, and
 * the event says the same as before.
 */
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const PASSWORD = 'correct horse battery';
let gh: TestGatehouse;
let receiver: WebhookReceiver;

beforeAll(async () => {
  gh = await startGatehouse({ config: { webhookAllowPrivate: true } });
  receiver = await startWebhookReceiver();
  await gh.ctx.webhooks.create({ url: receiver.url, events: ['user.signed_in'] }, { actor: { type: 'operator' }, ip: null });
});
afterAll(async () => {
  await receiver?.close();
  await gh?.close();
});

test('a password sign-in names its user in user.signed_in without reading the account again', async () => {
  const user = await gh.createUser();
  const reads = vi.spyOn(gh.ctx.storage, 'findUserById');
  try {
    await new HttpUser(gh, user.login, PASSWORD).signIn();
    expect(reads.mock.calls.filter(([id]) => id === user.id)).toEqual([]);
  } finally {
    reads.mockRestore();
  }
  const [event] = (await gh.ctx.storage.webhooks.listWebhookEvents({ type: 'user.signed_in' })).filter((e) => e.body.includes(user.id));
  expect(JSON.parse(event!.body)).toMatchObject({ type: 'user.signed_in', data: { user: { id: user.id, login: user.login }, method: 'password' } });
});
