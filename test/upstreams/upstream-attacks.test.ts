/**
 * Signing in through another identity provider, attacked as outsiders do it,
 * over real HTTP between real servers: a second Gatehouse is the upstream (an
 * OpenID Connect provider found by discovery), a third one a second upstream
 * for mix-ups, and a local server speaking GitHub's documented OAuth for
 * addresses GitHub marks unverified. Runs on SQLite and on PostgreSQL: every
 * defence here is a row used once, or a count, in the database.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, pkcePair, postForm } from '../helpers/http-client.js';
import { totpCode } from '../helpers/two-step.js';
import { addGatehouseUpstream, authorizeAt, pathOf, Visitor } from '../helpers/upstreams.js';

let gh: TestGatehouse;
let corp: TestGatehouse;
let other: TestGatehouse;
let github: FakeGitHub;

beforeAll(async () => {
  [gh, corp, other] = await Promise.all([
    startGatehouse({ config: { limits: { upstreamCallbackPerIp: { max: 30, windowMs: 3_600_000 } } } }),
    startGatehouse(),
    startGatehouse(),
  ]);
  await addGatehouseUpstream(gh, corp, 'corp');
  // A second upstream whose app at `other` also accepts corp's callback: an upstream an attacker runs can send anything anywhere.
  await addGatehouseUpstream(gh, other, 'other', { extraRedirectUris: [`${gh.url}/upstream/corp/callback`] });
  github = await startFakeGitHub(() => `${gh.url}/upstream/github/callback`);
  await gh.ctx.upstreams.add({
    name: 'github', kind: 'github', clientId: github.clientId, clientSecret: github.clientSecret, linkVerifiedEmail: true,
    authorizationEndpoint: `${github.url}/login/oauth/authorize`, tokenEndpoint: `${github.url}/login/oauth/access_token`, userinfoEndpoint: `${github.url}/user`,
  }, { type: 'operator' });
});
afterAll(async () => {
  await Promise.all([gh?.close(), corp?.close(), other?.close(), github?.close()]);
});

/** Whether the visitor is signed in at gh now, and as whom. */
async function signedInAs(v: Visitor): Promise<string | null> {
  const res = await v.get('/account');
  if (res.status !== 200) return null;
  return /<p class="muted" translate="no">([^<]+)<\/p>/.exec(await res.text())?.[1] ?? null;
}

