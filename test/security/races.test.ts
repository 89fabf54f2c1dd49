/**
 * Replay and races (issue 10, RFC 9700 §4.5 and §4.14.2, RFC 8628 §3.5): 50
 * concurrent requests spending one code, one public client's refresh token or
 * one device code over real HTTP get exactly one winner, in each of several
 * rounds; the losers get a 4xx, never a 5xx and never tokens. Where the rules
 * say a replay revokes the family, the winner's tokens end up revoked too.
 * (test/integration/code-concurrency.test.ts and test/flows/device-protocol.test.ts
 * race smaller numbers; this file is the security suite's count.)
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';
import { DeviceClient, infoStatus, Person, PASSWORD } from '../flows/support.js';

const N = 50;
const ROUNDS = 3;
const clock = testClock();
let gh: TestGatehouse;
let user: HttpUser;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  const u = await gh.createUser('racer', PASSWORD);
  user = new HttpUser(gh, u.login, u.password);
});
afterAll(async () => {
  await gh?.close();
});

/**
 * Each round's 49 losers count as failed /token requests of the app, and 100 a
 * minute make it wait (src/oauth/attempts.ts): rounds are a minute apart.
 */
const nextRound = () => clock.advance(61_000);

type Answer = { status: number; body: Record<string, string> };

async function burst(n: number, send: () => Promise<Response>): Promise<Answer[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const res = await send();
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }));
}

function oneWinner(answers: Answer[], loserErrors: string[]): Answer {
  expect(answers.filter((a) => a.status >= 500)).toEqual([]);
  const winners = answers.filter((a) => a.status === 200);
  expect(winners).toHaveLength(1);
  for (const loser of answers.filter((a) => a.status !== 200)) {
    expect(loser.status).toBe(400);
    expect(loserErrors).toContain(loser.body.error);
    expect(loser.body.access_token).toBeUndefined();
  }
  return winners[0]!;
}

describe(`${N} concurrent requests, ${ROUNDS} rounds each`, { timeout: 120_000 }, () => {
  test('exchanges of one authorization code: one winner, whose tokens the replays revoke (RFC 9700 §4.5)', async () => {
    const app = await gh.createApp();
    const authorization = basicAuth(app.clientId, app.clientSecret!);
    for (let round = 0; round < ROUNDS; round++) {
      nextRound();
      const code = await user.code({ response_type: 'code', client_id: app.clientId });
      const answers = await burst(N, () => postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code }, { authorization }));
      const winner = oneWinner(answers, ['invalid_grant']);
      expect(await infoStatus(gh, winner.body.access_token!), `round ${round}`).toBe(401);
    }
  });

  test("refreshes with one public client's refresh token: one winner, and the reuse revokes the family (RFC 9700 §4.14.2)", async () => {
    const app = await gh.createApp({ platforms: ['desktop'] });
    for (let round = 0; round < ROUNDS; round++) {
      nextRound();
      const pkce = pkcePair();
      const code = await user.code({ response_type: 'code', client_id: app.clientId, code_challenge: pkce.challenge });
      const first = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, client_id: app.clientId, code_verifier: pkce.verifier });
      const tokens = (await first.json()) as { access_token: string; refresh_token: string };
      const answers = await burst(N, () => postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.clientId }));
      const winner = oneWinner(answers, ['invalid_grant']);
      expect(await infoStatus(gh, winner.body.access_token!), `round ${round}`).toBe(401);
      expect(await infoStatus(gh, tokens.access_token)).toBe(401);
      const again = await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: winner.body.refresh_token!, client_id: app.clientId });
      expect(again.status).toBe(400);
    }
  });

  test('polls with one approved device code: exactly one token response (RFC 8628 §3.5)', async () => {
    const app = await gh.createApp({ name: 'Racing TV', platforms: ['tv'], redirectUris: [] });
    const tv = new DeviceClient(gh, app.clientId, null);
    const person = await new Person(gh, 'racer', PASSWORD, '127.0.0.61').signIn();
    for (let round = 0; round < ROUNDS; round++) {
      nextRound();
      const started = await tv.start();
      expect((await person.decide(started.user_code, 'allow')).status).toBe(200);
      clock.advance(started.interval * 1000);
      const answers = await burst(N, () => postForm(`${gh.url}/token`, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: started.device_code, client_id: app.clientId,
      }));
      const winner = oneWinner(answers, ['invalid_grant', 'slow_down']);
      expect(await infoStatus(gh, winner.body.access_token!), `round ${round}`).toBe(200);
    }
  });
});
