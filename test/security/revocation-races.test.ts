/**
 * Revocation is final (RFC 9700 §2.2.2, §4.14; RFC 7009 §2.1): with refreshes
 * in flight, every way of ending access — "revoke access" on /account, a
 * password change, "sign out everywhere", an operator blocking the user or the
 * app, the owner changing the app's scopes, the user deleting their account —
 * leaves no working token behind.
 * Each path is raced by several refresh loops over real HTTP, in several
 * rounds (public clients, whose refresh tokens rotate, and confidential ones,
 * which keep theirs); afterwards every access token ever issued is refused by
 * /info (and the newest of each loop by /userinfo and /introspect), every
 * loop's refresh token by /token, and an unused authorization code and an
 * approved device code from before the revocation by /token too. A block is
 * lifted again before the check: lifting it must not bring a token back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClientId } from '../../src/types.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, HttpUser, pkcePair, postForm } from '../helpers/http-client.js';
import { DeviceClient, PASSWORD } from '../flows/support.js';

const LOOPS = 4;
const ROUNDS = 4;
const clock = testClock();
let gh: TestGatehouse;
let operator: HttpUser;
let seq = 0;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  await gh.ctx.users.create({ login: 'operator', password: PASSWORD, isAdmin: true });
  operator = new HttpUser(gh, 'operator', PASSWORD);
  await operator.signIn();
});
afterAll(async () => {
  await gh?.close();
});

/** One round's cast: a user signed in on a browser, and the app they use. */
interface Round {
  user: HttpUser;
  userId: string;
  clientId: string;
  secret: string | null;
  /** The app's `Authorization` header, or its client_id in the form for a public client. */
  auth(): { form: Record<string, string>; headers: Record<string, string> };
}

async function newRound(confidential: boolean): Promise<Round> {
  const login = `racer${++seq}`;
  const created = await gh.ctx.users.create({ login, password: PASSWORD, isDeveloper: true });
  const app = await gh.createApp({ name: `Racing ${seq}`, ownerId: created.id, platforms: confidential ? ['web'] : ['desktop'] });
  const user = new HttpUser(gh, login, PASSWORD);
  await user.signIn();
  const secret = app.clientSecret;
  return {
    user, userId: created.id, clientId: app.clientId, secret,
    auth: () => secret === null
      ? { form: { client_id: app.clientId }, headers: {} }
      : { form: {}, headers: { authorization: basicAuth(app.clientId, secret) } },
  };
}

async function token(r: Round, form: Record<string, string>): Promise<{ status: number; body: Record<string, string> }> {
  const { form: extra, headers } = r.auth();
  const res = await postForm(`${gh.url}/token`, { ...form, ...extra }, headers);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** A code from /authorize (PKCE for the public client), not yet exchanged. */
async function code(r: Round): Promise<{ code: string; verifier: string }> {
  const pkce = pkcePair();
  const c = await r.user.code({ response_type: 'code', client_id: r.clientId, code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  return { code: c, verifier: pkce.verifier };
}

async function exchange(r: Round, c: { code: string; verifier: string }) {
  return token(r, { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier });
}

/** A device authorization the user approved on /device, not yet polled for. */
async function approvedDeviceCode(r: Round): Promise<string> {
  const started = await new DeviceClient(gh, r.clientId, r.secret).start();
  const form = hiddenFields(await (await r.user.get('/device')).text());
  const confirm = await r.user.post('/device', { ...form, user_code: started.user_code });
  const page = await confirm.text();
  expect(confirm.status, page.slice(0, 300)).toBe(200);
  const done = await r.user.post('/device', { ...hiddenFields(page), decision: 'allow' });
  expect(done.status).toBe(200);
  return started.device_code;
}

/** Everything the loops were given. */
interface Issued {
  access: string[];
  /** Each loop's newest refresh token and access token. */
  newest: { refresh: string; access: string }[];
}

/**
 * LOOPS refresh loops, each on its own authorization, refreshing as fast as
 * answers come; `revoke` runs once each loop has refreshed twice. A loop stops
 * at its first refusal, or a while after the revocation if none comes.
 */
async function raceRefreshes(r: Round, revoke: () => Promise<void>): Promise<Issued> {
  const issued: Issued = { access: [], newest: [] };
  for (let i = 0; i < LOOPS; i++) {
    const first = await exchange(r, await code(r));
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    issued.access.push(first.body.access_token!);
    issued.newest.push({ refresh: first.body.refresh_token!, access: first.body.access_token! });
  }
  let revokedAt = Infinity;
  let refreshes = 0;
  const warmedUp = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (refreshes >= 2 * LOOPS) {
        clearInterval(check);
        resolve();
      }
    }, 1);
  });
  const loop = async (i: number) => {
    for (let n = 0; n < 400 && Date.now() < revokedAt + 300; n++) {
      const answer = await token(r, { grant_type: 'refresh_token', refresh_token: issued.newest[i]!.refresh });
      if (answer.status !== 200) {
        expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
        return;
      }
      refreshes++;
      issued.access.push(answer.body.access_token!);
      issued.newest[i] = { refresh: answer.body.refresh_token!, access: answer.body.access_token! };
    }
  };
  const loops = Array.from({ length: LOOPS }, (_, i) => loop(i));
  await Promise.race([warmedUp, Promise.all(loops)]);
  await revoke();
  revokedAt = Date.now();
  await Promise.all(loops);
  return issued;
}