describe('a sign-in through a second Gatehouse (OpenID Connect, discovery)', () => {
  test('a new identity ends on the confirmation page; confirming creates the account, signed in with amr fed; the next sign-in recognises it', async () => {
    const person = await corp.createUser(undefined, undefined, { email: `ann${Date.now()}@corp.example`, firstName: 'Ann', lastName: 'Lee' });
    const v = new Visitor(gh);
    const back = await authorizeAt(corp, person, await v.start('corp'));
    expect(back.searchParams.get('iss')).toBe(corp.url);
    let res = await v.get(pathOf(back));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/upstream/register');
    res = await v.get('/upstream/register');
    const page = await res.text();
    expect(page).toContain('Ann Lee');
    expect(page).toContain(person.defaultEmail!);
    const login = /name="login"[^>]* value="([^"]+)"/.exec(page)![1]!;
    res = await v.post('/upstream/register', { ...hiddenFields(page), login });
    expect(res.status).toBe(303);
    expect(await signedInAs(v)).toBe(login);
    const user = (await gh.ctx.storage.findUserByLogin(login))!;
    expect(user.passwordHash).toBeNull();
    // The upstream said the address is verified (a confirmed address of corp): it counts as confirmed here too.
    expect(user.confirmedEmails).toEqual([person.defaultEmail!.toLowerCase()]);
    const session = (await gh.ctx.storage.listSessionsOfUser(user.id, Date.now()))[0]!;
    expect(session.amr).toEqual(['fed']);

    // What apps see: Gatehouse's own tokens and id_token, amr fed; nothing of corp's tokens.
    const app = await gh.createApp({ scopes: ['openid', 'login:info'] });
    const { verifier, challenge } = pkcePair();
    const { location } = await v.authorize({ response_type: 'code', client_id: app.clientId, redirect_uri: 'http://127.0.0.1:9999/callback', scope: 'openid login:info', code_challenge: challenge, code_challenge_method: 'S256', nonce: 'n1' });
    const token = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:9999/callback', code_verifier: verifier }, { authorization: basicAuth(app.clientId, app.clientSecret!) });
    const tokens = (await token.json()) as { access_token: string; id_token: string };
    expect(tokens.access_token).toMatch(/^gate_at_/);
    const claims = decodeJwt(tokens.id_token);
    expect(claims.iss).toBe(gh.url);
    expect(claims.amr).toEqual(['fed']);
    const info = (await (await fetch(`${gh.url}/info?format=json`, { headers: { authorization: `OAuth ${tokens.access_token}` } })).json()) as { login: string };
    expect(info.login).toBe(login);

    const again = new Visitor(gh);
    res = await again.get(pathOf(await authorizeAt(corp, person, await again.start('corp'))));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account');
    expect(await signedInAs(again)).toBe(login);
    const audit = await gh.ctx.storage.listAudit({ userId: user.id, limit: 20 });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['sign_up', 'upstream_linked', 'sign_in']));
    expect(audit.filter((e) => e.action === 'sign_in').every((e) => e.details.method === 'upstream' && e.details.upstream === 'corp')).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(tokens.access_token);
  });

  test('two browsers signing up one upstream account at once make one account; the other is refused and leaves none behind', async () => {
    const person = await corp.createUser(undefined, undefined, { email: `twin${Date.now()}@corp.example` });
    const pages: { v: Visitor; page: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const v = new Visitor(gh);
      const back = await authorizeAt(corp, person, await v.start('corp'));
      expect((await v.get(pathOf(back))).headers.get('location')).toBe('/upstream/register');
      pages.push({ v, page: await (await v.get('/upstream/register')).text() });
    }
    const before = new Set((await gh.ctx.storage.listUsers({ limit: 10_000 })).map((u) => u.id));
    const answers = await Promise.all(pages.map(({ v, page }, i) => v.post('/upstream/register', { ...hiddenFields(page), login: `twin-${i}-${Date.now() % 100000}` })));
    expect(answers.map((a) => a.status).sort()).toEqual([303, 403]);
    const created = (await gh.ctx.storage.listUsers({ limit: 10_000 })).filter((u) => !before.has(u.id));
    expect(created).toHaveLength(1);
    expect(await gh.ctx.storage.upstreams.listIdentities(created[0]!.id)).toHaveLength(1);
  });

  test('a user with a second factor still takes the second step after a federated sign-in, and ends with amr fed otp mfa', async () => {
    const person = await corp.createUser();
    const v = new Visitor(gh);
    await v.get(pathOf(await authorizeAt(corp, person, await v.start('corp'))));
    const page = await (await v.get('/upstream/register')).text();
    const login = /name="login"[^>]* value="([^"]+)"/.exec(page)![1]!;
    expect((await v.post('/upstream/register', { ...hiddenFields(page), login })).status).toBe(303);
    const local = (await gh.ctx.storage.findUserByLogin(login))!;
    const enrolment = (await gh.ctx.twoStep.enrolment(local))!;
    expect((await gh.ctx.twoStep.confirm(local, totpCode(enrolment.secret, Date.now()), { type: 'operator' }, null)).ok).toBe(true);

    const next = new Visitor(gh);
    const res = await next.get(pathOf(await authorizeAt(corp, person, await next.start('corp'))));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login\/two-step/);
    expect(await signedInAs(next)).toBeNull();
    const step = await (await next.get(res.headers.get('location')!)).text();
    const done = await next.post('/login/two-step', { ...hiddenFields(step), code: totpCode(enrolment.secret, Date.now() + 30_000) });
    expect(done.status).toBe(303);
    expect(await signedInAs(next)).toBe(login);
    const sessions = await gh.ctx.storage.listSessionsOfUser(local.id, Date.now());
    expect(sessions.map((x) => x.amr)).toContainEqual(['otp', 'fed', 'mfa']);
  });
});

