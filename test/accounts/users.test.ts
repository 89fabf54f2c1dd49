/** Accounts: creating users and checking passwords. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validateEmail, validateLogin, validatePassword } from '../../src/accounts/users.js';
import { verifyPassword } from '../../src/crypto/passwords.js';
import { sha256Hex } from '../../src/crypto/random.js';
import { InputError } from '../../src/errors.js';
import type { UserRecord } from '../../src/storage/storage.js';
import { openCore, PASSWORD, type Core } from '../helpers/core.js';

let core: Core;
let alice: UserRecord;
beforeAll(async () => {
  core = await openCore();
  alice = await core.ctx.users.create({ login: 'Alice.Smith', password: PASSWORD, email: 'alice@example.org', firstName: ' Alice ', lastName: 'Smith', isDeveloper: true });
});
afterAll(async () => { await core?.close(); });

describe('users', () => {
  test('are stored with a lowercased login, profile and an argon2id password hash', async () => {
    const stored = await core.ctx.storage.findUserById(alice.id);
    expect(stored).toMatchObject({
      login: 'alice.smith', firstName: 'Alice', lastName: 'Smith', displayName: 'Alice Smith',
      emails: ['alice@example.org'], defaultEmail: 'alice@example.org', isDeveloper: true, isAdmin: false, status: 'active',
    });
    expect(stored!.passwordHash).toMatch(/^\$argon2id\$v=19\$/);
    expect(stored!.passwordHash).not.toContain(PASSWORD);
    expect(await verifyPassword(stored!.passwordHash, PASSWORD)).toBe(true);
  });

  test('get a 15-digit decimal id, as Yandex ID\'s', () => {
    expect(alice.id).toMatch(/^[1-9]\d{14}$/);
  });

  test('are displayed by login when they have no name', async () => {
    const bare = await core.ctx.users.create({ login: 'bare', password: PASSWORD });
    expect(bare).toMatchObject({ displayName: 'bare', firstName: null, emails: [], defaultEmail: null });
  });

  test('cannot take a login that differs from another only in case', async () => {
    await expect(core.ctx.users.create({ login: 'ALICE.smith', password: PASSWORD })).rejects.toThrow(/taken/);
  });

  test('of two sign-ups racing for one login, one wins and the other is told it is taken', async () => {
    const results = await Promise.allSettled([
      core.ctx.users.create({ login: 'racer', password: PASSWORD }),
      core.ctx.users.create({ login: 'RACER', password: PASSWORD }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(InputError);
  });

  describe('login rules', () => {
    test.each(['a', 'alice', 'a.b-c_d', 'A1', 'x'.repeat(40)])('accepts %s', (login) => {
      expect(validateLogin(login)).toBe(login.toLowerCase());
    });

    test.each(['', '.alice', 'alice.', '-a', 'a_', 'al ice', 'alice@example.org', 'алиса', 'x'.repeat(41)])('refuses %j', (login) => {
      expect(() => validateLogin(login)).toThrow(InputError);
    });
  });

  test('passwords have 8 to 256 characters', () => {
    expect(() => validatePassword('1234567')).toThrow(/at least 8/);
    expect(() => validatePassword('x'.repeat(257))).toThrow(/at most 256/);
    validatePassword('12345678');
    validatePassword('x'.repeat(256));
  });

  test('email addresses are checked', () => {
    expect(validateEmail('a@b.example')).toBe('a@b.example');
    for (const bad of ['a', 'a@b', '@b.example', 'a b@c.example', 'a@b.c', '<a>@b.example']) expect(() => validateEmail(bad)).toThrow(InputError);
  });

  describe('authenticate', () => {
    test('returns the user for the right login and password, in any case of the login', async () => {
      expect((await core.ctx.users.authenticate('alice.smith', PASSWORD))?.id).toBe(alice.id);
      expect((await core.ctx.users.authenticate(' ALICE.Smith ', PASSWORD))?.id).toBe(alice.id);
    });

    test('does not reveal which part was wrong', async () => {
      const wrongPassword = await core.ctx.users.authenticate('alice.smith', PASSWORD + '!');
      const unknownLogin = await core.ctx.users.authenticate('nobody', PASSWORD);
      const both = await core.ctx.users.authenticate('nobody', 'wrong password');
      expect([wrongPassword, unknownLogin, both]).toEqual([null, null, null]);
    });

    test('still verifies a hash for an unknown login, so it costs as much', async () => {
      // verifyPassword(null, …) checks against a dummy argon2id hash rather than returning at once.
      const started = performance.now();
      expect(await verifyPassword(null, PASSWORD)).toBe(false);
      expect(performance.now() - started).toBeGreaterThan(1);
    });

    test('refuses overlong input without hashing it', async () => {
      expect(await core.ctx.users.authenticate('a'.repeat(65), PASSWORD)).toBeNull();
      expect(await core.ctx.users.authenticate('alice.smith', PASSWORD + 'x'.repeat(300))).toBeNull();
    });

    test('refuses a blocked user with the right password', async () => {
      const bob = await core.ctx.users.create({ login: 'bob', password: PASSWORD });
      await core.ctx.storage.updateUser(bob.id, { status: 'blocked' });
      expect(await core.ctx.users.authenticate('bob', PASSWORD)).toBeNull();
    });
  });

  test('changing the password signs the user out everywhere else and revokes their tokens (docs/protocol.md §4)', async () => {
    const carol = await core.ctx.users.create({ login: 'carol', password: PASSWORD });
    const now = core.clock();
    const [kept, dropped] = [sha256Hex('session-kept'), sha256Hex('session-dropped')];
    for (const hash of [kept, dropped]) {
      await core.ctx.storage.createSession({ hash, userId: carol.id, authTime: now, amr: ['pwd'], createdAt: now, lastSeenAt: now, expiresAt: now + 3600_000, userAgent: null, ip: null });
    }
    const { app } = await core.app();
    const tokens = await core.ctx.tokens.issue({ app, userId: carol.id, scopes: ['login:info'], withRefresh: true });
    await core.ctx.users.changePassword(carol, 'a brand new password', { keepSession: kept });
    expect(await core.ctx.users.authenticate('carol', PASSWORD)).toBeNull();
    expect((await core.ctx.users.authenticate('carol', 'a brand new password'))?.id).toBe(carol.id);
    expect(await core.ctx.storage.findSession(kept, now)).not.toBeNull();
    expect(await core.ctx.storage.findSession(dropped, now)).toBeNull();
    expect(await core.ctx.tokens.resolve(tokens.access_token, 'access')).toBeNull();
  });
});
