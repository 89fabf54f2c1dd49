/**
 * The periodic clean-up verb of the storage contract (`deleteExpired`, run by
 * src/storage/cleanup.ts from every process): it removes what can never be
 * used again and nothing else.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { randomHex, sha256Hex } from '../../src/crypto/random.js';
import type { AuthCodeRecord, Storage, TokenRecord } from '../../src/storage/storage.js';
import type { ClientId, Millis, UserId } from '../../src/types.js';
import type { OpenedStorage } from './contract.js';

const T0: Millis = 1_700_000_000_000;
const DAY = 86_400_000;

export function maintenanceContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage contract, clean-up: ${name}`, () => {
    let opened: OpenedStorage;
    let s: Storage;
    const userId = '100000000000888' as UserId;
    const clientId = 'c'.repeat(32) as ClientId;

    beforeEach(async () => {
      opened = await open();
      s = opened.storage;
      await s.createUser({
        id: userId, login: 'sweeper', passwordHash: null, firstName: null, lastName: null, displayName: null, sex: null,
        birthday: null, emails: [], defaultEmail: null, confirmedEmails: [], defaultPhone: null, confirmedPhone: null, avatarId: null, isDeveloper: false, isAdmin: false,
        status: 'active', createdAt: T0, updatedAt: T0,
      });
      await s.createApp({
        clientId, secretHash: null, secretSealed: null, name: 'Swept', description: '', iconUrl: null, ownerId: null,
        platforms: [{ type: 'desktop' }], redirectUris: [], suggestHostnames: [], scopes: [], optionalScopes: [],
        accessTokenTtlSeconds: 3600, idTokenAlg: 'ES256', requireTwoStep: false, requireDpop: false, requirePar: false, postLogoutRedirectUris: [], status: 'active', createdAt: T0, updatedAt: T0,
      });
    });
    afterEach(async () => {
      await opened.close();
    });

    const code = (expiresAt: Millis): AuthCodeRecord => ({
      hash: sha256Hex(randomHex(16)), kind: 'redirect', clientId, userId, redirectUri: null, scopes: [], codeChallenge: null,
      codeChallengeMethod: null, nonce: null, deviceId: null, deviceName: null, authTime: T0, amr: ['pwd'], familyId: randomHex(16),
      createdAt: T0, expiresAt, consumedAt: null,
    });
    const token = (expiresAt: Millis): TokenRecord => ({
      hash: sha256Hex(randomHex(16)), type: 'access', clientId, userId, scopes: [], familyId: randomHex(16), deviceId: null,
      deviceName: null, isDebug: false, authTime: null, amr: [], createdAt: T0, expiresAt, revokedAt: null, rotatedAt: null, jkt: null,
    });

    test('deletes expired codes, sessions, long-expired tokens and stale counters, and keeps everything still usable', async () => {
      const now = T0 + 10 * DAY;
      const oldCode = code(now - 1);
      const liveCode = code(now + 60_000);
      await s.createCode(oldCode);
      await s.createCode(liveCode);
      const oldSession = { hash: sha256Hex('old'), userId, authTime: T0, amr: ['pwd'], createdAt: T0, lastSeenAt: T0, expiresAt: now - 1, userAgent: null, ip: null };
      const liveSession = { ...oldSession, hash: sha256Hex('live'), expiresAt: now + DAY };
      await s.createSession(oldSession);
      await s.createSession(liveSession);
      const longExpired = token(now - 2 * DAY);
      const recentlyExpired = token(now - 1_000);
      const live = token(now + DAY);
      await s.saveTokens([longExpired], { now: T0, maxDeviceFamilies: 30 });
      await s.saveTokens([recentlyExpired], { now: T0, maxDeviceFamilies: 30 });
      await s.saveTokens([live], { now: T0, maxDeviceFamilies: 30 });
      await s.countAttempt('stale', 60_000, now - 2 * DAY);
      await s.countAttempt('fresh', 60_000, now - 1_000);

      const deleted = await s.deleteExpired(now, { tokensBefore: now - DAY, familiesBefore: now - 365 * DAY, countersBefore: now - DAY });
      expect(deleted).toBe(4);
      expect((await s.consumeCode(oldCode.hash, now)).outcome).toBe('not_found');
      expect((await s.consumeCode(liveCode.hash, now)).outcome).toBe('consumed');
      expect(await s.findSession(liveSession.hash, now)).not.toBeNull();
      expect(await s.findToken(longExpired.hash)).toBeNull();
      expect(await s.findToken(recentlyExpired.hash)).not.toBeNull();
      expect(await s.findToken(live.hash)).not.toBeNull();
      expect(await s.peekAttempts('fresh', 60_000, now)).toBe(1);

      // Several processes run it at once: a second pass finds nothing more.
      expect(await s.deleteExpired(now, { tokensBefore: now - DAY, familiesBefore: now - 365 * DAY, countersBefore: now - DAY })).toBe(0);
    });

    test('deletes audit entries older than auditBefore, and none without it', async () => {
      const now = T0 + 100 * DAY;
      const entry = (at: number) => ({
        at, action: 'sign_in', outcome: 'failed' as const, actorType: 'anonymous' as const, actorId: null, userId: null, clientId: null, ip: '203.0.113.9', details: {},
      });
      const { id: old } = await s.appendAudit(entry(now - 31 * DAY));
      const { id: kept } = await s.appendAudit(entry(now - 29 * DAY));
      const options = { tokensBefore: now - DAY, familiesBefore: now - 365 * DAY, countersBefore: now - DAY };
      await s.deleteExpired(now, options);
      expect((await s.listAudit()).map((e) => e.id)).toEqual([kept, old]);
      await s.deleteExpired(now, { ...options, auditBefore: now - 30 * DAY });
      expect((await s.listAudit()).map((e) => e.id)).toEqual([kept]);
    });
  });
}
