/**
 * What relying parties can ask of a sign-in: an app's "require two-step
 * sign-in" setting and OIDC `acr_values` (levels 1 and 2). A user whose
 * session is one-factor is asked for a second step when they have a factor,
 * and the app gets `access_denied` naming why when they have none; nothing is
 * issued before that, whichever way the request arrives (GET, a forged consent
 * POST, prompt=none, the device flow).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PASSWORD } from '../console/support.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';
import { decodeJwt } from '../oidc/support.js';
import { enrol, totpCode } from '../helpers/two-step.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const clock = testClock();
let gh: TestGatehouse;
let strict: { clientId: string; clientSecret: string | null };
let relaxed: { clientId: string; clientSecret: string | null };

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  strict = await gh.createApp({ name: 'Payroll', redirectUris: [REDIRECT], scopes: ['openid', 'login:info'], requireTwoStep: true });
  relaxed = await gh.createApp({ name: 'Notes', redirectUris: [REDIRECT], scopes: ['openid', 'login:info'] });
});
afterAll(async () => { await gh?.close(); });

const authorizeParams = (clientId: string, extra: Record<string, string> = {}) => ({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state: 's1', ...extra });
const authorizePath = (clientId: string, extra: Record<string, string> = {}) => `/authorize?${new URLSearchParams(authorizeParams(clientId, extra)).toString()}`;

/** A person with a password-only session. */
async function signedIn(login: string): Promise<HttpUser> {
  const user = await gh.createUser(login, PASSWORD);
  const person = new HttpUser(gh, user.login, PASSWORD);
  await person.signIn();
  return person;
}

async function exchange(code: string, app: { clientId: string; clientSecret: string | null }) {
  const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, client_id: app.clientId, client_secret: app.clientSecret!, redirect_uri: REDIRECT });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('an app that requires two-step sign-in', () => {
  test('a user without a second factor is refused with access_denied naming why, before any consent or code', async () => {
    const ann = await signedIn('ann');
    const res = await ann.get(authorizePath(strict.clientId));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('error_description')).toMatch(/two-step sign-in/);
    expect(location.searchParams.get('state')).toBe('s1');
    expect(location.searchParams.get('code')).toBeNull();
    // The same user gets a code from an app that does not ask for it.
    expect((await ann.authorize(authorizeParams(relaxed.clientId))).location.searchParams.get('code')).not.toBeNull();
  });

  test('a consent POST forged with a one-factor session issues nothing', async () => {
    const bob = await signedIn('bob');
    // The consent form of the relaxed app gives Bob a valid CSRF token; he aims it at the strict app.
    const consent = await (await bob.get(authorizePath(relaxed.clientId, { state: 'x' }))).text();
    const forged = { ...hiddenFields(consent), client_id: strict.clientId, decision: 'allow' };
    const res = await bob.post('/authorize', forged);
    const location = new URL(res.headers.get('location')!, gh.url);
    expect(location.searchParams.get('code')).toBeNull();
    expect(location.searchParams.get('error')).toBe('access_denied');
  });

  test('prompt=none with a one-factor session answers interaction_required', async () => {
    const cleo = await signedIn('cleo');
    await enrol(cleo, clock);
    const res = await cleo.get(authorizePath(strict.clientId, { prompt: 'none' }));
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('interaction_required');
    expect(location.searchParams.get('code')).toBeNull();
  });

  test('a user with an authenticator app is asked for a code, then the app gets a code and an id_token with acr 2', async () => {
    const dora = await signedIn('dora');
    const { key } = await enrol(dora, clock);
    const res = await dora.get(authorizePath(strict.clientId, { scope: 'openid login:info', nonce: 'n1' }));
    expect(res.status).toBe(302);
    const stepUp = res.headers.get('location')!;
    expect(stepUp).toMatch(/^\/login\/two-step\?/);
    const page = await dora.get(stepUp);
    expect(page.status).toBe(200);
    clock.advance(30_000);
    const done = await dora.post('/login/two-step', { ...hiddenFields(await page.text()), code: totpCode(key, clock()) });
    expect(done.status).toBe(303);
    const back = done.headers.get('location')!;
    expect(back).toMatch(/^\/authorize\?/);
    const consent = await dora.get(back);
    const decided = await dora.post('/authorize', { ...hiddenFields(await consent.text()), decision: 'allow' });
    const code = new URL(decided.headers.get('location')!).searchParams.get('code')!;
    const tokens = await exchange(code, strict);
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.body.id_token!).payload).toMatchObject({ acr: '2', amr: ['pwd', 'otp', 'mfa'] });
  });
});

describe('acr_values', () => {
  test('acr_values=2 asks a user without a second factor in vain: access_denied naming why; 1, or values Gatehouse does not know, ask for nothing', async () => {
    const eve = await signedIn('eve');
    const refused = new URL((await eve.get(authorizePath(relaxed.clientId, { scope: 'openid login:info', acr_values: '2' }))).headers.get('location')!);
    expect(refused.searchParams.get('error')).toBe('access_denied');
    expect(refused.searchParams.get('error_description')).toMatch(/acr_values|two-step/);
    for (const acr of ['1', 'urn:example:unknown', '1 2']) {
      const { location } = await eve.authorize(authorizeParams(relaxed.clientId, { scope: 'openid login:info', acr_values: acr }));
      expect(location.searchParams.get('code'), acr).not.toBeNull();
    }
  });

  test('acr_values=2 sends a user with a second factor to the second step', async () => {
    const fay = await signedIn('fay');
    await enrol(fay, clock);
    const res = await fay.get(authorizePath(relaxed.clientId, { scope: 'openid login:info', acr_values: '2' }));
    expect(res.headers.get('location')).toMatch(/^\/login\/two-step\?/);
  });
});

describe('the device flow', () => {
  test('approving a device for an app that requires two-step sign-in without a second factor is refused: the page says why and the device gets access_denied', async () => {
    const tv = await gh.createApp({ name: 'Ledger TV', redirectUris: [], platforms: ['tv'], scopes: ['login:info'], requireTwoStep: true });
    const started = (await (await postForm(`${gh.url}/device/code`, { client_id: tv.clientId })).json()) as { device_code: string; user_code: string };
    const gus = await signedIn('gus');
    const form = hiddenFields(await (await gus.get(`/device?user_code=${started.user_code}`)).text());
    const res = await gus.post('/device', { ...form, user_code: started.user_code });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/two-step sign-in/);
    clock.advance(10_000);
    const poll = await postForm(`${gh.url}/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: started.device_code, client_id: tv.clientId });
    expect(((await poll.json()) as { error: string }).error).toBe('access_denied');
  });
});