describe('attacks on the callback', () => {
  test('refuses an answer delivered to another browser: the state is bound to the browser that started (RFC 9700 §4.7.1)', async () => {
    const person = await corp.createUser();
    const victim = new Visitor(gh);
    const back = await authorizeAt(corp, person, await victim.start('corp'));
    // The attacker's browser has sign-ins of its own under way (so a browser id of its own), just not this one.
    const attacker = new Visitor(gh);
    await attacker.start('corp');
    const res = await attacker.get(pathOf(back));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('does not belong to a sign-in started in this browser');
    expect(await signedInAs(attacker)).toBeNull();
  });

  test('refuses a replayed callback: a state is used once', async () => {
    const person = await corp.createUser();
    const v = new Visitor(gh);
    const back = await authorizeAt(corp, person, await v.start('corp'));
    expect((await v.get(pathOf(back))).status).toBe(303);
    const replay = new Visitor(gh);
    // The same browser (its cookies) replays the same answer.
    for (const name of ['gatehouse_webauthn']) replay.jar.set(name, v.jar.get(name));
    const res = await replay.get(pathOf(back));
    expect(res.status).toBe(400);
    expect(await signedInAs(replay)).toBeNull();
  });

  test('refuses a state issued for another upstream: each upstream has its own callback and its own states (RFC 9700 §4.4.2)', async () => {
    const person = await other.createUser();
    const v = new Visitor(gh);
    const corpRequest = await v.start('corp');
    const otherRequest = await v.start('other');
    // The answer of `other` carrying the state of the sign-in started at corp, at other's callback.
    otherRequest.searchParams.set('state', corpRequest.searchParams.get('state')!);
    const back = await authorizeAt(other, person, otherRequest);
    const res = await v.get(pathOf(back));
    expect(res.status).toBe(400);
    expect(await signedInAs(v)).toBeNull();
  });

  test('refuses an answer at corp\'s callback that names another issuer (mix-up, RFC 9207), before its code goes anywhere', async () => {
    const person = await other.createUser();
    const v = new Visitor(gh);
    const corpRequest = await v.start('corp');
    // `other` sends its user back to corp's callback with corp's state, as a mix-up attacker's upstream does.
    const forged = new URL(`${other.url}/authorize`);
    for (const [k, val] of corpRequest.searchParams) forged.searchParams.set(k, val);
    const otherApp = (await gh.ctx.upstreams.find('other'))!;
    forged.searchParams.set('client_id', otherApp.clientId);
    const back = await authorizeAt(other, person, forged);
    expect(back.pathname).toBe('/upstream/corp/callback');
    expect(back.searchParams.get('iss')).toBe(other.url);
    const res = await v.get(pathOf(back));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('came from another provider');
    expect(await signedInAs(v)).toBeNull();
    // The code was never sent to corp (nor anywhere): other still takes it.
    const otherSecret = gh.ctx.upstreams.settings(otherApp).clientSecret;
    const token = await postForm(`${other.url}/token`, { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: `${gh.url}/upstream/corp/callback`, code_verifier: 'x'.repeat(43) }, { authorization: basicAuth(otherApp.clientId, otherSecret) });
    expect(((await token.json()) as { error?: string }).error).toBe('invalid_grant');
    expect(token.status).toBe(400);
  });

  test('refuses an id_token carrying the nonce of another sign-in (OIDC Core §3.1.3.7)', async () => {
    const mallory = await corp.createUser();
    const v = new Visitor(gh);
    const request = await v.start('corp');
    // Mallory authorizes the victim's request at corp with a nonce of her own choosing.
    request.searchParams.set('nonce', 'mallory-chose-this-nonce');
    const back = await authorizeAt(corp, mallory, request);
    const res = await v.get(pathOf(back));
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('did not pass Gatehouse’s checks');
    expect(await signedInAs(v)).toBeNull();
    expect(await gh.ctx.storage.upstreams.findIdentity('corp', mallory.id)).toBeNull();
  });

  test('refuses an answer whose code was issued for another PKCE verifier (code injection, RFC 9700 §4.5)', async () => {
    const mallory = await corp.createUser();
    const attacker = new Visitor(gh);
    const own = await authorizeAt(corp, mallory, await attacker.start('corp'));
    const victim = new Visitor(gh);
    const victimRequest = await victim.start('corp');
    const injected = new URL(own);
    injected.searchParams.set('state', victimRequest.searchParams.get('state')!);
    const res = await victim.get(pathOf(injected));
    expect(res.status).toBe(502);
    expect(await signedInAs(victim)).toBeNull();
  });
});

