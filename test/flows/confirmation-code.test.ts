/**
 * Codes shown on Gatehouse's own page (docs/protocol.md §5.2): 7 digits a person can type
 * into a console program, single-use, looked up per app, and guarded against
 * guessing. Real HTTP and SQLite; the clock is moved, never waited for.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';
import { fetchFrom, info, infoStatus, PASSWORD } from './support.js';

const clock = testClock(Date.UTC(2025, 5, 2, 9));
let gh: TestGatehouse;
let user: HttpUser;
let appA: { clientId: string; clientSecret: string };
let appB: { clientId: string; clientSecret: string };
let verificationUri: string;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  verificationUri = `${gh.url}/verification_code`;
  await gh.createUser('vera', PASSWORD, { firstName: 'Vera', email: 'vera@example.org' });
  user = new HttpUser(gh, 'vera', PASSWORD);
  const a = await gh.createApp({ name: 'Console A', scopes: ['login:info'] });
  const b = await gh.createApp({ name: 'Console B', scopes: ['login:info'] });
  appA = { clientId: a.clientId, clientSecret: a.clientSecret! };
  appB = { clientId: b.clientId, clientSecret: b.clientSecret! };
});
afterAll(async () => { await gh?.close(); });

/** Runs /authorize to Gatehouse's page and reads the code from the fragment, as the page's script does. */
async function confirmationCode(clientId: string, extra: Record<string, string> = {}): Promise<{ code: string; fragment: URLSearchParams; location: URL }> {
  const { location } = await user.authorize({ response_type: 'code', client_id: clientId, redirect_uri: verificationUri, ...extra });
  expect(location.origin + location.pathname).toBe(verificationUri);
  expect(location.search).toBe('');
  const fragment = new URLSearchParams(location.hash.slice(1));
  return { code: fragment.get('code') ?? '', fragment, location };
}

function exchange(app: { clientId: string; clientSecret: string }, code: string, extra: Record<string, string> = {}) {
  return postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, ...extra }, { authorization: basicAuth(app.clientId, app.clientSecret) });
}

async function body(res: Response): Promise<Record<string, string>> {
  return (await res.json()) as Record<string, string>;
}

/** Seven digits that are not `code`. */
function wrongCode(code: string, n: number): string {
  const candidate = String((Number(code) + 1_000_003 * (n + 1)) % 10_000_000).padStart(7, '0');
  return candidate === code ? String((Number(code) + 1) % 10_000_000).padStart(7, '0') : candidate;
}

