/**
 * Attacks on two-step sign-in (issue 16), from outside, over real HTTP against
 * a real Gatehouse (SQLite, and PostgreSQL in the postgres project): someone
 * who knows the password but not the code, a half-done sign-in cookie taken
 * elsewhere, a code replayed or raced, a guesser, a stolen session.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';
import { enrol, secondStep, stepStart, totpCode } from '../helpers/two-step.js';
import { twoStepUrl } from '../../src/http/pending-sign-in.js';
import { discover, login, OIDC_SCOPES, REDIRECT } from '../oidc/support.js';

const PASSWORD = 'correct horse battery';
const clock = testClock(stepStart());
let gh: TestGatehouse;
let seq = 0;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
});
afterAll(async () => {
  await gh?.close();
});

/** A user with two-step sign-in turned on from /account; signed out afterwards. */
async function enrolledUser(): Promise<{ user: HttpUser; key: string; recoveryCodes: string[]; id: string }> {
  const created = await gh.createUser(`twostep${++seq}`, PASSWORD);
  const owner = new HttpUser(gh, created.login, PASSWORD);
  await owner.signIn();
  const { key, recoveryCodes } = await enrol(owner, clock);
  // The code used to turn it on belongs to this step: the next sign-in needs the next one.
  clock.advance(30_000);
  return { user: new HttpUser(gh, created.login, PASSWORD), key, recoveryCodes, id: created.id };
}

async function sessionsOf(id: string) {
  return gh.ctx.storage.listSessionsOfUser(id as never, clock());
}

