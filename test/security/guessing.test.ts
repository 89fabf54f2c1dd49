/**
 * Guessing limits (issue 10, RFC 9700 §4.1 on brute force, RFC 8628 §5.1):
 * passwords per account, user codes on /device. Every attempt is counted in
 * storage before it is checked, so neither a run of guesses nor a burst of
 * parallel ones gets more than the limit checked. Passwords follow NIST SP
 * 800-63B §5.2.2 and OWASP's device cookies (issue 15): browsers that signed
 * in to the account before keep working while unknown ones are limited.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SignInGuard } from '../../src/accounts/sign-in-guard.js';
import { Users } from '../../src/accounts/users.js';
import { listAuditEntries } from '../../src/audit/audit-log.js';
import { sha256Hex, type SecretHash } from '../../src/crypto/random.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields } from '../helpers/http-client.js';
import { DeviceClient, Person, PASSWORD } from '../flows/support.js';
import { gatehouseCli, type Run } from '../cli/support.js';

const clock = testClock();
let gh: TestGatehouse;

beforeAll(async () => {
  // The address limit is set small here (default 200 an hour) to show a neighbour using it up.
  gh = await startGatehouse({ clock, config: { limits: { loginPerIp: { max: 30, windowMs: 3600_000 } } } });
});

/** `gatehouse …` as an operator runs it, on this server's database. */
function runCli(args: string[]): Promise<Run> {
  return gatehouseCli({ GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_DATABASE_URL: gh.ctx.config.databaseUrl }, args);
}
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