describe('linking by address', () => {
  test('never links by a verified address when the operator did not turn that on for the upstream', async () => {
    const email = `victim${Date.now()}@example.org`;
    const victim = await gh.createUser(undefined, undefined, { email });
    const impostor = await corp.createUser(undefined, undefined, { email });
    const v = new Visitor(gh);
    const res = await v.get(pathOf(await authorizeAt(corp, impostor, await v.start('corp'))));
    expect(res.headers.get('location')).toBe('/upstream/register');
    expect(await signedInAs(v)).toBeNull();
    expect(await gh.ctx.storage.upstreams.listIdentities(victim.id)).toEqual([]);
  });

  test('links by a verified address once the operator turned it on (so the refusal above is the setting\'s doing)', async () => {
    const email = `owner${Date.now()}@example.org`;
    const owner = await gh.createUser(undefined, undefined, { email });
    const same = await corp.createUser(undefined, undefined, { email });
    await gh.ctx.upstreams.update('corp', { linkVerifiedEmail: true }, { type: 'operator' });
    try {
      const v = new Visitor(gh);
      const res = await v.get(pathOf(await authorizeAt(corp, same, await v.start('corp'))));
      expect(res.status).toBe(303);
      expect(await signedInAs(v)).toBe(owner.login);
      const audit = await gh.ctx.storage.listAudit({ userId: owner.id, limit: 10 });
      expect(audit.find((e) => e.action === 'upstream_linked')?.details.how).toBe('verified_email');
    } finally {
      await gh.ctx.upstreams.update('corp', { linkVerifiedEmail: false }, { type: 'operator' });
    }
  });

  test('never links by an address the upstream marks unverified, even where linking by verified address is on (GitHub preset)', async () => {
    const email = `target${Date.now()}@example.org`;
    const target = await gh.createUser(undefined, undefined, { email });
    github.next = { id: 7_000_001, login: 'mallory', name: 'Mallory', email, emails: [{ email, primary: true, verified: false, visibility: 'public' }] };
    const v = new Visitor(gh);
    const start = await v.start('github');
    const back = await fetch(start, { redirect: 'manual' });
    const res = await v.get(pathOf(new URL(back.headers.get('location')!)));
    expect(res.headers.get('location')).toBe('/upstream/register');
    expect(await signedInAs(v)).toBeNull();
    expect(await gh.ctx.storage.upstreams.listIdentities(target.id)).toEqual([]);
    const page = await (await v.get('/upstream/register')).text();
    expect(page).toContain('not confirmed');
  });
});

describe('garbage at the callback', () => {
  test('anything at a real upstream\'s callback and start ends on a page, never a 5xx, never echoed', async () => {
    const v = new Visitor(gh);
    await v.start('corp');
    const mark = '<x-upstream>';
    const queries = [
      '', 'state=', `state=${encodeURIComponent(mark)}`, `code=a&code=b&state=c&state=d`, `state=${'A'.repeat(5000)}`, `error=${encodeURIComponent(mark)}&error_description=${encodeURIComponent(mark)}`,
      `iss=${encodeURIComponent(mark)}&code=x&state=y`, 'state=%zz', `state=\u0000&code=\r\n`,
    ];
    for (const q of queries) {
      const res = await v.get(`/upstream/corp/callback?${q}`);
      const body = await res.text();
      expect(res.status, q).toBeGreaterThanOrEqual(400);
      expect(res.status, q).toBeLessThan(500);
      expect(body, q).not.toContain(mark);
    }
    for (const q of [`return_to=${encodeURIComponent('https://evil.example/')}`, `display=${encodeURIComponent(mark)}`, 'return_to=a&return_to=b']) {
      const res = await v.get(`/upstream/corp/start?${q}`);
      expect(res.status, q).toBe(303);
      expect(res.headers.get('location')!.startsWith(`${corp.url}/authorize?`), q).toBe(true);
    }
  });
});

describe('limits', () => {
  test('sign-ins started at upstreams are limited per address: each keeps a row', async () => {
    const limited = await startGatehouse({ config: { limits: { upstreamStartPerIp: { max: 2, windowMs: 3_600_000 } } } });
    try {
      await addGatehouseUpstream(limited, corp, 'corp');
      const v = new Visitor(limited);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await v.get('/upstream/corp/start')).status);
      expect(statuses).toEqual([303, 303, 429, 429]);
    } finally {
      await limited.close();
    }
  });

  test('the callback is limited like sign-in: failed answers from one network are counted, then refused unchecked (429)', async () => {
    const limited = await startGatehouse({ config: { limits: { upstreamCallbackPerIp: { max: 3, windowMs: 3_600_000 } } } });
    try {
      await addGatehouseUpstream(limited, corp, 'corp');
      const v = new Visitor(limited);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await v.get(`/upstream/corp/callback?code=x&state=guess${i}`)).status);
      expect(statuses).toEqual([400, 400, 400, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
