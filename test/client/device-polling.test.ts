/**
 * How `deviceLogin()` polls (RFC 8628 §3.4–3.5), against a real Gatehouse
 * whose clock the test moves: the SDK's `sleep` is replaced by one that
 * records the wait and advances the server's clock by as much (or less, to
 * provoke `slow_down`), so nothing sleeps and the server judges every poll.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GatehouseClient, OAuthError, type DeviceCode } from '../../packages/client/src/index.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { Person, PASSWORD } from '../flows/support.js';

const clock = testClock(Date.UTC(2025, 5, 1, 12));
let gh: TestGatehouse;
let clientId: string;
let alice: Person;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  await gh.createUser('alice', PASSWORD);
  ({ clientId } = await gh.createApp({ name: 'Set-top box', platforms: ['tv'], redirectUris: [], scopes: ['login:info'] }));
  alice = await new Person(gh, 'alice').signIn();
});
afterAll(async () => {
  await gh?.close();
});

/**
 * A scripted wait: for the n-th sleep the SDK asks for, `script[n]` says how
 * many seconds of server time pass (the whole wait by default) and what the
 * person does meanwhile.
 */
function scriptedSleep(script: Array<{ pass?: number; meanwhile?: (code: DeviceCode) => Promise<void> }>, code: () => DeviceCode) {
  const asked: number[] = [];
  const sleep = async (ms: number) => {
    const step = script[asked.length] ?? {};
    asked.push(ms);
    clock.advance((step.pass ?? ms / 1000) * 1000);
    await step.meanwhile?.(code());
  };
  return { asked, sleep };
}

describe('deviceLogin() polling', () => {
  test('waits the interval before each poll and 5 s more after slow_down, then gets tokens once the user allows', async () => {
    const client = new GatehouseClient({ issuer: gh.url, clientId, now: clock });
    let shown: DeviceCode | null = null;
    const { asked, sleep } = scriptedSleep([
      {}, // pending
      { pass: 2 }, // the second poll comes too early by the server's clock: slow_down
      {}, // pending, 10 s later
      { meanwhile: async (code) => { expect((await alice.decide(code.userCode, 'allow')).status).toBe(200); } },
    ], () => shown!);
    const tokens = await client.deviceLogin({ sleep, onCode: (code) => { shown = code; } });
    expect(asked).toEqual([5_000, 5_000, 10_000, 10_000]);
    expect(tokens.accessToken).toMatch(/^gate_at_/);
  });

  test('rejects with access_denied when the user denies', async () => {
    const client = new GatehouseClient({ issuer: gh.url, clientId, now: clock });
    let shown: DeviceCode | null = null;
    const { sleep } = scriptedSleep([{ meanwhile: async (code) => { await alice.decide(code.userCode, 'deny'); } }], () => shown!);
    await expect(client.deviceLogin({ sleep, onCode: (code) => { shown = code; } }))
      .rejects.toSatisfy((e) => e instanceof OAuthError && e.code === 'access_denied');
  });

  test('rejects with expired_token when nobody acts before the code expires', async () => {
    const client = new GatehouseClient({ issuer: gh.url, clientId, now: clock });
    const { asked, sleep } = scriptedSleep([{ pass: 301 }], () => { throw new Error('unused'); });
    await expect(client.deviceLogin({ sleep, onCode: () => {} })).rejects.toMatchObject({ code: 'expired_token' });
    expect(asked).toEqual([5_000]);
  });
});
