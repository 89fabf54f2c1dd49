/**
 * Webhooks (issue 21) end to end: a real Gatehouse, changes made through its
 * real doors (pages over HTTP, the services the CLI calls), and a real HTTP
 * receiver verifying every delivery with the `standardwebhooks` package.
 * Time is the test clock: retries and the day-long schedule pass without
 * waiting.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-log.js';
import { rotateSigningKeys } from '../../src/oidc/keys.js';
import { isPrivateAddress } from '../../src/webhooks/address-guard.js';
import { MAX_ATTEMPTS, RETRY_AFTER_MS } from '../../src/webhooks/delivery.js';
import { EVENT_TYPES } from '../../src/webhooks/events.js';
import { InputError } from '../../src/errors.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';
import { linkIn } from '../helpers/smtp.js';
import { startWebhookReceiver, type Received, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const OPERATOR = { actor: { type: 'operator' } as const, ip: null };
/** An audit entry that causes events, written as a door writes it: in a unit of work (here with no change beside it). */
const announce = (gh: TestGatehouse, event: AuditEvent) => gh.ctx.storage.atomically(() => gh.ctx.audit.record(event));
const PASSWORD = 'correct horse battery';

describe('webhooks (issue 21)', () => {
  const clock = testClock();
  let gh: TestGatehouse;
  let receiver: WebhookReceiver;
  let stop: () => void;

  beforeAll(async () => {
    gh = await startGatehouse({ clock, config: { webhookAllowPrivate: true, webhookTimeoutSeconds: 2 } });
    receiver = await startWebhookReceiver();
    stop = gh.ctx.webhookDelivery.start(50);
  });
  afterAll(async () => {
    stop();
    await receiver?.close();
    await gh?.close();
  });

  const ofType = (type: string) => (r: Received[]) => r.filter((x) => x.verified?.type === type);

  test('every event type is delivered once, signed per Standard Webhooks, with its data and no secret', async () => {
    const { endpoint, secret } = await gh.ctx.webhooks.create({ url: receiver.url, events: [...EVENT_TYPES], description: 'all of them' }, OPERATOR);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(JSON.stringify(await gh.ctx.webhooks.list())).not.toContain(secret);
    receiver.secret = secret;
    const secrets: string[] = [secret, PASSWORD];

    // user.created: someone signs up on /signup.
    const signup = new HttpUser(gh, 'hooked', PASSWORD);
    const form = hiddenFields(await (await signup.get('/signup')).text());
    expect((await signup.post('/signup', { ...form, login: 'hooked', password: PASSWORD, email: 'hooked@example.org', first_name: 'Hook' })).status).toBe(303);
    const hooked = (await gh.ctx.storage.findUserByLogin('hooked'))!;

    // user.blocked, then user.updated (unblocked, made a developer), by an operator on /admin (a block ends the user's sessions: before they sign in).
    await gh.ctx.users.create({ login: 'hook-operator', password: PASSWORD, isAdmin: true });
    const operator = new HttpUser(gh, 'hook-operator', PASSWORD);
    await operator.signIn();
    const adminCsrf = hiddenFields(await (await operator.get('/admin')).text()).csrf!;
    for (const action of ['block', 'unblock', 'make_developer']) {
      expect((await operator.post(`/admin/users/${hooked.id}/${action}`, { csrf: adminCsrf, confirmed: 'yes' })).status).toBe(303);
    }

    // user.signed_in and sign_in.failed on /login.
    const person = new HttpUser(gh, 'hooked', PASSWORD);
    await person.signIn();
    const wrong = new HttpUser(gh, 'hooked', 'not the password');
    const login = hiddenFields(await (await wrong.get('/login')).text());
    expect((await wrong.post('/login', { ...login, login: 'hooked', password: 'not the password' })).status).toBe(401);

    // app.created as the developer console and the CLI record it; app.updated by rotating the secret on /console.
    const created = await gh.ctx.storage.atomically(async () => {
      const made = await gh.ctx.apps.create({ name: 'Hooked app', redirectUris: ['http://127.0.0.1:9999/callback'], scopes: ['login:info'], ownerId: hooked.id });
      await gh.ctx.audit.record({ action: 'app_created', actor: { type: 'user', id: hooked.id }, clientId: made.app.clientId, details: { name: 'Hooked app' } });
      return made;
    });
    secrets.push(created.clientSecret!);
    const consoleCsrf = hiddenFields(await (await person.get(`/console/apps/${created.app.clientId}`)).text()).csrf!;
    expect((await person.post(`/console/apps/${created.app.clientId}/secret`, { csrf: consoleCsrf, confirmed: 'yes' })).status).toBe(303);
    const rotated = (await gh.ctx.storage.findApp(created.app.clientId))!;
    secrets.push(gh.ctx.secrets.open(rotated.secretSealed!));

    // consent.granted on the consent page, then a token, revoked by the app (token.revoked).
    const pkce = pkcePair();
    const code = await person.code({ response_type: 'code', client_id: created.app.clientId, redirect_uri: 'http://127.0.0.1:9999/callback', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const tokenRes = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: 'http://127.0.0.1:9999/callback' }, { authorization: basicAuth(created.app.clientId, secrets.at(-1)!) });
    expect(tokenRes.status).toBe(200);
    const tokens = (await tokenRes.json()) as { access_token: string; refresh_token: string };
    secrets.push(tokens.access_token, tokens.refresh_token, code);
    expect((await postForm(`${gh.url}/revoke`, { token: tokens.access_token }, { authorization: basicAuth(created.app.clientId, secrets.at(-4)!) })).status).toBe(200);

    // consent.revoked (and token.revoked) when the user takes the app's access away on /account.
    const accountCsrf = hiddenFields(await (await person.get('/account')).text()).csrf!;
    expect((await person.post('/account/apps/revoke', { csrf: accountCsrf, confirmed: 'yes', client_id: created.app.clientId })).status).toBe(303);

    // key.rotated as `gatehouse keys rotate` records it.
    const keys = await rotateSigningKeys(gh.ctx.storage, gh.ctx.secrets, gh.ctx.clock, (made) => gh.ctx.audit.record({ action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: made.map((k) => k.kid) } }));

    // app.deleted and user.deleted: the owner deletes the app on /console, then the account on /account.
    const deleteCsrf = hiddenFields(await (await person.get(`/console/apps/${created.app.clientId}`)).text()).csrf!;
    expect((await person.post(`/console/apps/${created.app.clientId}/delete`, { csrf: deleteCsrf, confirmed: 'yes' })).status).toBe(303);
    const deleteForm = hiddenFields(await (await person.get('/account')).text());
    expect((await person.post('/account/delete', { csrf: deleteForm.csrf!, understood: 'yes', current_password: PASSWORD })).status).toBe(303);

    const expected = EVENT_TYPES.filter((t) => t !== 'user.updated' && t !== 'token.revoked');
    const all = await receiver.waitFor((r) => expected.every((t) => ofType(t)(r).length > 0) && ofType('user.updated')(r).length >= 2 && ofType('token.revoked')(r).length >= 2);
    await gh.ctx.webhookDelivery.idle();

    // Every request verified with the endpoint's secret, each event once (no id twice).
    expect(all.every((r) => r.verified !== null)).toBe(true);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    const one = (type: string) => ofType(type)(all)[0]!.verified!;
    expect(one('user.created')).toMatchObject({ type: 'user.created', data: { user: { id: hooked.id, login: 'hooked', default_email: 'hooked@example.org', first_name: 'Hook' }, actor: { type: 'user', id: hooked.id } } });
    expect(new Date(one('user.created').timestamp).toISOString()).toBe(one('user.created').timestamp);
    expect(ofType('user.signed_in')(all).map((r) => r.verified!).find((v) => v.data.user.login === 'hooked')).toMatchObject({ data: { user: { id: hooked.id, login: 'hooked' }, method: 'password', ip: '127.0.0.1' } });
    expect(one('sign_in.failed')).toMatchObject({ data: { user: { id: hooked.id, login: 'hooked' }, method: 'password', reason: 'bad_credentials' } });
    expect(one('user.blocked')).toMatchObject({ data: { user: { id: hooked.id, status: 'blocked' }, changes: { blocked: true } } });
    expect(ofType('user.updated')(all).map((r) => r.verified!.data.changes)).toEqual(expect.arrayContaining([expect.objectContaining({ blocked: false }), expect.objectContaining({ isDeveloper: true })]));
    expect(one('app.created')).toMatchObject({ data: { app: { client_id: created.app.clientId, name: 'Hooked app', confidential: true } } });
    expect(one('app.updated')).toMatchObject({ data: { app: { client_id: created.app.clientId } } });
    expect(one('consent.granted')).toMatchObject({ data: { user: { id: hooked.id }, app: { client_id: created.app.clientId }, scopes: ['login:info'] } });
    expect(one('consent.revoked')).toEqual(expect.objectContaining({ data: { user: { id: hooked.id }, app: { client_id: created.app.clientId } } }));
    expect(ofType('token.revoked')(all).map((r) => r.verified!.data.actor.type).sort()).toEqual(['app', 'user']);
    expect(one('key.rotated')).toMatchObject({ data: { kids: keys.map((k) => k.kid) } });
    expect(one('app.deleted')).toMatchObject({ data: { app: { client_id: created.app.clientId, name: 'Hooked app' } } });
    expect(one('user.deleted')).toMatchObject({ data: { user: { id: hooked.id } } });
    // No secret of the run, no password hash, in any body.
    for (const r of all) {
      for (const s of secrets) expect(r.body).not.toContain(s);
      expect(r.body).not.toMatch(/\$argon2|gate_(?:at|rt)_|secret_hash|password_hash/);
    }
    // The delivery log says the same, but keeps nothing about the erased user except the news of the erasure.
    const log = await gh.ctx.webhooks.deliveries(endpoint.id, { limit: 100 });
    expect(log.every((d) => d.status === 'delivered' && d.attempts === 1 && d.responseStatus === 204)).toBe(true);
    const kept = await gh.ctx.storage.webhooks.listWebhookEvents({ limit: 1000 });
    expect(kept.filter((e) => e.body.includes(hooked.id)).map((e) => e.type)).toEqual(['user.deleted']);
    expect(JSON.stringify(kept)).not.toMatch(/hooked@example\.org|"login":"hooked"/);
    expect(log.length).toBe(all.filter((r) => !r.body.includes(hooked.id)).length + 1);
    await gh.ctx.webhooks.remove(endpoint.id, OPERATOR);
  });

  test('an address confirmed by its link is one user.updated; vouched for with the phone by an operator, one more', async () => {
    const { endpoint } = await gh.ctx.webhooks.create({ url: receiver.url, events: ['user.updated'] }, OPERATOR);
    const user = await gh.ctx.users.create({ login: 'confirming', password: PASSWORD, email: 'confirming@example.org', emailConfirmed: false });
    await gh.ctx.addresses.send(user.id, 'confirming@example.org', 'en', { type: 'user', id: user.id }, null);
    const [mail] = await gh.ctx.storage.mail.listMails({ userId: user.id });
    const link = linkIn(gh.ctx.mail.body(mail!)!, gh.url, '/confirm-email');
    expect(await gh.ctx.addresses.confirm(new URL(link).searchParams.get('token')!, null)).toMatchObject({ ok: true, address: 'confirming@example.org' });
    const announced = async () => (await gh.ctx.storage.webhooks.listWebhookEvents({ type: 'user.updated' })).filter((e) => e.body.includes(user.id));
    const [first] = await announced();
    expect(JSON.parse(first!.body).data).toMatchObject({ user: { id: user.id, confirmed_emails: ['confirming@example.org'] }, changes: { by: 'link' } });

    await gh.ctx.storage.updateUser(user.id, { emails: ['confirming@example.org', 'second@example.org'], defaultPhone: '+442079460958', updatedAt: gh.ctx.clock() });
    const now = (await gh.ctx.storage.findUserById(user.id))!;
    await gh.ctx.addresses.vouch(now, { emails: 'all', phone: true }, { type: 'operator' }, null);
    // Two confirmations (an address and the phone) in one action: one event.
    expect(await announced()).toHaveLength(2);
    await gh.ctx.webhooks.remove(endpoint.id, OPERATOR);
  });

  test('a failed attempt is retried on the schedule with the same webhook-id, signed afresh, until it is delivered', async () => {
    const r = await startWebhookReceiver();
    try {
      const { endpoint, secret } = await gh.ctx.webhooks.create({ url: r.url, events: ['key.rotated'] }, OPERATOR);
      r.secret = secret;
      let calls = 0;
      r.respond = () => (++calls <= 2 ? 500 : 200);
      await announce(gh, { action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: ['k1'] } });
      await r.waitFor((x) => x.length === 1);
      await gh.ctx.webhookDelivery.idle();
      let [d] = await gh.ctx.webhooks.deliveries(endpoint.id);
      expect(d).toMatchObject({ status: 'pending', attempts: 1, responseStatus: 500, lastError: 'HTTP 500: receiver says no', nextAttemptAt: clock() + RETRY_AFTER_MS[0]! });
      // Not before its time.
      clock.advance(RETRY_AFTER_MS[0]! - 1000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(r.received).toHaveLength(1);
      clock.advance(1000);
      await r.waitFor((x) => x.length === 2);
      // The worker records the failure (and so when to try next) after the receiver answered: wait for it before moving time on.
      await gh.ctx.webhookDelivery.idle();
      clock.advance(RETRY_AFTER_MS[1]!);
      await r.waitFor((x) => x.length === 3);
      await gh.ctx.webhookDelivery.idle();
      [d] = await gh.ctx.webhooks.deliveries(endpoint.id);
      expect(d).toMatchObject({ status: 'delivered', attempts: 3, responseStatus: 200, lastError: null });
      expect(new Set(r.received.map((x) => x.id)).size).toBe(1);
      expect(r.received.every((x) => x.verified?.type === 'key.rotated')).toBe(true);
      expect(r.received.map((x) => x.answered)).toEqual([500, 500, 200]);
      await gh.ctx.webhooks.remove(endpoint.id, OPERATOR);
    } finally {
      await r.close();
    }
  });

  test('an endpoint failing every attempt for a day is disabled with a notice and an audit entry; enabled and redelivered by hand, it gets the event', async () => {
    const r = await startWebhookReceiver();
    try {
      const { endpoint, secret } = await gh.ctx.webhooks.create({ url: r.url, events: ['key.rotated'] }, OPERATOR);
      r.secret = secret;
      r.respond = () => 503;
      await announce(gh, { action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: ['k2'] } });
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        await r.waitFor((x) => x.length === attempt);
        await gh.ctx.webhookDelivery.idle();
        if (attempt < MAX_ATTEMPTS) clock.advance(RETRY_AFTER_MS[attempt - 1]!);
      }
      expect(RETRY_AFTER_MS.reduce((a, b) => a + b, 0)).toBeGreaterThan(24 * 3600 * 1000);
      const [d] = await gh.ctx.webhooks.deliveries(endpoint.id);
      expect(d).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, responseStatus: 503 });
      const disabled = (await gh.ctx.webhooks.get(endpoint.id))!;
      expect(disabled.enabled).toBe(false);
      expect(disabled.disabledReason).toMatch(/every attempt for a day failed \(8 attempts; last: HTTP 503/);
      const audit = await gh.ctx.audit.list({ action: 'webhook_disabled' });
      expect(audit[0]?.details).toMatchObject({ endpoint: endpoint.id, url: r.url });
      // Disabled: it is sent nothing new.
      await announce(gh, { action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: ['k3'] } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(r.received).toHaveLength(MAX_ATTEMPTS);
      expect(await gh.ctx.webhooks.deliveries(endpoint.id)).toHaveLength(1);
      // The operator fixes the receiver, enables the endpoint and sends the failed one again by hand.
      r.respond = () => 204;
      await gh.ctx.webhooks.setEnabled(endpoint.id, true, OPERATOR);
      expect(await gh.ctx.webhooks.redeliver(d!.id, OPERATOR)).toMatchObject({ status: 'pending', attempts: 0 });
      await r.waitFor((x) => x.filter((y) => y.answered === 204).length === 1);
      await gh.ctx.webhookDelivery.idle();
      expect((await gh.ctx.webhooks.deliveries(endpoint.id)).map((x) => x.status)).toEqual(['delivered']);
      expect(r.received.filter((y) => y.answered === 204).map((y) => y.verified?.data.kids[0])).toEqual(['k2']);
      // Enabled again, it gets new events.
      await announce(gh, { action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: ['k4'] } });
      await r.waitFor((x) => x.filter((y) => y.answered === 204).length === 2);
      expect((await gh.ctx.audit.list({ action: 'webhook_redelivered' }))[0]?.details).toMatchObject({ delivery: d!.id });
    } finally {
      await r.close();
    }
  });

  test('an endpoint only gets the events it chose, and none from before it existed', async () => {
    const r = await startWebhookReceiver();
    try {
      await announce(gh, { action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: ['before'] } });
      const { endpoint, secret } = await gh.ctx.webhooks.create({ url: r.url, events: ['user.created'] }, OPERATOR);
      r.secret = secret;
      await announce(gh, { action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: ['after'] } });
      const user = await gh.createUser('chosen-one');
      await announce(gh, { action: 'user_created', actor: { type: 'operator' }, userId: user.id, details: { login: user.login } });
      await r.waitFor((x) => x.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(r.received.map((x) => x.verified?.type)).toEqual(['user.created']);
      await gh.ctx.webhooks.remove(endpoint.id, OPERATOR);
    } finally {
      await r.close();
    }
  });

  test('endpoints are checked: http(s) only, no credentials, known events', async () => {
    const bad = [
      { url: 'ftp://hooks.example/x', events: ['user.created'] },
      { url: 'https://user:pw@hooks.example/x', events: ['user.created'] },
      { url: 'not a url', events: ['user.created'] },
      { url: 'https://hooks.example/x', events: [] },
      { url: 'https://hooks.example/x', events: ['user.exploded'] },
    ];
    for (const input of bad) await expect(gh.ctx.webhooks.create(input, OPERATOR)).rejects.toBeInstanceOf(InputError);
  });
});