describe('the code on /verification_code', () => {
  test('is 7 digits in the fragment with state and iss; exchanged without redirect_uri it buys tokens that work on /info', async () => {
    const { code, fragment, location } = await confirmationCode(appA.clientId, { state: 'console-42' });
    expect(code).toMatch(/^\d{7}$/);
    expect(fragment.get('state')).toBe('console-42');
    expect(fragment.get('iss')).toBe(gh.url);
    expect(location.searchParams.has('code')).toBe(false);

    const res = await exchange(appA, code);
    const tokens = await body(res);
    expect(res.status, JSON.stringify(tokens)).toBe(200);
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'login:info' });
    expect(tokens.refresh_token).toMatch(/^gate_rt_/);
    expect(await info(gh, tokens.access_token!)).toMatchObject({ login: 'vera', client_id: appA.clientId });
  });

  test('is single-use: the second exchange is bad_verification_code and revokes the tokens of the first (RFC 9700 §4.5)', async () => {
    const { code } = await confirmationCode(appA.clientId);
    const first = await body(await exchange(appA, code));
    expect(await infoStatus(gh, first.access_token!)).toBe(200);
    const again = await exchange(appA, code);
    expect(again.status).toBe(400);
    expect((await body(again)).error).toBe('bad_verification_code');
    expect(await infoStatus(gh, first.access_token!)).toBe(401);
  });

  test('expires after 10 minutes', async () => {
    const { code } = await confirmationCode(appA.clientId);
    clock.advance(10 * 60_000);
    const res = await exchange(appA, code);
    expect(res.status).toBe(400);
    expect((await body(res)).error).toBe('bad_verification_code');
  });

  test('of app A never matches for app B, and B trying it does not spend it', async () => {
    const { code } = await confirmationCode(appA.clientId);
    const stolen = await exchange(appB, code);
    expect(stolen.status).toBe(400);
    expect((await body(stolen)).error).toBe('bad_verification_code');
    const res = await exchange(appA, code);
    expect(res.status).toBe(200);
    expect((await info(gh, (await body(res)).access_token!)).client_id).toBe(appA.clientId);
    clock.advance(60_000); // B's failed attempt above is forgotten
  });

  test('guessing is limited: after 5 wrong codes in a minute even the right one is refused with 429 slow_down, and works after the window', async () => {
    const { code } = await confirmationCode(appB.clientId);
    for (let i = 0; i < 5; i++) {
      const res = await exchange(appB, wrongCode(code, i));
      expect(res.status, `wrong code ${i + 1}`).toBe(400);
      expect((await body(res)).error).toBe('bad_verification_code');
    }
    const refused = await exchange(appB, code);
    expect(refused.status).toBe(429);
    expect((await body(refused)).error).toBe('slow_down');
    clock.advance(59_999);
    expect((await exchange(appB, code)).status).toBe(429);

    // Another app is not affected by B's limit.
    const other = await confirmationCode(appA.clientId);
    expect((await exchange(appA, other.code)).status).toBe(200);

    clock.advance(1);
    const res = await exchange(appB, code);
    const tokens = await body(res);
    expect(res.status, JSON.stringify(tokens)).toBe(200);
    expect(await infoStatus(gh, tokens.access_token!)).toBe(200);
  });

  test('wrong codes are counted per app and address: 8 guessers × 5 wrong codes do not stop a person at another address from exchanging the right code', async () => {
    clock.advance(60_000);
    const { code } = await confirmationCode(appB.clientId);
    const exchangeFrom = (address: string, tried: string) => fetchFrom(address, new URL('/token', gh.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(appB.clientId, appB.clientSecret) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: tried }).toString(),
    });
    for (let g = 0; g < 8; g++) {
      for (let i = 0; i < 6; i++) {
        const res = await exchangeFrom(`127.0.${1 + g}.10`, wrongCode(code, g * 6 + i));
        expect(res.status, `guesser ${g}, code ${i + 1}`).toBe(i < 5 ? 400 : 429);
      }
    }
    // The guessers' addresses are refused even the right code; the person's address is not.
    expect((await exchangeFrom('127.0.1.10', code)).status).toBe(429);
    const res = await exchangeFrom('127.0.20.20', code);
    const tokens = await body(res);
    expect(res.status, JSON.stringify(tokens)).toBe(200);
    expect(await infoStatus(gh, tokens.access_token!)).toBe(200);
    clock.advance(60_000);
  });

  test('a public console app uses it with PKCE: the verifier is required at the exchange', async () => {
    const pub = await gh.createApp({ name: 'Console CLI', platforms: ['desktop'], redirectUris: ['http://127.0.0.1/callback'], scopes: ['login:info'] });
    const pkce = pkcePair();
    const { code } = await confirmationCode(pub.clientId, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const ok = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', client_id: pub.clientId, code, code_verifier: pkce.verifier });
    const tokens = await body(ok);
    expect(ok.status, JSON.stringify(tokens)).toBe(200);
    expect(await infoStatus(gh, tokens.access_token!)).toBe(200);

    const second = await confirmationCode(pub.clientId, { code_challenge: pkce.challenge });
    const missing = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', client_id: pub.clientId, code: second.code });
    expect(missing.status).toBe(400);
    expect((await body(missing)).error).toBe('invalid_grant');
  });
});