describe('password guessing per account (NIST SP 800-63B §5.2.2, OWASP device cookies)', { timeout: 300_000 }, () => {
  test('from browsers without the account’s device cookie, the 21st wrong password in an hour is refused without being checked, and so is the right one', async () => {
    const user = await gh.createUser('guessed1');
    const { guard, checks } = countingGuard();
    for (let i = 1; i <= 20; i++) {
      expect((await guard.signIn('guessed1', `wrong ${i}`, '198.51.100.1')).ok).toBe(false);
    }
    expect(checks()).toBe(20);
    const twentyFirst = await guard.signIn('guessed1', 'wrong 21', '198.51.100.2');
    expect(twentyFirst).toEqual({ ok: false, reason: 'locked', retryAfterSeconds: 3600 });
    expect(await guard.signIn('GUESSED1', user.password, '198.51.100.3')).toMatchObject({ ok: false, reason: 'locked' });
    expect(checks()).toBe(20);
  });

  test('a burst of 100 parallel wrong passwords from unknown browsers gets at most 20 checked', async () => {
    await gh.createUser('guessed2');
    const { guard, checks } = countingGuard();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => guard.signIn('guessed2', `wrong ${i}`, `198.51.100.${i}`)));
    expect(checks()).toBe(20);
    expect(results.filter((r) => !r.ok && r.reason === 'locked')).toHaveLength(80);
  });

  test('over HTTP: after 40 wrong passwords from elsewhere, the owner’s browser that signed in before signs in at once, while a new browser gets 429 with Retry-After and a page saying why', async () => {
    const user = await gh.createUser('guessed3');
    const owner = new Person(gh, 'guessed3', user.password, '127.0.0.41');
    await owner.signIn();
    const device = owner.jar.get('gatehouse_device');
    expect(device).toMatch(/^[A-Za-z0-9_.~-]+$/);
    expect(device).not.toContain('guessed3');
    owner.jar.set('gatehouse_session', undefined);

    const { guard } = countingGuard();
    for (let i = 1; i <= 40; i++) await guard.signIn('guessed3', `wrong ${i}`, '198.51.100.9');

    const stranger = new Person(gh, 'guessed3', user.password, '127.0.0.42');
    const page = await stranger.get('/login');
    const refused = await stranger.post('/login', { ...hiddenFields(await page.text()), login: 'guessed3', password: user.password });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3600');
    expect(await refused.text()).toContain('Too many');
    // Repeated refusals are counted in one entry that keeps its first time, so look among the recent ones.
    const entries = await listAuditEntries(gh.ctx, { login: 'guessed3', action: 'sign_in', limit: 10 });
    expect(entries.find((e) => e.ip === '127.0.0.42')).toMatchObject({ outcome: 'refused', ip: '127.0.0.42', details: { reason: 'locked' } });

    await owner.signIn();
    expect(owner.jar.get('gatehouse_session')).toBeDefined();
    clock.advance(3600_000);
    await new Person(gh, 'guessed3', user.password, '127.0.0.43').signIn();
  });

  test('the device cookie is HttpOnly, SameSite=Lax, kept for a year, and set only by a successful sign-in', async () => {
    const user = await gh.createUser('cookied');
    const person = new Person(gh, 'cookied', 'not the password', '127.0.0.44');
    const form = hiddenFields(await (await person.get('/login')).text());
    const failed = await person.post('/login', { ...form, login: 'cookied', password: 'not the password' });
    expect(failed.status).toBe(401);
    expect(failed.headers.getSetCookie().some((c) => c.startsWith('gatehouse_device='))).toBe(false);
    const ok = await person.post('/login', { ...form, login: 'cookied', password: user.password });
    expect(ok.status).toBe(303);
    const cookie = ok.headers.getSetCookie().find((c) => c.startsWith('gatehouse_device='));
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Max-Age=31536000/i);
  });

  test('a forged device cookie, or one naming another account, counts as no device cookie', async () => {
    const user = await gh.createUser('guessed4');
    await gh.createUser('neighbour4');
    const neighbour = await new Person(gh, 'neighbour4', PASSWORD, '127.0.0.45').signIn();
    const owner = await new Person(gh, 'guessed4', user.password, '127.0.0.46').signIn();
    const { guard } = countingGuard();
    for (let i = 1; i <= 20; i++) await guard.signIn('guessed4', `wrong ${i}`, '198.51.100.10');

    const tryWith = async (device: string) => {
      const person = new Person(gh, 'guessed4', user.password, '127.0.0.47');
      person.jar.set('gatehouse_device', device);
      const page = await person.get('/login');
      return (await person.post('/login', { ...hiddenFields(await page.text()), login: 'guessed4', password: user.password })).status;
    };
    expect(await tryWith(neighbour.jar.get('gatehouse_device')!)).toBe(429);
    const real = owner.jar.get('gatehouse_device')!;
    const forged = real.slice(0, -2) + (real.endsWith('AA') ? 'BB' : 'AA');
    expect(await tryWith(forged)).toBe(429);
    expect(await tryWith(real)).toBe(303);
  });

  test('a device cookie’s own wrong passwords are limited too (10 an hour): past that, that browser counts as unknown', async () => {
    const user = await gh.createUser('guessed5');
    const { guard, checks } = countingGuard();
    for (let i = 1; i <= 20; i++) await guard.signIn('guessed5', `wrong ${i}`, '198.51.100.11');
    const device = 'a-stolen-device-id';
    for (let i = 1; i <= 10; i++) expect(await guard.signIn('guessed5', `device wrong ${i}`, '198.51.100.12', device)).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(checks()).toBe(30);
    expect(await guard.signIn('guessed5', user.password, '198.51.100.12', device)).toMatchObject({ ok: false, reason: 'locked' });
    expect(checks()).toBe(30);
    expect(await guard.signIn('guessed5', user.password, '198.51.100.12', 'the-owners-device')).toMatchObject({ ok: true });
  });

  test('another client at the owner’s address using up the address limit does not stop the owner’s browser', async () => {
    const user = await gh.createUser('guessed6');
    const owner = await new Person(gh, 'guessed6', user.password, '127.0.0.48').signIn();
    const { guard } = countingGuard();
    for (let i = 1; i <= 40; i++) await guard.signIn(`someone${i}`, 'wrong', '127.0.0.48');
    const neighbour = new Person(gh, 'guessed6', user.password, '127.0.0.48');
    const page = await neighbour.get('/login');
    expect((await neighbour.post('/login', { ...hiddenFields(await page.text()), login: 'guessed6', password: user.password })).status).toBe(429);
    owner.jar.set('gatehouse_session', undefined);
    await owner.signIn();
  });

  test('after 100 failures in a row the account is locked: unknown browsers are refused even with the right password and told to reset it by mail or ask an operator, the owner’s browser still gets in, and `gatehouse user unlock` lifts it', async () => {
    const user = await gh.createUser('guessed7');
    const owner = await new Person(gh, 'guessed7', user.password, '127.0.0.49').signIn();
    owner.jar.set('gatehouse_session', undefined);
    const { guard, checks } = countingGuard();
    for (let hour = 0; hour < 5; hour++) {
      for (let i = 1; i <= 20; i++) expect((await guard.signIn('guessed7', `wrong ${hour}/${i}`, `198.51.100.${20 + hour}`)).ok).toBe(false);
      clock.advance(3600_000);
    }
    expect(checks()).toBe(100);
    expect(await guard.signIn('guessed7', user.password, '198.51.100.30')).toEqual({ ok: false, reason: 'needs_reset' });
    clock.advance(24 * 3600_000);
    expect(await guard.signIn('guessed7', user.password, '198.51.100.30')).toEqual({ ok: false, reason: 'needs_reset' });
    expect(checks()).toBe(100);

    const stranger = new Person(gh, 'guessed7', user.password, '127.0.0.50');
    for (const lang of ['en', 'ru']) {
      const page = await stranger.get(`/login?lang=${lang}`);
      const refused = await stranger.post('/login', { ...hiddenFields(await page.text()), login: 'guessed7', password: user.password });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBeNull();
      const text = await refused.text();
      expect(text).toContain(lang === 'en' ? 'with “Forgot your password?” below, or ask an operator' : 'по ссылке «Забыли пароль?» ниже или попросите администратора');
      expect(text).toContain('href="/login/forgot');
      expect(text).not.toMatch(/minutes|мин\./);
    }

    const unlock = await runCli(['user', 'unlock', '--login', 'guessed7']);
    expect(unlock.stderr).toBe('');
    expect(unlock.code).toBe(0);
    expect(await guard.signIn('guessed7', user.password, '198.51.100.30')).toMatchObject({ ok: true });
  });

  test('the owner’s browser is never refused by someone else’s failures, even after 100 in a row, and its sign-in ends the lock', async () => {
    const user = await gh.createUser('guessed8');
    const owner = await new Person(gh, 'guessed8', user.password, '127.0.0.51').signIn();
    owner.jar.set('gatehouse_session', undefined);
    const { guard } = countingGuard();
    for (let hour = 0; hour < 5; hour++) {
      for (let i = 1; i <= 20; i++) await guard.signIn('guessed8', `wrong ${hour}/${i}`, '198.51.100.40');
      clock.advance(3600_000);
    }
    expect(await guard.signIn('guessed8', user.password, '198.51.100.41')).toEqual({ ok: false, reason: 'needs_reset' });
    await owner.signIn();
    expect(await guard.signIn('guessed8', user.password, '198.51.100.41')).toMatchObject({ ok: true });
  });

  test('an operator unlocks a locked account on /admin: the user’s page says it is locked and offers “Unlock sign-in”, which lifts it', async () => {
    const user = await gh.createUser('guessed9');
    await gh.ctx.users.create({ login: 'operator9', password: PASSWORD, isAdmin: true });
    const { guard } = countingGuard();
    for (let hour = 0; hour < 5; hour++) {
      for (let i = 1; i <= 20; i++) await guard.signIn('guessed9', `wrong ${hour}/${i}`, '198.51.100.50');
      clock.advance(3600_000);
    }
    expect(await guard.signIn('guessed9', user.password, '198.51.100.51')).toEqual({ ok: false, reason: 'needs_reset' });

    const operator = await new Person(gh, 'operator9', PASSWORD, '127.0.0.60').signIn();
    const page = await (await operator.get(`/admin/users/${user.id}`)).text();
    expect(page).toContain('Unlock sign-in');
    const res = await operator.post(`/admin/users/${user.id}/unlock_sign_in`, hiddenFields(page));
    expect(res.status).toBe(303);
    expect(await (await operator.get(`/admin/users/${user.id}`)).text()).not.toContain('Unlock sign-in');
    expect(await guard.signIn('guessed9', user.password, '198.51.100.51')).toMatchObject({ ok: true });
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

  test('a right password\'s reset commits with what the sign-in writes in the same unit, or not at all', async () => {
    const user = await gh.createUser('together');
    const { guard } = countingGuard();
    const storage = gh.ctx.storage;
    const counted = () => storage.peekAttempts('login:account:together', gh.ctx.limits.loginPerAccount.windowMs, clock());
    const session = (n: number) => ({
      hash: sha256Hex(`together ${n}`), userId: user.id, authTime: clock(), amr: ['pwd'], createdAt: clock(), lastSeenAt: clock(),
      expiresAt: clock() + 3600_000, userAgent: null, ip: null,
    });
    // The unit fails after its session was written: the session is gone, and the attempt still counts.
    await expect(guard.signIn('together', user.password, '198.51.100.210', null, async () => {
      await storage.createSession(session(1));
      throw new Error('the page failed');
    })).rejects.toThrow('the page failed');
    expect(await storage.findSession(session(1).hash as SecretHash, clock())).toBeNull();
    expect(await counted()).toBe(1);
    // It succeeds: both are written, and the caller gets what its unit returned.
    const result = await guard.signIn('together', user.password, '198.51.100.210', null, async () => {
      await storage.createSession(session(2));
      return 'signed in';
    });
    expect(result).toMatchObject({ ok: true, value: 'signed in' });
    expect(await storage.findSession(session(2).hash as SecretHash, clock())).not.toBeNull();
    expect(await counted()).toBe(0);
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