describe('webhooks to private addresses (issue 21)', () => {
  test('the address guard knows loopback, private, link-local and IPv4 in IPv6 disguise', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1',
      '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe', '2002:7f00:1::1', '::ffff:10.0.0.1', 'ff02::1', '224.0.0.1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700::1111', '2a00:1450:4001::1', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });

  test('without GATEHOUSE_WEBHOOK_ALLOW_PRIVATE, a private URL is refused, and a name resolving to loopback at delivery time is not connected to', async () => {
    const gh = await startGatehouse();
    const receiver = await startWebhookReceiver();
    const stop = gh.ctx.webhookDelivery.start(50);
    try {
      const port = new URL(receiver.url).port;
      for (const url of [receiver.url, `http://localhost:${port}/hooks`, `http://[::1]:${port}/`, `http://169.254.169.254/latest/meta-data`, `http://10.0.0.1/`]) {
        await expect(gh.ctx.webhooks.create({ url, events: ['key.rotated'] }, OPERATOR), url).rejects.toThrow(/GATEHOUSE_WEBHOOK_ALLOW_PRIVATE/);
      }
      // A name that passed registration but resolves to loopback now (DNS rebinding): stored as if it had.
      const now = gh.ctx.clock();
      await gh.ctx.storage.webhooks.addWebhookEndpoint({
        id: 'ep_rebinding', url: `http://localhost:${port}/hooks`, description: '', events: ['key.rotated'], secretSealed: gh.ctx.secrets.seal(`whsec_${Buffer.alloc(32, 1).toString('base64')}`),
        enabled: true, disabledReason: null, disabledAt: null, lastSuccessAt: null, createdAt: now, updatedAt: now,
      });
      await announce(gh, { action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: ['k'] } });
      for (let i = 0; i < 100; i++) {
        const [d] = await gh.ctx.webhooks.deliveries('ep_rebinding');
        if (d?.attempts === 1 && d.lastAttemptAt !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const [d] = await gh.ctx.webhooks.deliveries('ep_rebinding');
      expect(d).toMatchObject({ status: 'pending', attempts: 1, responseStatus: null });
      expect(d!.lastError).toMatch(/refused to connect to the private address (127\.0\.0\.1|::1)/);
      expect(receiver.received).toEqual([]);
    } finally {
      stop();
      await receiver.close();
      await gh.close();
    }
  });
});
