/**
 * A change and its event exist together or not at all (issue 21): the
 * database is made to fail the moment a webhook event is written — a real
 * fault of the engine, from a trigger, as a crash or a full disk would be —
 * and every operator door of the management API is used. Each must leave
 * nothing behind: not the change, not its audit entry. Before units of work
 * the change was committed first, and survived without its event. Once the
 * fault is gone, the same door works and its event is stored. On both engines.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { UserId } from '../../src/types.js';
import { withEventFault } from '../helpers/faults.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { automationApp } from './support.js';

let gh: TestGatehouse;
let ops: { token: string };

async function call(method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${gh.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ops.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

/** The audit entries of `action` about a user or an app, leaving out the API's own request log. */
async function entries(action: string, about: { userId?: UserId; clientId?: string } = {}): Promise<number> {
  const all = await gh.ctx.storage.listAudit({ action, ...(about.userId ? { userId: about.userId } : {}), ...(about.clientId ? { clientId: about.clientId as never } : {}) });
  return all.length;
}

/** The ids of every stored event. */
const events = async () => (await gh.ctx.storage.webhooks.listWebhookEvents({ limit: 10_000 })).map((e) => e.id).sort();

beforeAll(async () => {
  gh = await startGatehouse({ config: { webhookAllowPrivate: true } });
  ops = await automationApp(gh, ['gatehouse:admin']);
  // An endpoint for every event: each change the API makes causes at least one.
  await gh.ctx.webhooks.create({ url: 'http://127.0.0.1:9/hooks', events: [
    'user.created', 'user.updated', 'user.blocked', 'user.deleted', 'app.created', 'app.updated', 'app.deleted', 'consent.revoked', 'token.revoked', 'key.rotated',
  ] }, { actor: { type: 'operator' }, ip: null });
});
afterAll(async () => {
  await gh?.close();
});

describe('a change whose event cannot be written does not happen (issue 21)', () => {
  test('users: created, changed, blocked, signed out, given a password, erased — none of it when the event fails', async () => {
    const user = await gh.createUser();
    const app = await gh.createApp();
    const issued = await gh.ctx.tokens.issue({ app: app.app, userId: user.id, scopes: ['login:info'], withRefresh: true });
    await gh.ctx.storage.saveConsent({ userId: user.id, clientId: app.app.clientId, scopes: ['login:info'], createdAt: Date.now(), updatedAt: Date.now() });
    const tokenWorks = async () => (await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${issued.access_token}` } })).status === 200;
    const before = (await gh.ctx.storage.findUserById(user.id))!;
    const eventsBefore = await events();
    await withEventFault(gh, async () => {
      expect(await call('POST', '/users', { login: 'never-made', password: 'correct horse battery' })).toBe(500);
      expect(await gh.ctx.storage.findUserByLogin('never-made')).toBeNull();
      expect(await call('POST', `/users/${user.id}/block`)).toBe(500);
      expect(await call('PATCH', `/users/${user.id}`, { is_developer: true, blocked: true })).toBe(500);
      expect(await call('POST', `/users/${user.id}/revoke-all`)).toBe(500);
      expect(await call('POST', `/users/${user.id}/reset-password`)).toBe(500);
      expect(await call('DELETE', `/users/${user.id}/consents/${app.app.clientId}`)).toBe(500);
      expect(await call('DELETE', `/users/${user.id}`)).toBe(500);
    });

    expect(await gh.ctx.storage.findUserById(user.id)).toEqual(before);
    expect(await gh.ctx.users.authenticate(user.login, user.password)).not.toBeNull();
    expect(await gh.ctx.storage.findConsent(user.id, app.app.clientId)).not.toBeNull();
    expect(await tokenWorks()).toBe(true);
    for (const action of ['user_created', 'user_blocked', 'user_updated', 'password_changed', 'token_revoked', 'user_deleted']) {
      expect(await entries(action, { userId: user.id }), action).toBe(0);
    }
    expect(await events()).toEqual(eventsBefore);

    // The fault gone, the same door works, and its event is there.
    expect(await call('POST', `/users/${user.id}/block`)).toBe(200);
    expect((await gh.ctx.storage.findUserById(user.id))!.status).toBe('blocked');
    expect(await tokenWorks()).toBe(false);
    expect((await gh.ctx.storage.webhooks.listWebhookEvents({ type: 'user.blocked' })).length).toBe(1);
  });

  test('apps and keys: registered, changed, given a new secret, blocked, deleted, keys rotated — none of it when the event fails', async () => {
    const { app, clientSecret } = await gh.createApp({ platforms: ['web'] });
    const appBefore = await gh.ctx.storage.findApp(app.clientId);
    const keysBefore = await gh.ctx.storage.listSigningKeys();
    const eventsBefore = await events();
    await withEventFault(gh, async () => {
      expect(await call('POST', '/apps', { name: 'Never registered', redirect_uris: ['https://never.example/cb'], scopes: ['login:info'] })).toBe(500);
      expect((await gh.ctx.storage.listApps({ limit: 1000 })).some((a) => a.name === 'Never registered')).toBe(false);
      expect(await call('PATCH', `/apps/${app.clientId}`, { name: 'Renamed' })).toBe(500);
      expect(await call('POST', `/apps/${app.clientId}/rotate-secret`)).toBe(500);
      expect(await call('POST', `/apps/${app.clientId}/block`)).toBe(500);
      expect(await call('DELETE', `/apps/${app.clientId}`)).toBe(500);
      expect(await call('POST', '/keys/rotate')).toBe(500);
    });

    expect(await gh.ctx.storage.findApp(app.clientId)).toEqual(appBefore);
    // The old secret still works: the rotation did not happen.
    const grant = await fetch(`${gh.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${app.clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(grant.status).toBe(200);
    expect(await gh.ctx.storage.listSigningKeys()).toEqual(keysBefore);
    for (const action of ['app_created', 'app_updated', 'app_secret_rotated', 'app_blocked', 'app_deleted']) {
      expect(await entries(action, { clientId: app.clientId }), action).toBe(0);
    }
    expect(await entries('keys_rotated')).toBe(0);
    expect(await events()).toEqual(eventsBefore);

    expect(await call('POST', '/keys/rotate')).toBe(200);
    expect((await gh.ctx.storage.webhooks.listWebhookEvents({ type: 'key.rotated' })).length).toBe(1);
  });
});