describe('a half-done sign-in (password right, code not yet given)', () => {
  test('opens nothing: no session, /account and /authorize still send to sign in', async () => {
    const { user, id } = await enrolledUser();
    const before = (await sessionsOf(id)).length;
    const res = await user.post('/login', { ...hiddenFields(await (await user.get('/login')).text()), login: user.login, password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login/two-step');
    expect(user.jar.get('gatehouse_session')).toBeUndefined();
    expect(user.jar.get('gatehouse_pending')).toBeDefined();
    expect((await sessionsOf(id)).length).toBe(before);
    const account = await user.get('/account');
    expect(account.status).toBe(302);
    expect(account.headers.get('location')).toMatch(/^\/login\?/);
    const app = await gh.createApp({ name: 'Two-step victim app' });
    const authorize = await user.get(`/authorize?response_type=code&client_id=${app.clientId}`);
    expect(authorize.status).toBe(302);
    expect(authorize.headers.get('location')).toMatch(/^\/login\?/);
  });

  test('of one user cannot finish as another: the code is checked against the held user only', async () => {
    const a = await enrolledUser();
    const b = await enrolledUser();
    await a.user.signIn();
    // B's right code, and every field that could name B, sent with A's half-done sign-in.
    const res = await secondStep(a.user, totpCode(b.key, clock()), { login: b.user.login, username: b.user.login, user_id: b.id });
    expect(res.status).toBe(401);
    expect(a.user.jar.get('gatehouse_session')).toBeUndefined();
    // B's cookie in A's browser finishes as B only, with B's code: the cookie names the user, nothing else does.
    await b.user.signIn();
    a.user.jar.set('gatehouse_pending', b.user.jar.get('gatehouse_pending'));
    expect((await secondStep(a.user, totpCode(a.key, clock()))).status).toBe(401);
  });

  test('a made-up or edited cookie is no half-done sign-in', async () => {
    const { user } = await enrolledUser();
    await user.signIn();
    const real = user.jar.get('gatehouse_pending')!;
    const [v, iv, tag, body] = real.split('.');
    const flipped = `${v}.${iv}.${tag}.${body!.slice(0, -2)}${body!.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const forged of [flipped, 'v1.x.y.z', '{"p":"pending sign-in"}', 'A'.repeat(5000)]) {
      user.jar.set('gatehouse_pending', forged);
      const page = await user.get('/login/two-step');
      expect(page.status, forged.slice(0, 20)).toBe(302);
      expect(page.headers.get('location')).toMatch(/^\/login\?/);
    }
  });

  test('dies after 10 minutes, and with a new password', async () => {
    const { user, id } = await enrolledUser();
    await user.signIn();
    clock.advance(10 * 60_000 + 1);
    const late = await secondStep(user, totpCode((await enrolledKey(id))!, clock()));
    expect(late.status).toBe(400);
    expect(user.jar.get('gatehouse_session')).toBeUndefined();

    await user.signIn();
    const found = (await gh.ctx.storage.findUserById(id as never))!;
    await gh.ctx.users.changePassword(found, 'another long password');
    expect((await secondStep(user, totpCode((await enrolledKey(id))!, clock()))).status).toBe(400);
    expect(user.jar.get('gatehouse_session')).toBeUndefined();
  });
});

/** The user's key, read from storage (a test's shortcut for "the phone"). */
async function enrolledKey(id: string): Promise<string | null> {
  const found = await gh.ctx.storage.twoStep.findTotp(id as never);
  return found ? gh.ctx.secrets.open(found.secretSealed) : null;
}

describe('codes', () => {
  test('a right code signs in with amr pwd+otp+mfa; the same code in the same 30 s step is refused (RFC 6238 §5.2)', async () => {
    const { user, key, id } = await enrolledUser();
    await user.signIn('/account');
    const code = totpCode(key, clock());
    const res = await secondStep(user, code);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account');
    expect(user.jar.get('gatehouse_pending')).toBeUndefined();
    const [session] = await sessionsOf(id);
    expect(session!.amr).toEqual(['pwd', 'otp', 'mfa']);

    // Seen over a shoulder and typed within the same step: refused.
    const thief = new HttpUser(gh, user.login, PASSWORD);
    await thief.signIn();
    const replay = await secondStep(thief, code);
    expect(replay.status).toBe(401);
    expect(await replay.text()).toContain('used already');
    expect(thief.jar.get('gatehouse_session')).toBeUndefined();
    // The previous step's code neither (it is older than the one used).
    expect((await secondStep(thief, totpCode(key, clock() - 30_000))).status).toBe(401);
    // The next step's code works.
    clock.advance(30_000);
    expect((await secondStep(thief, totpCode(key, clock()))).status).toBe(303);
  });

  test('two browsers racing with the same right code: exactly one is signed in', async () => {
    const { key, user } = await enrolledUser();
    const browsers = Array.from({ length: 6 }, () => new HttpUser(gh, user.login, PASSWORD));
    for (const b of browsers) await b.signIn();
    const code = totpCode(key, clock());
    const answers = await Promise.all(browsers.map((b) => secondStep(b, code)));
    expect(answers.map((r) => r.status).sort()).toEqual([303, 401, 401, 401, 401, 401]);
    expect(browsers.filter((b) => b.jar.get('gatehouse_session') !== undefined)).toHaveLength(1);
  });

  test('wrong codes are limited per account: past the limit even the right code gets 429 with Retry-After; audited', async () => {
    const { user, key, id } = await enrolledUser();
    await user.signIn();
    const { max, windowMs } = gh.ctx.limits.twoStepPerAccount;
    const right = totpCode(key, clock());
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < max; i++) expect((await secondStep(user, wrong)).status).toBe(401);
    // Another browser with the password shares the account's budget.
    const other = new HttpUser(gh, user.login, PASSWORD);
    await other.signIn();
    const limited = await secondStep(other, right);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe(windowMs / 1000);
    expect(other.jar.get('gatehouse_session')).toBeUndefined();
    const failures = await gh.ctx.storage.listAudit({ userId: id as never, action: 'sign_in' });
    expect(failures.some((e) => e.outcome === 'failed' && e.details.step === 'second')).toBe(true);
    expect(failures.some((e) => e.outcome === 'refused' && e.details.reason === 'limited')).toBe(true);
    expect(JSON.stringify(failures)).not.toContain(right);
    clock.advance(windowMs);
    await other.signIn();
    expect((await secondStep(other, totpCode(key, clock()))).status).toBe(303);
  });

  test('a recovery code signs in once; the second time it is refused; audited without the code', async () => {
    const { user, recoveryCodes, id } = await enrolledUser();
    expect(recoveryCodes).toHaveLength(10);
    await user.signIn();
    expect((await secondStep(user, recoveryCodes[0]!.toUpperCase())).status).toBe(303);
    const again = new HttpUser(gh, user.login, PASSWORD);
    await again.signIn();
    expect((await secondStep(again, recoveryCodes[0]!)).status).toBe(401);
    expect((await secondStep(again, recoveryCodes[1]!.replace(/-/g, ''))).status).toBe(303);
    const used = await gh.ctx.storage.listAudit({ userId: id as never, action: 'recovery_code_used' });
    expect(used.map((e) => e.details.left).sort()).toEqual([8, 9]);
    expect(JSON.stringify(await gh.ctx.storage.listAudit({ userId: id as never }))).not.toMatch(new RegExp(recoveryCodes.join('|')));
  });
});

describe('on /account, with a session', () => {
  async function signedIn() {
    const e = await enrolledUser();
    await e.user.signIn();
    expect((await secondStep(e.user, totpCode(e.key, clock()))).status).toBe(303);
    clock.advance(30_000);
    return e;
  }

  test('turning off needs the password and a current code; either alone is refused', async () => {
    const { user, key, id } = await signedIn();
    const csrf = user.jar.get('gatehouse_csrf')!;
    expect((await user.post('/account/two-step/off', { csrf, password: PASSWORD })).status).toBe(401);
    expect((await user.post('/account/two-step/off', { csrf, password: 'wrong password', code: totpCode(key, clock()) })).status).toBe(400);
    expect((await user.post('/account/two-step/off', { csrf, code: totpCode(key, clock()) })).status).toBe(400);
    expect((await enrolledKey(id))).not.toBeNull();
    const off = await user.post('/account/two-step/off', { csrf, password: PASSWORD, code: totpCode(key, clock()) });
    expect(off.status).toBe(303);
    expect(await enrolledKey(id)).toBeNull();
    const audit = await gh.ctx.storage.listAudit({ userId: id as never, action: 'two_step_disabled' });
    expect(audit[0]).toMatchObject({ outcome: 'ok', details: { by: 'user' } });
    // Signing in is one step again.
    const later = new HttpUser(gh, user.login, PASSWORD);
    await later.signIn();
    expect(later.jar.get('gatehouse_session')).toBeDefined();
  });

  test('new recovery codes need a code and kill the old ones', async () => {
    const { user, key, recoveryCodes } = await signedIn();
    const csrf = user.jar.get('gatehouse_csrf')!;
    expect((await user.post('/account/two-step/recovery-codes', { csrf })).status).toBe(401);
    const res = await user.post('/account/two-step/recovery-codes', { csrf, code: totpCode(key, clock()) });
    expect(res.status).toBe(200);
    const fresh = [...(await res.text()).matchAll(/<li>([a-z0-9-]{14})<\/li>/g)].map((m) => m[1]!);
    expect(fresh).toHaveLength(10);
    const next = new HttpUser(gh, user.login, PASSWORD);
    await next.signIn();
    expect((await secondStep(next, recoveryCodes[5]!)).status).toBe(401);
    expect((await secondStep(next, fresh[0]!)).status).toBe(303);
  });

  test('a stolen session cannot turn on a second factor without the password', async () => {
    const created = await gh.createUser(`victim${++seq}`, PASSWORD);
    const thief = new HttpUser(gh, created.login, PASSWORD);
    await thief.signIn();
    const page = await (await thief.get('/account/two-step/setup')).text();
    const key = /id="totp-key"[^>]*>([A-Z2-7 ]+)</.exec(page)![1]!;
    const res = await thief.post('/account/two-step/setup', { ...hiddenFields(page), code: totpCode(key, clock()) });
    expect(res.status).toBe(400);
    expect((await gh.ctx.storage.twoStep.findTotp(created.id))?.status).toBe('pending');
  });

  test('every two-step form refuses a request without the CSRF token', async () => {
    const { user, key } = await signedIn();
    for (const path of ['/account/two-step/setup', '/account/two-step/off', '/account/two-step/recovery-codes', '/login/two-step', '/login/two-step/setup']) {
      const res = await user.post(path, { password: PASSWORD, code: totpCode(key, clock()) });
      expect(res.status, path).toBe(403);
    }
    const cross = await postForm(`${gh.url}/login/two-step`, { csrf: user.jar.get('gatehouse_csrf')!, code: '123456' }, { cookie: user.jar.header(), origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
  });
});

describe('step-up: a one-factor session becomes two-factor', () => {
  test('the signed-in user gives a code and gets a new session with amr pwd+otp+mfa; the old one is gone', async () => {
    const created = await gh.createUser(`stepup${++seq}`, PASSWORD);
    const user = new HttpUser(gh, created.login, PASSWORD);
    await user.signIn();
    const oneFactor = user.jar.get('gatehouse_session');
    // Without a second factor there is nothing to step up with.
    expect((await user.get(twoStepUrl('/account'))).status).toBe(403);
    const { key } = await enrol(user, clock);
    clock.advance(30_000);
    const [before] = await sessionsOf(created.id);
    expect(before!.amr).toEqual(['pwd']);
    const page = await user.get(twoStepUrl('/account?x=1'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('autocomplete="one-time-code"');
    const res = await secondStep(user, totpCode(key, clock()));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account?x=1');
    expect(user.jar.get('gatehouse_session')).not.toBe(oneFactor);
    const after = await sessionsOf(created.id);
    expect(after.map((s) => s.amr)).toEqual([['pwd', 'otp', 'mfa']]);
    // Already two-factor: straight on.
    const again = await user.get(twoStepUrl('/account'));
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe('/account');
  });

  test('a step-up held in one browser cannot finish after that session ended', async () => {
    const { user, key } = await enrolledUser();
    await user.signIn();
    expect((await secondStep(user, totpCode(key, clock()))).status).toBe(303);
    clock.advance(30_000);
    // A one-factor session of the same user, its step-up started, then signed out.
    const oneFactor = new HttpUser(gh, user.login, PASSWORD);
    const signedIn = (await gh.ctx.storage.findUserByLogin(user.login))!;
    await gh.ctx.storage.twoStep.deleteTwoStep(signedIn.id);
    await oneFactor.signIn();
    const again = await enrol(oneFactor, clock);
    clock.advance(30_000);
    expect((await oneFactor.get(twoStepUrl('/'))).status).toBe(200);
    await oneFactor.post('/logout', { csrf: oneFactor.jar.get('gatehouse_csrf')! });
    const res = await secondStep(oneFactor, totpCode(again.key, clock()));
    expect(res.status).toBe(400);
    expect(oneFactor.jar.get('gatehouse_session')).toBeUndefined();
  });
});

describe('what apps see (RFC 8176)', () => {
  test('an id_token after a sign-in with password and code says amr ["pwd","otp","mfa"] and acr "2"', async () => {
    const { user, key } = await enrolledUser();
    await user.signIn();
    expect((await secondStep(user, totpCode(key, clock()))).status).toBe(303);
    const created = await gh.createApp({ name: 'Two-step relying party', redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
    const config = await discover(gh, created.clientId, created.clientSecret!);
    // The test clock has run ahead of real time (other tests moved it on): openid-client checks times at Gatehouse's clock.
    config[client.clockSkew] = Math.round((clock() - Date.now()) / 1000);
    const { claims } = await login(config, user);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe('2');
  });
});

describe('where the sign-in was going', () => {
  test('a popup sign-in stays a popup, and a long return_to (too long for the cookie) survives the second step, still only a local path', async () => {
    const { user, key } = await enrolledUser();
    const longReturn = `/authorize?state=${'s'.repeat(3000)}`;
    const login = await user.get(`/login?display=popup&return_to=${encodeURIComponent(longReturn)}`);
    const res = await user.post('/login', { ...hiddenFields(await login.text()), display: 'popup', login: user.login, password: PASSWORD });
    expect(res.status).toBe(303);
    const next = new URL(res.headers.get('location')!, gh.url);
    expect(next.pathname).toBe('/login/two-step');
    expect(next.searchParams.get('display')).toBe('popup');
    expect(next.searchParams.get('return_to')).toBe(longReturn);
    const page = await (await user.get(next.pathname + next.search)).text();
    expect(page).toContain('<body class="popup');
    const fields = hiddenFields(page);
    expect(fields.return_to).toBe(longReturn);
    const done = await user.post('/login/two-step', { ...fields, code: totpCode(key, clock()) });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(longReturn);
    // A return_to swapped for another site in the form is no redirect there.
    clock.advance(30_000);
    const again = new HttpUser(gh, user.login, PASSWORD);
    await again.get(`/login?return_to=${encodeURIComponent(longReturn)}`);
    await again.post('/login', { csrf: again.jar.get('gatehouse_csrf')!, login: user.login, password: PASSWORD, return_to: longReturn });
    const swapped = await secondStep(again, totpCode(key, clock()), { return_to: 'https://evil.example/' });
    expect(swapped.status).toBe(303);
    expect(swapped.headers.get('location')).toBe('/');
  });
});
