/**
 * Tokens bound to a device (docs/protocol.md §3 `device_id`, §4 "at most 30 per user and
 * app", §6.1 `/revoke_token`), over real HTTP with a clock the test moves.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tokenKey } from '../../src/oauth/tokens.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, postForm } from '../helpers/http-client.js';
import { info, infoStatus, PASSWORD } from './support.js';

const clock = testClock(Date.UTC(2025, 5, 3, 8));
const REDIRECT = 'http://127.0.0.1:9999/callback';
let gh: TestGatehouse;
let dan: HttpUser;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  await gh.createUser('dan', PASSWORD, { firstName: 'Dan', email: 'dan@example.org' });
  dan = new HttpUser(gh, 'dan', PASSWORD);
});
afterAll(async () => { await gh?.close(); });

async function webApp(name: string) {
  const created = await gh.createApp({ name, redirectUris: [REDIRECT], scopes: ['login:info'] });
  return { clientId: created.clientId, clientSecret: created.clientSecret! };
}

/** Authorizes with a device id and exchanges the code: one device-bound token family. */
async function deviceToken(app: { clientId: string; clientSecret: string }, deviceId: string): Promise<{ access_token: string; refresh_token: string }> {
  const code = await dan.code({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, device_id: deviceId, device_name: `Phone ${deviceId}` });
  const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { authorization: basicAuth(app.clientId, app.clientSecret) });
  const body = (await res.json()) as { access_token: string; refresh_token: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('device-bound tokens', () => {
  test('the 31st device-bound token for one user and app retires the oldest; the 30 newest keep working', async () => {
    const app = await webApp('Phone app');
    const tokens = [];
    for (let i = 1; i <= 31; i++) {
      tokens.push(await deviceToken(app, `device-${String(i).padStart(3, '0')}`));
      clock.advance(1000);
    }
    const stored = await gh.ctx.storage.findToken(tokenKey(tokens[30]!.access_token));
    expect(stored).toMatchObject({ deviceId: 'device-031', deviceName: 'Phone device-031' });

    expect(await infoStatus(gh, tokens[0]!.access_token)).toBe(401);
    const statuses = await Promise.all(tokens.slice(1).map((t) => infoStatus(gh, t.access_token)));
    expect(statuses).toEqual(Array(30).fill(200));
    // The oldest family is retired whole: its refresh token too.
    const refresh = await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: tokens[0]!.refresh_token }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');

    // Tokens without a device, and device tokens of another app, do not count.
    const plain = await dan.code({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT });
    const plainRes = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code: plain, redirect_uri: REDIRECT }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    expect(plainRes.status).toBe(200);
    const other = await deviceToken(await webApp('Other phone app'), 'device-xyz');
    expect(await infoStatus(gh, other.access_token)).toBe(200);
    expect(await infoStatus(gh, tokens[1]!.access_token)).toBe(200);
  });

  test('the token just issued is never the one retired, even when all were issued in the same millisecond', async () => {
    const { app } = await gh.createApp({ name: 'Fast phone app', redirectUris: [REDIRECT], scopes: ['login:info'] });
    const user = (await gh.ctx.storage.findUserByLogin('dan'))!;
    // 31 families in one millisecond; the last one's id sorts before all the others.
    const issued = [];
    for (let i = 0; i < 31; i++) {
      issued.push(await gh.ctx.tokens.issue({
        app, userId: user.id, scopes: ['login:info'], deviceId: `burst-${i}`, familyId: i === 30 ? 'aa-first' : `family-${String(i).padStart(2, '0')}`, withRefresh: true,
      }));
    }
    expect(await infoStatus(gh, issued[30]!.access_token)).toBe(200);
    const statuses = await Promise.all(issued.map((t) => infoStatus(gh, t.access_token)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
  });

  test('/revoke_token revokes a device-bound token and its refresh token', async () => {
    const app = await webApp('Revocable app');
    const t = await deviceToken(app, 'tablet-01');
    expect(await infoStatus(gh, t.access_token)).toBe(200);
    const res = await postForm(`${gh.url}/revoke_token`, { access_token: t.access_token, client_id: app.clientId, client_secret: app.clientSecret });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(await infoStatus(gh, t.access_token)).toBe(401);
    const refresh = await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    expect(refresh.status).toBe(400);
    // Revoking again still answers ok (RFC 7009 §2.2).
    const again = await postForm(`${gh.url}/revoke_token`, { access_token: t.access_token }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    expect(await again.json()).toEqual({ status: 'ok' });
  });

  test('/revoke_token answers another app\'s token as an unknown one and leaves it working (RFC 7009 §2.2)', async () => {
    const owner = await webApp('Owner app');
    const intruder = await webApp('Intruder app');
    const t = await deviceToken(owner, 'tablet-02');
    const res = await postForm(`${gh.url}/revoke_token`, { access_token: t.access_token }, { authorization: basicAuth(intruder.clientId, intruder.clientSecret) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(await infoStatus(gh, t.access_token)).toBe(200);
  });
});
