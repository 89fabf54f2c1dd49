/**
 * The passkey part of the storage contract (src/storage/passkey-store.ts):
 * credentials kept as registered, listed, renamed and removed by their owner
 * only, their use recorded only while the counter moves forward and the key
 * still exists; WebAuthn challenges used once however many race, only by the
 * browser and for the purpose they were issued for, dead after expiry.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { sha256Hex } from '../../src/crypto/random.js';
import type { PasskeyRecord, WebAuthnChallengeRecord } from '../../src/storage/passkey-store.js';
import type { Storage, UserRecord } from '../../src/storage/storage.js';
import type { Millis, UserId } from '../../src/types.js';
import type { OpenedStorage } from './contract.js';

const T0: Millis = 1_700_000_000_000;
const MINUTE = 60_000;

export function passkeyContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage contract, passkeys: ${name}`, () => {
    let opened: OpenedStorage;
    let s: Storage;
    let seq = 0;
    const user = (over: Partial<UserRecord> = {}): UserRecord => ({
      id: String(100000000000900 + ++seq) as UserId, login: `keyholder${seq}`, passwordHash: null, firstName: null, lastName: null,
      displayName: null, sex: null, birthday: null, emails: [], defaultEmail: null, confirmedEmails: [], defaultPhone: null,
      confirmedPhone: null, avatarId: null, isDeveloper: false, isAdmin: false, status: 'active', createdAt: T0 + seq, updatedAt: T0 + seq, ...over,
    });
    const passkey = (userId: UserId, over: Partial<PasskeyRecord> = {}): PasskeyRecord => ({
      id: `cred-${++seq}-${'A'.repeat(40)}`, userId, publicKey: 'pQECAyYgASFYIB', counter: 0, transports: ['internal', 'hybrid'],
      aaguid: '00000000-0000-0000-0000-000000000000', backupEligible: true, backedUp: false, userVerified: true,
      name: `Phone ${seq}`, createdAt: T0 + seq, lastUsedAt: null, ...over,
    });
    const challenge = (over: Partial<WebAuthnChallengeRecord> = {}): WebAuthnChallengeRecord => ({
      hash: sha256Hex(`challenge ${++seq}`), browser: sha256Hex('browser A'), purpose: 'sign_in', userId: null,
      createdAt: T0, expiresAt: T0 + 5 * MINUTE, consumedAt: null, ...over,
    });

    beforeEach(async () => {
      opened = await open();
      s = opened.storage;
    });
    afterEach(async () => {
      await opened.close();
    });

    test('keeps a credential as registered, lists a user\'s oldest first, and never registers one id twice', async () => {
      const ada = user();
      const bob = user();
      await s.createUser(ada);
      await s.createUser(bob);
      const first = passkey(ada.id, { id: 'x'.repeat(1364), backedUp: true, lastUsedAt: T0 + 9 });
      const second = passkey(ada.id, { backupEligible: false, userVerified: false, transports: ['usb'] });
      expect(await s.passkeys.addPasskey(second)).toBe(true);
      expect(await s.passkeys.addPasskey(first)).toBe(true);
      expect(await s.passkeys.findPasskey(first.id)).toEqual(first);
      expect(await s.passkeys.listPasskeys(ada.id)).toEqual([first, second].sort((a, b) => a.createdAt - b.createdAt));
      // The same credential id for another user (a key replayed into a second account) is refused; the first stays.
      expect(await s.passkeys.addPasskey({ ...first, userId: bob.id })).toBe(false);
      expect((await s.passkeys.findPasskey(first.id))?.userId).toBe(ada.id);
      expect(await s.passkeys.listPasskeys(bob.id)).toEqual([]);
      expect(await s.passkeys.findPasskey('nope')).toBeNull();
    });

    test('renames and removes a credential for its owner only', async () => {
      const ada = user();
      const bob = user();
      await s.createUser(ada);
      await s.createUser(bob);
      const key = passkey(ada.id);
      await s.passkeys.addPasskey(key);
      expect(await s.passkeys.renamePasskey(bob.id, key.id, 'Mine now')).toBe(false);
      expect(await s.passkeys.deletePasskey(bob.id, key.id)).toBe(false);
      expect(await s.passkeys.renamePasskey(ada.id, key.id, 'Laptop')).toBe(true);
      expect((await s.passkeys.findPasskey(key.id))?.name).toBe('Laptop');
      expect(await s.passkeys.deletePasskey(ada.id, key.id)).toBe(true);
      expect(await s.passkeys.findPasskey(key.id)).toBeNull();
      expect(await s.passkeys.deletePasskey(ada.id, key.id)).toBe(false);
    });

    test('records a use only while the counter moves forward, once among racers, and never for a removed key', async () => {
      const ada = user();
      await s.createUser(ada);
      const synced = passkey(ada.id);
      const counting = passkey(ada.id, { counter: 5 });
      await s.passkeys.addPasskey(synced);
      await s.passkeys.addPasskey(counting);
      // A key that keeps no counter: 0 stays 0, every use counts.
      expect(await s.passkeys.recordPasskeyUse(synced.id, { counter: 0, backedUp: true, at: T0 + 1 })).toBe(true);
      expect(await s.passkeys.findPasskey(synced.id)).toMatchObject({ counter: 0, backedUp: true, lastUsedAt: T0 + 1 });
      expect(await s.passkeys.recordPasskeyUse(synced.id, { counter: 0, backedUp: true, at: T0 + 2 })).toBe(true);
      // A counting key: an old or repeated counter is refused (a cloned key), and of racers with the same counter one wins.
      expect(await s.passkeys.recordPasskeyUse(counting.id, { counter: 5, backedUp: false, at: T0 + 3 })).toBe(false);
      const other = opened.reopen ? await opened.reopen() : s;
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? other : s).passkeys.recordPasskeyUse(counting.id, { counter: 6, backedUp: false, at: T0 + 4 })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await s.passkeys.findPasskey(counting.id)).toMatchObject({ counter: 6, lastUsedAt: T0 + 4 });
      await s.passkeys.deletePasskey(ada.id, counting.id);
      expect(await s.passkeys.recordPasskeyUse(counting.id, { counter: 7, backedUp: false, at: T0 + 5 })).toBe(false);
    });

    test('a challenge is used once however many race, also across connections', async () => {
      const fresh = challenge();
      await s.passkeys.createWebAuthnChallenge(fresh);
      const other = opened.reopen ? await opened.reopen() : s;
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? other : s).passkeys.consumeWebAuthnChallenge(fresh.hash, fresh.browser, 'sign_in', T0 + 1)));
      expect(results.filter((r) => r.outcome === 'consumed')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'already_consumed')).toHaveLength(7);
      expect(results.find((r) => r.outcome === 'consumed')).toEqual({ outcome: 'consumed', record: { ...fresh, consumedAt: T0 + 1 } });
    });

    test('a challenge is refused to another browser, for another purpose, after expiry, and when unknown', async () => {
      const ada = user();
      await s.createUser(ada);
      const forA = challenge({ purpose: 'register', userId: ada.id });
      await s.passkeys.createWebAuthnChallenge(forA);
      expect(await s.passkeys.consumeWebAuthnChallenge(forA.hash, sha256Hex('browser B'), 'register', T0 + 1)).toEqual({ outcome: 'not_found' });
      expect(await s.passkeys.consumeWebAuthnChallenge(forA.hash, forA.browser, 'sign_in', T0 + 1)).toEqual({ outcome: 'not_found' });
      expect(await s.passkeys.consumeWebAuthnChallenge(forA.hash, forA.browser, 'register', forA.expiresAt)).toEqual({ outcome: 'not_found' });
      expect(await s.passkeys.consumeWebAuthnChallenge(sha256Hex('unknown'), forA.browser, 'register', T0)).toEqual({ outcome: 'not_found' });
      // Those refusals did not use it up: its own browser still can, in time.
      expect(await s.passkeys.consumeWebAuthnChallenge(forA.hash, forA.browser, 'register', T0 + 2)).toMatchObject({ outcome: 'consumed', record: { userId: ada.id } });
    });

    test('clean-up drops challenges past expiry only', async () => {
      const old = challenge({ expiresAt: T0 + 1 });
      const live = challenge();
      await s.passkeys.createWebAuthnChallenge(old);
      await s.passkeys.createWebAuthnChallenge(live);
      expect(await s.passkeys.deleteExpiredWebAuthnChallenges(T0 + 2)).toBe(1);
      expect((await s.passkeys.consumeWebAuthnChallenge(live.hash, live.browser, 'sign_in', T0 + 3)).outcome).toBe('consumed');
    });
  });
}
