/**
 * The client store's part of the storage contract (src/storage/client-store.ts):
 * a client assertion's jti is accepted once per client until it expires,
 * however many requests race with it, also across connections (RFC 7523 §3);
 * an initial access token registers at most as many apps as it allows, and
 * none once expired (RFC 7591 §3).
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { sha256Hex } from '../../src/crypto/random.js';
import type { Storage } from '../../src/storage/storage.js';
import type { ClientId, Millis } from '../../src/types.js';
import type { OpenedStorage } from './contract.js';

const T0: Millis = 1_700_000_000_000;
const A = 'a'.repeat(32) as ClientId;
const B = 'b'.repeat(32) as ClientId;

export function clientKeysContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage contract, client assertions and registration: ${name}`, () => {
    let opened: OpenedStorage;
    let s: Storage;
    const other = async () => (opened.reopen ? await opened.reopen() : s);
    beforeEach(async () => {
      opened = await open();
      s = opened.storage;
    });
    afterEach(async () => {
      await opened.close();
    });

    test('a jti is accepted once per client until it expires; then it may be recorded again', async () => {
      const jti = sha256Hex('jti-1');
      expect(await s.clients.useAssertionId(A, jti, T0 + 60_000, T0)).toBe(true);
      expect(await s.clients.useAssertionId(A, jti, T0 + 60_000, T0 + 1_000)).toBe(false);
      // Another client's assertion may carry the same jti.
      expect(await s.clients.useAssertionId(B, jti, T0 + 60_000, T0 + 1_000)).toBe(true);
      // Once expired, the record no longer blocks (the assertion itself is refused as expired before this).
      expect(await s.clients.useAssertionId(A, jti, T0 + 200_000, T0 + 60_001)).toBe(true);
      expect(await s.clients.useAssertionId(A, jti, T0 + 200_000, T0 + 60_002)).toBe(false);
    });

    test('parallel uses of one jti, across connections, have exactly one winner', async () => {
      const second = await other();
      const jti = sha256Hex('race');
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? second : s).clients.useAssertionId(A, jti, T0 + 60_000, T0)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test('clean-up deletes expired assertion ids and initial access tokens', async () => {
      await s.clients.useAssertionId(A, sha256Hex('old'), T0 + 1_000, T0);
      await s.clients.createInitialAccessToken({ hash: sha256Hex('iat-old'), label: 'old', maxUses: 1, uses: 0, createdAt: T0, expiresAt: T0 + 1_000 });
      const deleted = await s.deleteExpired(T0 + 2_000, { tokensBefore: T0, familiesBefore: T0, countersBefore: T0 });
      expect(deleted).toBe(2);
      expect(await s.clients.useAssertionId(A, sha256Hex('old'), T0 + 5_000, T0 + 2_000)).toBe(true);
    });

    test('an initial access token is used at most max_uses times, never after it expires, and can be deleted', async () => {
      const hash = sha256Hex('initial');
      await s.clients.createInitialAccessToken({ hash, label: 'partner', maxUses: 2, uses: 0, createdAt: T0, expiresAt: T0 + 60_000 });
      expect(await s.clients.listInitialAccessTokens(T0)).toEqual([{ hash, label: 'partner', maxUses: 2, uses: 0, createdAt: T0, expiresAt: T0 + 60_000 }]);
      const second = await other();
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? second : s).clients.useInitialAccessToken(hash, T0 + 1)));
      expect(results.filter(Boolean)).toHaveLength(2);
      expect((await s.clients.listInitialAccessTokens(T0))[0]!.uses).toBe(2);
      const later = sha256Hex('later');
      await s.clients.createInitialAccessToken({ hash: later, label: 'x', maxUses: 5, uses: 0, createdAt: T0, expiresAt: T0 + 60_000 });
      expect(await s.clients.useInitialAccessToken(later, T0 + 60_000)).toBe(false);
      expect(await s.clients.useInitialAccessToken(sha256Hex('unknown'), T0)).toBe(false);
      expect(await s.clients.listInitialAccessTokens(T0 + 60_000)).toEqual([]);
      expect(await s.clients.deleteInitialAccessTokens(later.slice(0, 12))).toBe(1);
      expect(await s.clients.deleteInitialAccessTokens('zz')).toBe(0);
    });
  });
}
