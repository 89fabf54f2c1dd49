/**
 * The device-authorization verbs of the storage contract (RFC 8628, docs/protocol.md §5.1),
 * run by test/storage/sqlite.test.ts and postgres.test.ts next to the main
 * contract. Their atomic verbs are raced across connections where the engine
 * offers a second one, as several server processes would.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { randomHex, sha256Hex } from '../../src/crypto/random.js';
import type { DeviceCodeRecord, Storage } from '../../src/storage/storage.js';
import type { ClientId, Millis, UserId } from '../../src/types.js';
import type { OpenedStorage } from './contract.js';

const T0: Millis = 1_700_000_000_000;

export function deviceCodeContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage contract, device codes: ${name}`, () => {
    let opened: OpenedStorage;
    let s: Storage;
    let clientId: ClientId;
    let otherClient: ClientId;
    let userId: UserId;

    beforeEach(async () => {
      opened = await open();
      s = opened.storage;
      userId = '100000000000777' as UserId;
      await s.createUser({
        id: userId, login: 'tv-owner', passwordHash: null, firstName: null, lastName: null, displayName: null, sex: null,
        birthday: null, emails: [], defaultEmail: null, confirmedEmails: [], defaultPhone: null, confirmedPhone: null, avatarId: null, isDeveloper: false, isAdmin: false,
        status: 'active', createdAt: T0, updatedAt: T0,
      });
      const app = (id: string) => ({
        clientId: id as ClientId, secretHash: null, secretSealed: null, name: `App ${id.slice(0, 4)}`, description: '', iconUrl: null,
        ownerId: null, platforms: [{ type: 'tv' as const }], redirectUris: [], suggestHostnames: [], scopes: ['login:info'],
        optionalScopes: ['login:email'], accessTokenTtlSeconds: 3600, idTokenAlg: 'ES256' as const, requireTwoStep: false, requireDpop: false, requirePar: false, postLogoutRedirectUris: [],
        status: 'active' as const, createdAt: T0, updatedAt: T0,
      });
      clientId = randomHex(16) as ClientId;
      otherClient = randomHex(16) as ClientId;
      await s.createApp(app(clientId));
      await s.createApp(app(otherClient));
    });
    afterEach(async () => {
      await opened.close();
    });

    const record = (over: Partial<DeviceCodeRecord> = {}): DeviceCodeRecord => ({
      hash: sha256Hex(randomHex(32)),
      userCodeHash: sha256Hex(randomHex(8)),
      clientId,
      scopes: ['login:info'],
      optionalScopes: ['login:email'],
      deviceId: 'device-0001',
      deviceName: 'Hall TV',
      status: 'pending',
      userId: null,
      grantedScopes: null,
      authTime: null,
      amr: [],
      intervalSeconds: 5,
      lastPolledAt: null,
      familyId: randomHex(16),
      createdAt: T0,
      expiresAt: T0 + 300_000,
      consumedAt: null,
      generation: 0,
      ...over,
    });
    const decision = { approved: true, userId: '100000000000777' as UserId, grantedScopes: ['login:info', 'login:email'], authTime: T0 + 1, amr: ['hwk', 'user', 'mfa'] };

    test('round-trips a pending code found by its user code until it expires', async () => {
      const code = record();
      await s.createDeviceCode(code);
      expect(await s.findPendingDeviceCode(code.userCodeHash, T0 + 1)).toEqual(code);
      expect(await s.findPendingDeviceCode(code.userCodeHash, code.expiresAt)).toBeNull();
      expect(await s.findPendingDeviceCode(sha256Hex('unknown'), T0 + 1)).toBeNull();
    });

    test('refuses two codes with the same user code', async () => {
      const code = record();
      await s.createDeviceCode(code);
      await expect(s.createDeviceCode(record({ userCodeHash: code.userCodeHash }))).rejects.toThrow();
    });

    test('records one decision: the user, the granted scopes and the time; later decisions are refused', async () => {
      const code = record();
      await s.createDeviceCode(code);
      expect(await s.decideDeviceCode(code.userCodeHash, decision, T0 + 2)).toBe(true);
      expect(await s.decideDeviceCode(code.userCodeHash, { ...decision, approved: false }, T0 + 3)).toBe(false);
      expect(await s.findPendingDeviceCode(code.userCodeHash, T0 + 4)).toBeNull();
      const polled = await s.pollDeviceCode(code.hash, clientId, T0 + 5);
      expect(polled?.record).toMatchObject({ status: 'approved', userId: decision.userId, grantedScopes: decision.grantedScopes, authTime: decision.authTime, amr: decision.amr });
    });

    test('refuses a decision on an expired code', async () => {
      const code = record();
      await s.createDeviceCode(code);
      expect(await s.decideDeviceCode(code.userCodeHash, decision, code.expiresAt)).toBe(false);
    });

    test('polls: the first is never too soon; one inside the interval is, and grows the interval by 5 s (RFC 8628 §3.5)', async () => {
      const code = record();
      await s.createDeviceCode(code);
      const first = await s.pollDeviceCode(code.hash, clientId, T0 + 1_000);
      expect(first).toMatchObject({ slowDown: false, record: { intervalSeconds: 5, lastPolledAt: T0 + 1_000 } });
      const early = await s.pollDeviceCode(code.hash, clientId, T0 + 3_000);
      expect(early).toMatchObject({ slowDown: true, record: { intervalSeconds: 10, lastPolledAt: T0 + 3_000 } });
      // The new interval counts from the last poll.
      const stillEarly = await s.pollDeviceCode(code.hash, clientId, T0 + 12_000);
      expect(stillEarly).toMatchObject({ slowDown: true, record: { intervalSeconds: 15 } });
      const onTime = await s.pollDeviceCode(code.hash, clientId, T0 + 27_000);
      expect(onTime).toMatchObject({ slowDown: false, record: { intervalSeconds: 15 } });
    });

    test("another client's polls find nothing and leave the code's polling state alone", async () => {
      const code = record();
      await s.createDeviceCode(code);
      await s.pollDeviceCode(code.hash, clientId, T0 + 1_000);
      expect(await s.pollDeviceCode(code.hash, otherClient, T0 + 1_500)).toBeNull();
      expect(await s.pollDeviceCode(code.hash, clientId, T0 + 6_000)).toMatchObject({ slowDown: false, record: { intervalSeconds: 5 } });
    });

    test('consumes an approved code once; pending and denied codes cannot be consumed', async () => {
      const approved = record();
      const pending = record();
      const denied = record();
      for (const c of [approved, pending, denied]) await s.createDeviceCode(c);
      await s.decideDeviceCode(approved.userCodeHash, decision, T0 + 1);
      await s.decideDeviceCode(denied.userCodeHash, { ...decision, approved: false }, T0 + 1);
      expect((await s.consumeDeviceCode(approved.hash, T0 + 2)).outcome).toBe('consumed');
      expect((await s.consumeDeviceCode(approved.hash, T0 + 3)).outcome).toBe('already_consumed');
      expect((await s.consumeDeviceCode(pending.hash, T0 + 3)).outcome).toBe('already_consumed');
      expect((await s.consumeDeviceCode(denied.hash, T0 + 3)).outcome).toBe('already_consumed');
      expect((await s.consumeDeviceCode(sha256Hex('unknown'), T0 + 3)).outcome).toBe('not_found');
    });

    test('of 30 concurrent consumers of one approved code, exactly one wins (atomic)', async () => {
      const code = record();
      await s.createDeviceCode(code);
      await s.decideDeviceCode(code.userCodeHash, decision, T0 + 1);
      const storages = opened.reopen ? [s, await opened.reopen()] : [s];
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => storages[i % storages.length]!.consumeDeviceCode(code.hash, T0 + 2)));
      expect(results.filter((r) => r.outcome === 'consumed')).toHaveLength(1);
    });

    test('of 20 concurrent decisions on one code, exactly one is recorded (atomic)', async () => {
      const code = record();
      await s.createDeviceCode(code);
      const storages = opened.reopen ? [s, await opened.reopen()] : [s];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => storages[i % storages.length]!.decideDeviceCode(code.userCodeHash, { ...decision, approved: i % 2 === 0 }, T0 + 1)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
