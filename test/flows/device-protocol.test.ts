/**
 * The device flow's protocol rules (RFC 8628 §3.4, §3.5, §5; docs/protocol.md §5.1) over
 * real HTTP and SQLite, with a clock the test moves instead of sleeping.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields } from '../helpers/http-client.js';
import { DeviceClient, heading, info, infoStatus, outcome, Person, PASSWORD } from './support.js';

const clock = testClock(Date.UTC(2025, 5, 1, 12));
let gh: TestGatehouse;
let tv: DeviceClient;
let otherTv: DeviceClient;
let alice: Person;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  await gh.createUser('alice', PASSWORD, { firstName: 'Alice', email: 'alice@example.org' });
  const app = await gh.createApp({ name: 'Cinema TV', platforms: ['tv'], redirectUris: [], scopes: ['login:info'], optionalScopes: ['login:email'] });
  const web = await gh.createApp({ name: 'Other app', scopes: ['login:info'] });
  tv = new DeviceClient(gh, app.clientId, null);
  otherTv = new DeviceClient(gh, web.clientId, web.clientSecret);
  alice = await new Person(gh, 'alice').signIn();
});
afterAll(async () => { await gh?.close(); });

const seconds = (s: number) => clock.advance(s * 1000);

describe('POST /device/code', () => {
  test('answers a device code, an unambiguous user code, both verification URLs, interval 5 and expires_in 300', async () => {
    const started = await tv.start({ device_id: 'tv-0001', device_name: 'Living room TV' });
    expect(started.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // 8 characters without 0/O/1/I, shown as XXXX-XXXX (docs/protocol.md §5.1).
    expect(started.user_code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    expect(started.verification_uri).toBe(`${gh.url}/device`);
    expect(started.verification_url).toBe(started.verification_uri);
    expect(started.verification_uri_complete).toBe(`${gh.url}/device?user_code=${started.user_code}`);
    expect(started.interval).toBe(5);
    expect(started.expires_in).toBe(300);
  });
});

describe('polling /token', () => {
  test('authorization_pending until the user acts, then tokens that work on /info (Yandex parameters)', async () => {
    const started = await tv.start({ device_id: 'tv-0002', device_name: 'Kitchen TV' });
    expect(outcome(await tv.poll(started.device_code, 'yandex'))).toBe('authorization_pending');
    seconds(5);
    expect(outcome(await tv.poll(started.device_code, 'yandex'))).toBe('authorization_pending');

    const done = await alice.decide(started.user_code, 'allow');
    expect(done.status).toBe(200);
    expect(heading(done.page)).toBe('Done! Go back to your device');

    seconds(5);
    const answer = await tv.poll(started.device_code, 'yandex');
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'bearer', scope: 'login:info' });
    expect(String(answer.body.access_token)).toMatch(/^gate_at_/);
    expect(String(answer.body.refresh_token)).toMatch(/^gate_rt_/);
    expect(await info(gh, String(answer.body.access_token))).toMatchObject({ login: 'alice', first_name: 'Alice' });
    expect((await info(gh, String(answer.body.access_token))).default_email).toBeUndefined();
  });

  test('an optional scope the user ticked is granted', async () => {
    const started = await tv.start({ scope: 'login:info', optional_scope: 'login:email' });
    await alice.decide(started.user_code, 'allow', ['login:email']);
    const answer = await tv.poll(started.device_code);
    expect(answer.body.scope).toBe('login:info login:email');
    expect(await info(gh, String(answer.body.access_token))).toMatchObject({ default_email: 'alice@example.org' });
  });

  test('slow_down when polled faster than the interval; the interval grows by 5 s each time and the next poll must respect it (RFC 8628 §3.5)', async () => {
    const { device_code: code } = await tv.start();
    expect(outcome(await tv.poll(code))).toBe('authorization_pending');
    seconds(4.999);
    expect(outcome(await tv.poll(code))).toBe('slow_down'); // interval is now 10 s
    seconds(9.999);
    expect(outcome(await tv.poll(code))).toBe('slow_down'); // waited the old interval + 5 s, not the new one: now 15 s
    seconds(15);
    expect(outcome(await tv.poll(code))).toBe('authorization_pending');
    seconds(14.999);
    expect(outcome(await tv.poll(code))).toBe('slow_down'); // 20 s
    seconds(20);
    expect(outcome(await tv.poll(code))).toBe('authorization_pending');
    // The grown interval stays: polling at the original 5 s is too fast from now on.
    seconds(5);
    const answer = await tv.poll(code);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('slow_down');
    expect(answer.body.error_description).toMatch(/25 seconds/);
  });

  test('a slow_down does not hide the decision: after waiting the grown interval the poll gets the tokens', async () => {
    const started = await tv.start();
    expect(outcome(await tv.poll(started.device_code))).toBe('authorization_pending');
    seconds(1);
    expect(outcome(await tv.poll(started.device_code))).toBe('slow_down');
    await alice.decide(started.user_code, 'allow');
    seconds(10);
    expect(outcome(await tv.poll(started.device_code))).toBe('tokens');
  });

  test('expired_token once 300 s have passed, also after the user approved too late', async () => {
    const started = await tv.start();
    expect(outcome(await tv.poll(started.device_code))).toBe('authorization_pending');
    seconds(299.999);
    expect(outcome(await tv.poll(started.device_code))).toBe('authorization_pending');
    seconds(0.001);
    expect(outcome(await tv.poll(started.device_code))).toBe('expired_token');
    // The code can no longer be typed either.
    const typed = await alice.typeCode(started.user_code);
    expect(typed.status).toBe(400);
    expect(typed.page).toContain('That code is wrong or has expired');
    seconds(5);
    expect(outcome(await tv.poll(started.device_code))).toBe('expired_token');
  });

  test('access_denied when the user denies, on every later poll', async () => {
    const started = await tv.start();
    const done = await alice.decide(started.user_code, 'deny');
    expect(heading(done.page)).toBe('Access denied');
    const answer = await tv.poll(started.device_code);
    expect(answer).toMatchObject({ status: 400, body: { error: 'access_denied' } });
    seconds(5);
    expect(outcome(await tv.poll(started.device_code))).toBe('access_denied');
  });

  test('a device code is used once: the poll after the token response gets invalid_grant', async () => {
    const started = await tv.start();
    await alice.decide(started.user_code, 'allow');
    const first = await tv.poll(started.device_code);
    expect(first.status).toBe(200);
    seconds(5);
    expect(await tv.poll(started.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    seconds(5);
    expect(outcome(await tv.poll(started.device_code, 'yandex'))).toBe('invalid_grant');
    // The token bought the first time is unaffected.
    expect(await infoStatus(gh, String(first.body.access_token))).toBe(200);
  });

  test('20 concurrent polls of an approved code get exactly one token response', async () => {
    const started = await tv.start();
    await alice.decide(started.user_code, 'allow');
    const answers = await Promise.all(Array.from({ length: 20 }, () => tv.poll(started.device_code)));
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of answers.filter((a) => a.status !== 200)) {
      expect(loser.status).toBe(400);
      expect(['slow_down', 'invalid_grant']).toContain(loser.body.error);
      expect(loser.body.access_token).toBeUndefined();
    }
    expect(await infoStatus(gh, String(winners[0]!.body.access_token))).toBe(200);
    seconds(60);
    expect(outcome(await tv.poll(started.device_code))).toBe('invalid_grant');
  });

  test('another client polling with the device code gets invalid_grant and does not disturb the real client', async () => {
    const started = await tv.start();
    expect(outcome(await tv.poll(started.device_code))).toBe('authorization_pending');
    seconds(1);
    // Another app, with valid credentials of its own, tries the stolen device code: its polls are
    // not counted against the real client's interval.
    for (let i = 0; i < 3; i++) expect(await otherTv.poll(started.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    seconds(4);
    expect(outcome(await tv.poll(started.device_code))).toBe('authorization_pending');
    await alice.decide(started.user_code, 'allow');
    expect(outcome(await otherTv.poll(started.device_code))).toBe('invalid_grant');
    seconds(5);
    const answer = await tv.poll(started.device_code);
    expect(outcome(answer)).toBe('tokens');
    expect((await info(gh, String(answer.body.access_token))).client_id).toBe(tv.clientId);
  });

  test('an unknown device code is invalid_grant; a missing one is invalid_request', async () => {
    expect(outcome(await tv.poll('not-a-device-code'))).toBe('invalid_grant');
    expect(outcome(await tv.poll(''))).toBe('invalid_request');
  });
});

describe('typing user codes on /device', () => {
  test('the code is forgiven case and separators', async () => {
    const started = await tv.start({ device_id: 'tv-0003', device_name: 'Bedroom TV' });
    const sloppy = started.user_code.toLowerCase().replace('-', ' ');
    const confirm = await alice.typeCode(sloppy);
    expect(confirm.status).toBe(200);
    expect(heading(confirm.page)).toBe('Allow Cinema TV on your device?');
    expect(confirm.page).toContain('<dd id="device-name">“<bdi translate="no">Bedroom TV</bdi>”</dd>');
    // Shown as the device shows it, to compare (RFC 8628 §3.3.1).
    expect(confirm.page).toContain(`<strong translate="no">${started.user_code}</strong>`);
  });

  test('wrong codes are limited per session: after 10 even the right code gets the 429 page, from any address', async () => {
    const started = await tv.start();
    const mallory = await new Person(gh, 'alice', PASSWORD, '127.0.0.21').signIn();
    for (let i = 0; i < 10; i++) {
      const wrong = await mallory.typeCode('ABCD-EFGH');
      expect(wrong.status, `attempt ${i + 1}`).toBe(400);
      expect(wrong.page).toContain('That code is wrong or has expired');
    }
    const limited = await mallory.typeCode(started.user_code);
    expect(limited.status).toBe(429);
    expect(limited.page).toContain('Too many wrong codes');
    // The same session from another address is still limited: the session is a key of its own.
    mallory.address = '127.0.0.22';
    expect((await mallory.typeCode(started.user_code)).status).toBe(429);
    // Another session from a fresh address is not.
    const other = await new Person(gh, 'alice', PASSWORD, '127.0.0.23').signIn();
    expect((await other.typeCode(started.user_code)).status).toBe(200);
    // After the 10-minute window, the first session may try again.
    seconds(10 * 60);
    expect((await mallory.typeCode(started.user_code)).status).toBe(400); // the device code expired meanwhile
    expect((await mallory.typeCode('ABCD-EFGH')).status).toBe(400);
  });

  test('wrong codes are limited per address: 10 spread over several sessions lock out every session from that address', async () => {
    const started = await tv.start();
    const address = '127.0.0.31';
    for (let s = 0; s < 2; s++) {
      const session = await new Person(gh, 'alice', PASSWORD, address).signIn();
      for (let i = 0; i < 5; i++) expect((await session.typeCode('WXYZ-2345')).status).toBe(400);
    }
    const fresh = await new Person(gh, 'alice', PASSWORD, address).signIn();
    const limited = await fresh.typeCode(started.user_code);
    expect(limited.status).toBe(429);
    expect(limited.page).toContain('Too many wrong codes');
    // The same person from another address gets on.
    fresh.address = '127.0.0.32';
    expect((await fresh.typeCode(started.user_code)).status).toBe(200);
  });

  test('a decision needs a pending code: a second Allow for a decided code shows the expired page and changes nothing', async () => {
    const started = await tv.start();
    const confirm = await alice.typeCode(started.user_code);
    const fields = hiddenFields(confirm.page);
    expect((await alice.post('/device', { ...fields, decision: 'deny' })).status).toBe(200);
    const again = await alice.post('/device', { ...fields, decision: 'allow' });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('no longer waiting for an answer');
    expect(outcome(await tv.poll(started.device_code))).toBe('access_denied');
  });
});
