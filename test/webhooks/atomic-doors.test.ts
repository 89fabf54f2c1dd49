/**
 * A change made through a page and its webhook event are one transaction
 * (units of work, src/storage/sql/units.ts): with a real database fault
 * injected where the events are written (a trigger that refuses every insert
 * into `webhook_events`), sign-up, sign-in, consent, a profile saved, a
 * password change and taking an app's access away on /account leave nothing
 * behind: no account, no session, no consent, the profile as it was, the old
 * password, the live token, no mail queued, and no audit entry. With the
 * fault gone, the same door works and its event is stored. On SQLite and on
 * PostgreSQL (vitest.config.ts), each with its own trigger.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EVENT_TYPES } from '../../src/webhooks/events.js';
import type { ClientId, UserId } from '../../src/types.js';
import { withEventFault } from '../helpers/faults.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const OPERATOR = { actor: { type: 'operator' } as const, ip: null };
const PASSWORD = 'correct horse battery';
const REDIRECT = 'http://127.0.0.1:9999/callback';

describe(`a door's change and its webhook event commit together (${testEngine()})`, () => {
  let gh: TestGatehouse;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    gh = await startGatehouse({ config: { webhookAllowPrivate: true } });
    receiver = await startWebhookReceiver();
    // Subscribed to everything: every door below causes an event, so every one writes to webhook_events.
    await gh.ctx.webhooks.create({ url: receiver.url, events: [...EVENT_TYPES] }, OPERATOR);
  });
  afterAll(async () => {
    await receiver?.close();
    await gh?.close();
  });

  /** Runs `fn` while every insert into webhook_events fails in the database itself. */
  const withFault = <T>(fn: () => Promise<T>) => withEventFault(gh, fn);

  /** Entries of `action` about `userId`, successful ones only. */
  const entries = async (userId: UserId, action: string) =>
    (await gh.ctx.storage.listAudit({ userId, action })).filter((e) => e.outcome === 'ok');

  /** Stored events of `type` whose data names `userId` (the user, or the user the event is about). */
  const events = async (type: string, userId: UserId) =>
    (await gh.ctx.storage.webhooks.listWebhookEvents({ type })).filter((e) => e.body.includes(userId));

  test('the fault is real: an entry with events cannot be written while it is there', async () => {
    const user = await gh.createUser();
    await withFault(async () => {
      await expect(gh.ctx.storage.atomically(() => gh.ctx.audit.record({ action: 'user_updated', actor: { type: 'user', id: user.id }, details: { fields: 'profile' } })))
        .rejects.toThrow(/injected/);
    });
    expect(await entries(user.id, 'user_updated')).toHaveLength(0);
  });

  test('sign-up: no account and no entry without its user.created event', async () => {
    const visitor = new HttpUser(gh, 'atomic-signup', PASSWORD);
    const form = hiddenFields(await (await visitor.get('/signup')).text());
    const submit = () => visitor.post('/signup', { ...form, login: 'atomic-signup', password: PASSWORD, email: 'atomic-signup@example.org' });
    await withFault(async () => {
      expect((await submit()).status).toBe(500);
    });
    expect(await gh.ctx.storage.findUserByLogin('atomic-signup')).toBeNull();
    expect((await gh.ctx.storage.listAudit({ action: 'sign_up' })).filter((e) => e.outcome === 'ok')).toHaveLength(0);
    // Nor was the confirmation mail of the address queued for an account that does not exist.
    expect((await gh.ctx.storage.mail.listMails()).filter((m) => m.to === 'atomic-signup@example.org')).toHaveLength(0);

    expect((await submit()).status).toBe(303);
    const user = (await gh.ctx.storage.findUserByLogin('atomic-signup'))!;
    expect(user).not.toBeNull();
    expect(await entries(user.id, 'sign_up')).toHaveLength(1);
    expect(await events('user.created', user.id)).toHaveLength(1);
    expect((await gh.ctx.storage.mail.listMails()).filter((m) => m.to === 'atomic-signup@example.org')).toHaveLength(1);
  });

  test('sign-in: no session and no entry without its user.signed_in event', async () => {
    const user = await gh.createUser();
    const person = new HttpUser(gh, user.login, PASSWORD);
    await withFault(async () => {
      await expect(person.signIn()).rejects.toThrow(/status 500/);
    });
    expect(await gh.ctx.storage.listSessionsOfUser(user.id, gh.ctx.clock())).toHaveLength(0);
    expect((await person.get('/account')).status).toBe(302);
    expect(await entries(user.id, 'sign_in')).toHaveLength(0);

    await person.signIn();
    expect(await gh.ctx.storage.listSessionsOfUser(user.id, gh.ctx.clock())).toHaveLength(1);
    expect((await person.get('/account')).status).toBe(200);
    expect(await entries(user.id, 'sign_in')).toHaveLength(1);
    expect(await events('user.signed_in', user.id)).toHaveLength(1);
  });

  test('consent: no consent and no entry without its consent.granted event', async () => {
    const user = await gh.createUser();
    const { clientId } = await gh.createApp();
    const person = new HttpUser(gh, user.login, PASSWORD);
    await person.signIn();
    const pkce = pkcePair();
    const authorize = `/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce.challenge, code_challenge_method: 'S256' })}`;
    const page = await (await person.get(authorize)).text();
    expect(page).toContain('name="decision"');
    const allow = () => person.post('/authorize', { ...hiddenFields(page), decision: 'allow' });
    await withFault(async () => {
      expect((await allow()).status).toBe(500);
    });
    expect(await gh.ctx.storage.findConsent(user.id, clientId as ClientId)).toBeNull();
    expect(await entries(user.id, 'consent')).toHaveLength(0);
    // The consent page is still what /authorize shows: nothing was granted.
    expect((await person.get(authorize)).status).toBe(200);

    const res = await allow();
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    expect(await gh.ctx.storage.findConsent(user.id, clientId as ClientId)).not.toBeNull();
    expect(await entries(user.id, 'consent')).toHaveLength(1);
    expect(await events('consent.granted', user.id)).toHaveLength(1);
  });

  test('a password change on /account: the old password stays, with no entry, without its user.updated event', async () => {
    const user = await gh.createUser();
    const person = new HttpUser(gh, user.login, PASSWORD);
    await person.signIn();
    const other = new HttpUser(gh, user.login, PASSWORD);
    await other.signIn();
    const csrf = hiddenFields(await (await person.get('/account')).text()).csrf!;
    const change = () => person.post('/account/password', { csrf, current_password: PASSWORD, new_password: 'a brand new passphrase' });
    await withFault(async () => {
      expect((await change()).status).toBe(500);
    });
    expect(await gh.ctx.users.authenticate(user.login, PASSWORD)).not.toBeNull();
    expect(await gh.ctx.users.authenticate(user.login, 'a brand new passphrase')).toBeNull();
    // Nor did the other session end: a password change signs out everywhere else, and that too rolled back.
    expect((await other.get('/account')).status).toBe(200);
    expect(await entries(user.id, 'password_changed')).toHaveLength(0);

    expect((await change()).status).toBe(303);
    expect(await gh.ctx.users.authenticate(user.login, 'a brand new passphrase')).not.toBeNull();
    expect((await other.get('/account')).status).toBe(302);
    expect(await entries(user.id, 'password_changed')).toHaveLength(1);
    expect(await events('user.updated', user.id)).toHaveLength(1);
  });

  test('a profile saved on /account: no change, no entry and no confirmation mail without its user.updated event', async () => {
    const user = await gh.createUser();
    const person = new HttpUser(gh, user.login, PASSWORD);
    await person.signIn();
    const csrf = hiddenFields(await (await person.get('/account')).text()).csrf!;
    const save = () => person.post('/account/profile', {
      csrf, first_name: 'Renamed', last_name: '', display_name: '', emails: 'renamed@example.org', default_email: 'renamed@example.org', birthday: '', sex: '', phone: '',
    });
    await withFault(async () => {
      expect((await save()).status).toBe(500);
    });
    const unchanged = (await gh.ctx.storage.findUserById(user.id))!;
    expect(unchanged.firstName).toBeNull();
    expect(unchanged.emails).toEqual([]);
    expect(await entries(user.id, 'user_updated')).toHaveLength(0);
    expect(await gh.ctx.storage.mail.listMails({ userId: user.id })).toHaveLength(0);

    expect((await save()).status).toBe(303);
    expect((await gh.ctx.storage.findUserById(user.id))!.firstName).toBe('Renamed');
    expect(await entries(user.id, 'user_updated')).toHaveLength(1);
    expect(await events('user.updated', user.id)).toHaveLength(1);
    expect((await gh.ctx.storage.mail.listMails({ userId: user.id })).map((m) => m.to)).toEqual(['renamed@example.org']);
  });

  test('revoking an app\'s access on /account: the token and consent stay, with no entry, without their events', async () => {
    const user = await gh.createUser();
    const { clientId, clientSecret } = await gh.createApp();
    const person = new HttpUser(gh, user.login, PASSWORD);
    const pkce = pkcePair();
    const code = await person.code({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const tokenRes = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT }, { authorization: basicAuth(clientId, clientSecret!) });
    expect(tokenRes.status).toBe(200);
    const { access_token: accessToken } = (await tokenRes.json()) as { access_token: string };
    const info = () => fetch(`${gh.url}/info`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect((await info()).status).toBe(200);

    const csrf = hiddenFields(await (await person.get('/account')).text()).csrf!;
    const revoke = () => person.post('/account/apps/revoke', { csrf, confirmed: 'yes', client_id: clientId });
    await withFault(async () => {
      expect((await revoke()).status).toBe(500);
    });
    expect((await info()).status).toBe(200);
    expect(await gh.ctx.storage.findConsent(user.id, clientId as ClientId)).not.toBeNull();
    expect(await entries(user.id, 'token_revoked')).toHaveLength(0);

    expect((await revoke()).status).toBe(303);
    expect((await info()).status).toBe(401);
    expect(await gh.ctx.storage.findConsent(user.id, clientId as ClientId)).toBeNull();
    expect(await entries(user.id, 'token_revoked')).toHaveLength(1);
    expect(await events('consent.revoked', user.id)).toHaveLength(1);
    expect(await events('token.revoked', user.id)).toHaveLength(1);
  });
});
