/**
 * A code is single-use even when many exchanges race (docs/protocol.md §3, §4): of 50
 * concurrent requests over HTTP exactly one wins, and because a code used twice
 * revokes every token issued from it (RFC 9700 §4.5), the winner's tokens end
 * up revoked too.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';

let gh: TestGatehouse;
let user: HttpUser;
let app: { clientId: string; clientSecret: string };

beforeAll(async () => {
  gh = await startGatehouse();
  const u = await gh.createUser('racer');
  user = new HttpUser(gh, u.login, u.password);
  const created = await gh.createApp();
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
});
afterAll(async () => { await gh?.close(); });

async function race(code: string, n: number): Promise<Array<{ status: number; body: Record<string, string> }>> {
  const authorization = basicAuth(app.clientId, app.clientSecret);
  return Promise.all(
    Array.from({ length: n }, async () => {
      const res = await postForm(gh.url + '/token', { grant_type: 'authorization_code', code }, { authorization });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    }),
  );
}

async function infoStatus(accessToken: string): Promise<number> {
  return (await fetch(gh.url + '/info', { headers: { authorization: `OAuth ${accessToken}` } })).status;
}

test('of 50 concurrent exchanges of one code exactly one succeeds, and its tokens are revoked (RFC 9700 §4.5)', async () => {
  const code = await user.code({ response_type: 'code', client_id: app.clientId });
  const results = await race(code, 50);

  expect(results.filter((r) => r.status >= 500)).toEqual([]);
  const winners = results.filter((r) => r.status === 200);
  const losers = results.filter((r) => r.status !== 200);
  expect(winners).toHaveLength(1);
  expect(losers).toHaveLength(49);
  for (const loser of losers) {
    expect(loser.status).toBe(400);
    expect(loser.body.error).toBe('invalid_grant');
  }

  const tokens = winners[0]!.body;
  expect(await infoStatus(tokens.access_token!)).toBe(401);
  const refreshed = await postForm(gh.url + '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { authorization: basicAuth(app.clientId, app.clientSecret) });
  expect(refreshed.status).toBe(400);
  expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
});

test('a replay racing the first exchange still revokes the tokens the first one got (RFC 9700 §4.5)', async () => {
  // Two at once, the way an attacker replays a stolen code: whichever wins, its tokens must not survive.
  for (let round = 0; round < 20; round++) {
    const code = await user.code({ response_type: 'code', client_id: app.clientId });
    const results = await race(code, 2);
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.find((r) => r.status !== 200)?.body.error).toBe('invalid_grant');
    expect(await infoStatus(winners[0]!.body.access_token!), `round ${round}`).toBe(401);
  }
});

test("of 20 concurrent refreshes of a public client's refresh token exactly one succeeds, and the reuse revokes the family (RFC 9700 §4.14.2)", async () => {
  const publicApp = await gh.createApp({ platforms: ['desktop'] });
  const pkce = pkcePair();
  const code = await user.code({ response_type: 'code', client_id: publicApp.clientId, code_challenge: pkce.challenge });
  const first = await postForm(gh.url + '/token', { grant_type: 'authorization_code', code, client_id: publicApp.clientId, code_verifier: pkce.verifier });
  const tokens = (await first.json()) as { access_token: string; refresh_token: string };

  const results = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const res = await postForm(gh.url + '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: publicApp.clientId });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    }),
  );
  expect(results.filter((r) => r.status >= 500)).toEqual([]);
  const winners = results.filter((r) => r.status === 200);
  expect(winners).toHaveLength(1);
  for (const loser of results.filter((r) => r.status !== 200)) expect(loser.body.error).toBe('invalid_grant');
  expect(await infoStatus(winners[0]!.body.access_token!)).toBe(401);
  expect(await infoStatus(tokens.access_token)).toBe(401);
});
