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

const clock = testClock();
let gh: TestGatehouse;

const LIMITS = {
  signupPerIp: { max: 3, windowMs: 3_600_000 },
  tokenFailuresPerClient: { max: 5, windowMs: 60_000 },
  deviceCodePerClient: { max: 4, windowMs: 60_000 },
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

describe('failed /token requests per client', () => {
  test('after 5 wrong secrets even the right one is refused with 429 slow_down, other apps are unaffected, and a minute later it works', async () => {
    const target = await gh.createApp({ name: 'Guessed app' });
    const other = await gh.createApp({ name: 'Neighbour app' });
    const token = (clientId: string, secret: string) => postForm(`${gh.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, secret) });

    for (let i = 0; i < 5; i++) {
      const wrong = await token(target.clientId, `wrong-secret-${i}`);
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { error: string }).error).toBe('invalid_client');
    }
    const before = await limitedCount('/token');
    const refused = await token(target.clientId, target.clientSecret!);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'slow_down' });
    expect(await limitedCount('/token')).toBe(before + 1);

    expect((await token(other.clientId, other.clientSecret!)).status).toBe(200);

    clock.advance(60_001);
    const later = await token(target.clientId, target.clientSecret!);
    expect(later.status).toBe(200);
    expect(await later.json()).toMatchObject({ token_type: 'bearer' });
  });
});

describe('device authorizations per client', () => {
  test('the 5th /device/code of an app within a minute gets 429 slow_down and creates no pending code; other apps go on; a minute later it works', async () => {
    const tv = await gh.createApp({ name: 'Busy TV', platforms: ['tv'] });
    const otherTv = await gh.createApp({ name: 'Quiet TV', platforms: ['tv'] });
    const start = (clientId: string) => postForm(`${gh.url}/device/code`, { client_id: clientId });

    for (let i = 0; i < 4; i++) expect((await start(tv.clientId)).status).toBe(200);
    const before = await limitedCount('/device/code');
    const refused = await start(tv.clientId);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as Record<string, string>;
    expect(body.error).toBe('slow_down');
    expect(body.device_code).toBeUndefined();
    expect(await limitedCount('/device/code')).toBe(before + 1);

    expect((await start(otherTv.clientId)).status).toBe(200);

    clock.advance(60_001);
    const later = await start(tv.clientId);
    expect(later.status).toBe(200);
    expect(await later.json()).toHaveProperty('user_code');
  });
});
