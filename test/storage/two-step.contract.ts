/**
 * The two-step part of the storage contract (src/storage/two-step-store.ts):
 * an authenticator-app secret goes from pending to enabled only as the secret
 * whose code was checked; a TOTP time step is accepted once, however many
 * requests race with the same code (RFC 6238 §5.2), also across connections;
 * a recovery code is used once; regenerating codes kills the old ones.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { sha256Hex } from '../../src/crypto/random.js';
import type { Storage, UserRecord } from '../../src/storage/storage.js';
import type { Millis, UserId } from '../../src/types.js';
import type { OpenedStorage } from './contract.js';

const T0: Millis = 1_700_000_000_000;

export function twoStepContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage contract, two-step sign-in: ${name}`, () => {
    let opened: OpenedStorage;
    let s: Storage;
    let seq = 0;
    const user = async (): Promise<UserRecord> => {
      const u: UserRecord = {
        id: String(100000000000900 + ++seq) as UserId, login: `twostep${seq}`, passwordHash: null, firstName: null, lastName: null,
        displayName: null, sex: null, birthday: null, emails: [], defaultEmail: null, confirmedEmails: [], defaultPhone: null,
        confirmedPhone: null, avatarId: null, isDeveloper: false, isAdmin: false, status: 'active', createdAt: T0, updatedAt: T0,
      };
      await s.createUser(u);
      return u;
    };
    const codes = (tag: string) => Array.from({ length: 10 }, (_, i) => sha256Hex(`${tag} ${i}`));
    /** The same store on another connection when the engine has one, so races cross connections as processes do. */
    const other = async () => (opened.reopen ? await opened.reopen() : s);

    beforeEach(async () => {
      opened = await open();
      s = opened.storage;
    });
    afterEach(async () => {
      await opened.close();
    });

    test('a pending secret is replaced by a newer one, and enabling needs the very secret whose code was checked', async () => {
      const u = await user();
      expect(await s.twoStep.findTotp(u.id)).toBeNull();
      expect(await s.twoStep.savePendingTotp(u.id, 'v1.first', T0)).toBe(true);
      expect(await s.twoStep.savePendingTotp(u.id, 'v1.second', T0 + 1)).toBe(true);
      expect(await s.twoStep.findTotp(u.id)).toEqual({ userId: u.id, secretSealed: 'v1.second', status: 'pending', lastStep: null, createdAt: T0 + 1, enabledAt: null });
      // A code checked against the first secret (another tab replaced it meanwhile) enables nothing.
      expect(await s.twoStep.enableTotp(u.id, 'v1.first', 100, codes('a'), T0 + 2)).toBe(false);
      expect(await s.twoStep.countRecoveryCodes(u.id)).toBe(0);
      expect(await s.twoStep.enableTotp(u.id, 'v1.second', 100, codes('a'), T0 + 2)).toBe(true);
      expect(await s.twoStep.findTotp(u.id)).toEqual({ userId: u.id, secretSealed: 'v1.second', status: 'enabled', lastStep: 100, createdAt: T0 + 1, enabledAt: T0 + 2 });
      expect(await s.twoStep.countRecoveryCodes(u.id)).toBe(10);
    });

    test('an enabled secret is never replaced by a new enrolment or enabled twice', async () => {
      const u = await user();
      await s.twoStep.savePendingTotp(u.id, 'v1.on', T0);
      expect(await s.twoStep.enableTotp(u.id, 'v1.on', 100, codes('a'), T0)).toBe(true);
      const racing = await other();
      const saved = await Promise.all([s.twoStep.savePendingTotp(u.id, 'v1.thief', T0 + 1), racing.twoStep.savePendingTotp(u.id, 'v1.thief2', T0 + 1)]);
      expect(saved).toEqual([false, false]);
      expect(await s.twoStep.enableTotp(u.id, 'v1.on', 101, codes('b'), T0 + 2)).toBe(false);
      expect(await s.twoStep.findTotp(u.id)).toMatchObject({ secretSealed: 'v1.on', status: 'enabled', lastStep: 100 });
    });

    test('of requests racing with the same code, exactly one is accepted, also across connections; earlier steps never again', async () => {
      const u = await user();
      await s.twoStep.savePendingTotp(u.id, 'v1.on', T0);
      await s.twoStep.enableTotp(u.id, 'v1.on', 100, codes('a'), T0);
      const racing = await other();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? racing : s).twoStep.acceptTotpStep(u.id, 101)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await s.twoStep.acceptTotpStep(u.id, 101)).toBe(false);
      expect(await s.twoStep.acceptTotpStep(u.id, 100)).toBe(false);
      expect(await s.twoStep.acceptTotpStep(u.id, 102)).toBe(true);
      expect((await s.twoStep.findTotp(u.id))!.lastStep).toBe(102);
    });

    test('a pending secret accepts no code at sign-in', async () => {
      const u = await user();
      await s.twoStep.savePendingTotp(u.id, 'v1.pending', T0);
      expect(await s.twoStep.acceptTotpStep(u.id, 100)).toBe(false);
    });

    test('a recovery code is used once however many race; another user\'s code is not this user\'s', async () => {
      const u = await user();
      const v = await user();
      const mine = codes('mine');
      await s.twoStep.replaceRecoveryCodes(u.id, mine, T0);
      await s.twoStep.replaceRecoveryCodes(v.id, codes('theirs'), T0);
      const racing = await other();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? racing : s).twoStep.consumeRecoveryCode(u.id, mine[3]!, T0 + 1)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await s.twoStep.countRecoveryCodes(u.id)).toBe(9);
      expect(await s.twoStep.consumeRecoveryCode(v.id, mine[4]!, T0 + 2)).toBe(false);
      expect(await s.twoStep.consumeRecoveryCode(u.id, sha256Hex('unknown'), T0 + 2)).toBe(false);
      expect(await s.twoStep.countRecoveryCodes(v.id)).toBe(10);
    });

    test('regenerating recovery codes kills the old ones; turning off deletes the secret and every code', async () => {
      const u = await user();
      const old = codes('old');
      await s.twoStep.savePendingTotp(u.id, 'v1.on', T0);
      await s.twoStep.enableTotp(u.id, 'v1.on', 100, old, T0);
      const fresh = codes('new');
      await s.twoStep.replaceRecoveryCodes(u.id, fresh, T0 + 1);
      expect(await s.twoStep.consumeRecoveryCode(u.id, old[0]!, T0 + 2)).toBe(false);
      expect(await s.twoStep.consumeRecoveryCode(u.id, fresh[0]!, T0 + 2)).toBe(true);
      expect(await s.twoStep.countRecoveryCodes(u.id)).toBe(9);
      await s.twoStep.deleteTwoStep(u.id);
      expect(await s.twoStep.findTotp(u.id)).toBeNull();
      expect(await s.twoStep.countRecoveryCodes(u.id)).toBe(0);
      expect(await s.twoStep.consumeRecoveryCode(u.id, fresh[1]!, T0 + 3)).toBe(false);
    });

    test('the second factors are counted in one read: an app only once enabled, unused recovery codes, keys that do not verify their user, nobody else\'s', async () => {
      const u = await user();
      const v = await user();
      const none = { totp: false, recoveryCodesLeft: 0, securityKeys: 0 };
      expect(await s.twoStep.secondFactorCounts(u.id)).toEqual(none);
      await s.twoStep.savePendingTotp(u.id, 'v1.on', T0);
      expect(await s.twoStep.secondFactorCounts(u.id)).toEqual(none);
      const mine = codes('mine');
      await s.twoStep.enableTotp(u.id, 'v1.on', 100, mine, T0);
      await s.twoStep.consumeRecoveryCode(u.id, mine[0]!, T0 + 1);
      const key = (owner: UserId, n: number, userVerified: boolean) => s.passkeys.addPasskey({
        id: `cred-${owner}-${n}`, userId: owner, publicKey: 'pQECAyYgASFYIB', counter: 0, transports: ['usb'],
        aaguid: '00000000-0000-0000-0000-000000000000', backupEligible: false, backedUp: false, userVerified,
        name: `Key ${n}`, createdAt: T0 + n, lastUsedAt: null,
      });
      await key(u.id, 1, false);
      await key(u.id, 2, false);
      await key(u.id, 3, true);
      await key(v.id, 4, false);
      expect(await s.twoStep.secondFactorCounts(u.id)).toEqual({ totp: true, recoveryCodesLeft: 9, securityKeys: 2 });
      expect(await s.twoStep.secondFactorCounts(v.id)).toEqual({ ...none, securityKeys: 1 });
      await s.twoStep.deleteTwoStep(u.id);
      expect(await s.twoStep.secondFactorCounts(u.id)).toEqual({ ...none, securityKeys: 2 });
    });
  });
}
