/**
 * Guessing limits (issue 10, RFC 9700 §4.1 on brute force, RFC 8628 §5.1):
 * passwords per account, user codes on /device. Every attempt is counted in
 * storage before it is checked, so neither a run of guesses nor a burst of
 * parallel ones gets more than the limit checked.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SignInGuard } from '../../src/accounts/sign-in-guard.js';
import { Users } from '../../src/accounts/users.js';
import { listAuditEntries } from '../../src/audit/audit-log.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields } from '../helpers/http-client.js';
import { DeviceClient, Person, PASSWORD } from '../flows/support.js';

const clock = testClock();
let gh: TestGatehouse;

beforeAll(async () => {
  gh = await startGatehouse({ clock });
});
afterAll(async () => {
  await gh?.close();
});

/** A SignInGuard over the server's own storage that counts password checks and never sleeps. */
function countingGuard(): { guard: SignInGuard; checks: () => number } {
  let checks = 0;
  const users = new Users(gh.ctx.storage, clock);
  const authenticate = users.authenticate.bind(users);
  users.authenticate = async (login, password) => {
    checks++;
    return authenticate(login, password);
  };
  return { guard: new SignInGuard(gh.ctx.storage, users, clock, gh.ctx.limits, async () => {}), checks: () => checks };
}

describe('password guessing per account (default limit: 40 an hour)', { timeout: 300_000 }, () => {
  test('the 41st wrong password in a row is refused without the password being checked, and so is the right one', async () => {
    const user = await gh.createUser('guessed1');
    const { guard, checks } = countingGuard();
    for (let i = 1; i <= 40; i++) {
      expect((await guard.signIn('guessed1', `wrong ${i}`, '198.51.100.1')).ok).toBe(false);
    }
    expect(checks()).toBe(40);
    const forty1st = await guard.signIn('guessed1', 'wrong 41', '198.51.100.2');
    expect(forty1st).toEqual({ ok: false, reason: 'locked', retryAfterSeconds: 3600 });
    expect(await guard.signIn('GUESSED1', user.password, '198.51.100.3')).toMatchObject({ ok: false, reason: 'locked' });
    expect(checks()).toBe(40);
  });

  test('a burst of 100 parallel wrong passwords gets at most 40 checked', async () => {
    await gh.createUser('guessed2');
    const { guard, checks } = countingGuard();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => guard.signIn('guessed2', `wrong ${i}`, `198.51.100.${i}`)));
    expect(checks()).toBe(40);
    expect(results.filter((r) => !r.ok && r.reason === 'locked')).toHaveLength(60);
  });

  test('over HTTP: once locked, the right password gets 429 with Retry-After, a clear page and an audit entry; an hour later the owner signs in', async () => {
    const user = await gh.createUser('guessed3');
    const { guard } = countingGuard();
    for (let i = 1; i <= 40; i++) await guard.signIn('guessed3', `wrong ${i}`, '198.51.100.9');
    const person = new Person(gh, 'guessed3', user.password, '127.0.0.41');
    const page = await person.get('/login');
    const res = await person.post('/login', { ...hiddenFields(await page.text()), login: 'guessed3', password: user.password });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3600');
    expect(await res.text()).toContain('Too many');
    const [entry] = await listAuditEntries(gh.ctx, { login: 'guessed3', action: 'sign_in', limit: 1 });
    expect(entry).toMatchObject({ outcome: 'refused', ip: '127.0.0.41', details: { reason: 'locked' } });
    clock.advance(3600_000);
    await new Person(gh, 'guessed3', user.password, '127.0.0.42').signIn();
  });

  test('a right password forgives its own attempt: signing in often from one address never locks it (address limit set to 5 here)', async () => {
    await gh.createUser('regular');
    const users = new Users(gh.ctx.storage, clock);
    const guard = new SignInGuard(gh.ctx.storage, users, clock, { ...gh.ctx.limits, loginPerIp: { max: 5, windowMs: 3600_000 } });
    for (let i = 0; i < 10; i++) {
      expect((await guard.signIn('regular', PASSWORD, '198.51.100.200')).ok, `sign-in ${i + 1}`).toBe(true);
    }
    expect(await guard.signIn('regular', 'wrong', '198.51.100.200')).toMatchObject({ ok: false, reason: 'bad_credentials' });
  });
});

describe('user codes on /device (default limit: 10 wrong codes in 10 minutes per session and per address)', { timeout: 300_000 }, () => {
  test('30 parallel wrong codes from one session: at most 10 are looked up, the rest and then the right code get 429', async () => {
    const app = await gh.createApp({ name: 'Guessing TV', platforms: ['tv'] });
    const tv = new DeviceClient(gh, app.clientId, app.clientSecret);
    const started = await tv.start();
    await gh.createUser('coder');
    const mallory = await new Person(gh, 'coder', PASSWORD, '127.0.0.51').signIn();
    const form = hiddenFields(await (await mallory.get('/device')).text());
    const answers = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const res = await mallory.post('/device', { ...form, user_code: `WXYZ-${String(2000 + i).replace(/[01]/g, '2')}` });
      return res.status;
    }));
    expect(answers.filter((s) => s === 400)).toHaveLength(10);
    expect(answers.filter((s) => s === 429)).toHaveLength(20);
    expect((await mallory.typeCode(started.user_code)).status).toBe(429);
  });

  test('a decision sent with a guessed code counts as a guess too', async () => {
    await gh.createUser('decider');
    const mallory = await new Person(gh, 'decider', PASSWORD, '127.0.0.52').signIn();
    const form = hiddenFields(await (await mallory.get('/device')).text());
    for (let i = 0; i < 10; i++) {
      expect((await mallory.post('/device', { ...form, user_code: 'BCDF-GHJK', decision: 'allow' })).status).toBe(400);
    }
    expect((await mallory.post('/device', { ...form, user_code: 'BCDF-GHJK', decision: 'allow' })).status).toBe(429);
  });

  test('right codes are forgiven: one person approving 15 devices from one address is never limited', async () => {
    const app = await gh.createApp({ name: 'Busy TV', platforms: ['tv'] });
    const tv = new DeviceClient(gh, app.clientId, app.clientSecret);
    await gh.createUser('installer');
    const installer = await new Person(gh, 'installer', PASSWORD, '127.0.0.53').signIn();
    for (let i = 0; i < 15; i++) {
      const started = await tv.start();
      expect((await installer.decide(started.user_code, 'allow')).status, `device ${i + 1}`).toBe(200);
    }
  });
});
