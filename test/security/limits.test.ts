/**
 * The abuse limits not covered by guessing.test.ts (issue 10, item 2):
 * sign-ups per address, failed /token requests per client, device
 * authorizations per client — each configured small here through the same
 * setting operators use (`GATEHOUSE_LIMITS`), each refused with 429 once
 * passed, each counting only its own key, each lifted when its window ends,
 * and every refusal counted in `gatehouse_rate_limited_total`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';
import { fetchFrom } from '../flows/support.js';

const clock = testClock();
let gh: TestGatehouse;

const LIMITS = {
  signupPerIp: { max: 3, windowMs: 3_600_000 },
  tokenFailuresPerClient: { max: 5, windowMs: 60_000 },
  deviceCodePerClient: { max: 4, windowMs: 60_000 },
  deviceCodePerAddress: { max: 3, windowMs: 60_000 },
};

beforeAll(async () => {
  gh = await startGatehouse({ clock, config: { limits: LIMITS } });
});
afterAll(async () => {
  await gh?.close();
});

/** `gatehouse_rate_limited_total` for one route, from /metrics. */
async function limitedCount(route: string): Promise<number> {
  const text = await (await fetch(`${gh.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('gatehouse_rate_limited_total{') && l.includes(`route="${route}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function signUp(login: string): Promise<Response> {
  const person = new HttpUser(gh, login, 'a long enough password 1');
  const fields = hiddenFields(await (await person.get('/signup')).text());
  return person.post('/signup', { ...fields, login, password: person.password, email: `${login}@example.org` });
}

describe('sign-ups per address', () => {
  test('the 4th sign-up from one address within the hour gets 429 with Retry-After and a page saying why; an hour later it works', async () => {
    for (let i = 1; i <= 3; i++) expect((await signUp(`newcomer${i}`)).status).toBe(303);
    const before = await limitedCount('/signup');
    const refused = await signUp('newcomer4');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3600');
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await refused.text()).toMatch(/too many/i);
    expect(await gh.ctx.storage.findUserByLogin('newcomer4')).toBeNull();
    expect(await limitedCount('/signup')).toBe(before + 1);

    clock.advance(3_600_000 + 1);
    expect((await signUp('newcomer4')).status).toBe(303);
    expect(await gh.ctx.storage.findUserByLogin('newcomer4')).not.toBeNull();
  });
});

/** A form POST from one loopback source address (127.0.0.0/8 is all loopback on Linux). */
function postFrom(address: string, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetchFrom(address, new URL(path, gh.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

describe('locking an app out by failing on its behalf', () => {
  test('after 120 wrong secrets from anyone, the app\'s right secret still gets tokens at once: a failure limit never refuses the right credentials', async () => {
    const target = await gh.createApp({ name: 'Guessed app' });
    const token = (address: string, secret: string) => postFrom(address, '/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(target.clientId, secret) });

    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) statuses.push((await token('127.0.0.2', `wrong-secret-${i}`)).status);
    // The guesser's own address is slowed down once past the limit (5 here); nothing it sent was checked as right.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));

    // The app, from the same address as the guesser and from its own, is never refused.
    for (const address of ['127.0.0.2', '127.0.0.3']) {
      const res = await token(address, target.clientSecret!);
      expect(res.status, address).toBe(200);
      expect(await res.json()).toMatchObject({ token_type: 'bearer' });
    }
    // Another address guessing is counted on its own: its first wrong secret is a plain 401.
    expect((await token('127.0.0.4', 'wrong-secret')).status).toBe(401);
  });

  test('wrong secrets past the limit get 429 slow_down for that client and address only, counted in gatehouse_rate_limited_total, lifted after the window', async () => {
    const target = await gh.createApp({ name: 'Noisy app' });
    const token = (address: string, secret: string) => postFrom(address, '/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(target.clientId, secret) });
    for (let i = 0; i < 5; i++) expect((await token('127.0.0.5', `wrong-${i}`)).status).toBe(401);
    const before = await limitedCount('/token');
    const refused = await token('127.0.0.5', 'wrong-again');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'slow_down' });
    expect(await limitedCount('/token')).toBe(before + 1);
    clock.advance(60_001);
    expect((await token('127.0.0.5', 'wrong-later')).status).toBe(401);
  });

  test('120 /device/code calls without the secret do not stop the app: it still gets a device code with its secret, and its devices elsewhere without it', async () => {
    const tv = await gh.createApp({ name: 'Attacked TV', platforms: ['web', 'tv'] });
    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) statuses.push((await postFrom('127.0.0.6', '/device/code', { client_id: tv.clientId })).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(new Set(statuses.slice(3))).toEqual(new Set([429]));

    const withSecret = await postFrom('127.0.0.6', '/device/code', { client_id: tv.clientId, client_secret: tv.clientSecret! });
    expect(withSecret.status).toBe(200);
    expect(await withSecret.json()).toHaveProperty('device_code');
    const elsewhere = await postFrom('127.0.0.7', '/device/code', { client_id: tv.clientId });
    expect(elsewhere.status).toBe(200);
    expect(await elsewhere.json()).toHaveProperty('user_code');
  });

  test('a public TV app: one address starting 120 authorizations does not stop the app\'s devices at other addresses', async () => {
    const tv = await gh.createApp({ name: 'Public TV', platforms: ['tv'] });
    expect(tv.clientSecret).toBeNull();
    for (let i = 0; i < 120; i++) await postFrom('127.0.0.8', '/device/code', { client_id: tv.clientId });
    const res = await postFrom('127.0.0.9', '/device/code', { client_id: tv.clientId });
    expect(res.status).toBe(200);
  });
});

describe('device authorizations per client', () => {
  test('the 5th /device/code of an app within a minute gets 429 slow_down and creates no pending code; other apps go on; a minute later it works', async () => {
    const tv = await gh.createApp({ name: 'Busy TV', platforms: ['web', 'tv'] });
    const otherTv = await gh.createApp({ name: 'Quiet TV', platforms: ['web', 'tv'] });
    const start = (app: { clientId: string; clientSecret: string | null }) =>
      postForm(`${gh.url}/device/code`, { client_id: app.clientId }, { authorization: basicAuth(app.clientId, app.clientSecret!) });

    for (let i = 0; i < 4; i++) expect((await start(tv)).status).toBe(200);
    const before = await limitedCount('/device/code');
    const refused = await start(tv);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as Record<string, string>;
    expect(body.error).toBe('slow_down');
    expect(body.device_code).toBeUndefined();
    expect(await limitedCount('/device/code')).toBe(before + 1);

    expect((await start(otherTv)).status).toBe(200);

    clock.advance(60_001);
    const later = await start(tv);
    expect(later.status).toBe(200);
    expect(await later.json()).toHaveProperty('user_code');
  });
});