/** What still works after the revocation: each entry is a surviving credential. */
async function survivors(r: Round, issued: Issued, pending: { code: string; verifier: string }, deviceCode: string): Promise<string[]> {
  const alive: string[] = [];
  for (const access of issued.access) {
    const res = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${access}` } });
    await res.arrayBuffer();
    if (res.status !== 401) alive.push(`access token (/info ${res.status})`);
  }
  for (const { access } of issued.newest) {
    const userinfo = await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${access}` } });
    await userinfo.arrayBuffer();
    if (userinfo.status !== 401) alive.push(`access token (/userinfo ${userinfo.status})`);
    if (r.secret !== null) {
      const res = await postForm(`${gh.url}/introspect`, { token: access }, { authorization: basicAuth(r.clientId, r.secret) });
      const body = (await res.json()) as { active?: boolean };
      if (body.active !== false) alive.push('access token (/introspect active)');
    }
  }
  for (const { refresh } of issued.newest) {
    const answer = await token(r, { grant_type: 'refresh_token', refresh_token: refresh });
    if (answer.status === 200) alive.push('refresh token');
    else expect(answer.body.error).toBe('invalid_grant');
  }
  const exchanged = await exchange(r, pending);
  if (exchanged.status === 200) alive.push('authorization code');
  else expect(exchanged.body.error).toBe('invalid_grant');
  clock.advance(10_000);
  const polled = await new DeviceClient(gh, r.clientId, r.secret).poll(deviceCode);
  if (polled.status === 200) alive.push('device code');
  else expect(['invalid_grant', 'access_denied', 'expired_token']).toContain(polled.body.error);
  return alive;
}

/** Submits a form that asks for confirmation first, confirmed. */
async function confirmedPost(browser: HttpUser, formPage: string, path: string, form: Record<string, string>): Promise<void> {
  const { csrf } = hiddenFields(await (await browser.get(formPage)).text());
  const res = await browser.post(path, { csrf: csrf!, confirmed: 'yes', ...form });
  expect(res.status, `${path}: ${(await res.text()).slice(0, 300)}`).toBe(303);
}

const PATHS: Record<string, (r: Round) => Promise<void>> = {
  '"revoke access" on /account': (r) => confirmedPost(r.user, '/account', '/account/apps/revoke', { client_id: r.clientId }),
  'a password change on /account': (r) => confirmedPost(r.user, '/account', '/account/password', { current_password: PASSWORD, new_password: `${PASSWORD} 2` }),
  '"sign out everywhere" on /account': (r) => confirmedPost(r.user, '/account', '/account/sign-out-everywhere', {}),
  'an operator blocking the user (then unblocking)': async (r) => {
    await confirmedPost(operator, '/admin', `/admin/users/${r.userId}/block`, {});
    await confirmedPost(operator, '/admin', `/admin/users/${r.userId}/unblock`, {});
  },
  'an operator blocking the app (then unblocking)': async (r) => {
    await confirmedPost(operator, '/admin/apps', `/admin/apps/${r.clientId}/block`, {});
    await confirmedPost(operator, '/admin/apps', `/admin/apps/${r.clientId}/unblock`, {});
  },
  'the user deleting their account on /account': async (r) => {
    // The racer develops the app; an account that owns apps is not deleted by its owner, so the operator takes it over first.
    const owner = await gh.ctx.storage.findUserByLogin('operator');
    await gh.ctx.storage.updateApp(r.clientId as ClientId, { ownerId: owner!.id });
    const { csrf } = hiddenFields(await (await r.user.get('/account')).text());
    const res = await r.user.post('/account/delete', { csrf: csrf!, current_password: PASSWORD, understood: 'yes' });
    expect(res.status, (await res.text()).slice(0, 300)).toBe(303);
  },
  "the owner changing the app's scopes on /console": async (r) => {
    const app = (await gh.ctx.storage.findApp(r.clientId as ClientId))!;
    await confirmedPost(r.user, `/console/apps/${r.clientId}/edit`, `/console/apps/${r.clientId}/edit`, {
      name: app.name, redirect_uris: app.redirectUris.join('\n'), platform: app.platforms.map((p) => p.type).join(' '),
      'scope:login:info': 'required', 'scope:login:email': 'required', 'scope:login:avatar': 'optional', ttl: String(app.accessTokenTtlSeconds),
    });
  },
};

describe(`revocation with ${LOOPS} refresh loops in flight, ${ROUNDS} rounds per path`, { timeout: 300_000 }, () => {
  for (const [path, revoke] of Object.entries(PATHS)) {
    test(`${path} leaves no working token, code or device code (RFC 9700 §4.14)`, async () => {
      const found: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Refusals count towards the app's failure limit: each round is a new app, a minute later.
        clock.advance(61_000);
        const r = await newRound(round % 2 === 1);
        const pending = await code(r);
        const deviceCode = await approvedDeviceCode(r);
        const issued = await raceRefreshes(r, () => revoke(r));
        const alive = await survivors(r, issued, pending, deviceCode);
        found.push(...alive.map((a) => `round ${round} (${r.secret === null ? 'public' : 'confidential'}, ${issued.access.length} tokens): ${a}`));
      }
      expect(found).toEqual([]);
    });
  }
});
