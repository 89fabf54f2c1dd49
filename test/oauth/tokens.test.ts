/** Minting and resolving tokens (docs/protocol.md §4): opaque, ≥ 256 bits, prefixed, stored only as hashes. */
import { existsSync, readFileSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sha256Hex } from '../../src/crypto/random.js';
import { newFamilyId, newOpaqueToken, tokenHandle, tokenKey } from '../../src/oauth/tokens.js';
import { sqliteFile } from '../../src/storage/open.js';
import type { AppRecord, UserRecord } from '../../src/storage/storage.js';
import { openCore, type Core } from '../helpers/core.js';

let core: Core;
let alice: UserRecord;
let app: AppRecord;
beforeAll(async () => {
  core = await openCore();
  alice = await core.user('alice');
  app = (await core.app({ accessTokenTtlSeconds: 3600 })).app;
});
afterAll(async () => { await core?.close(); });

const issue = (over: Partial<Parameters<Core['ctx']['tokens']['issue']>[0]> = {}) =>
  core.ctx.tokens.issue({ app, userId: alice.id, scopes: ['login:info'], withRefresh: true, ...over });

/** Every row of the tokens table, read straight from the file. */
function tokenRows(): Record<string, unknown>[] {
  const db = new SQLite(sqliteFile(core.ctx.config), { readonly: true });
  try {
    return db.prepare('select * from tokens').all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe('tokens', () => {
  test('carry the gate_at_ / gate_rt_ prefix, the time they were issued and 256 random bits', async () => {
    const now = core.clock();
    const res = await issue();
    expect(res.access_token).toMatch(/^gate_at_[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
    expect(res.refresh_token).toMatch(/^gate_rt_[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
    expect(parseInt(res.access_token.slice(8, 20), 16)).toBe(now);
    expect(Buffer.from(res.access_token.slice(20), 'base64url')).toHaveLength(32);
    expect(Buffer.from(res.refresh_token!.slice(20), 'base64url')).toHaveLength(32);
  });

  test('are all different', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const res = await issue();
      seen.add(res.access_token).add(res.refresh_token!);
    }
    expect(seen.size).toBe(100);
  });

  test('start families whose ids sort in the order they were made, so the family index grows at its end', async () => {
    const before = new Set(tokenRows().map((r) => r.family_id));
    await issue();
    const [row] = tokenRows().filter((r) => !before.has(r.family_id));
    // The issue's own time leads the id.
    expect(String(row!.family_id)).toMatch(/^[0-9a-f]{32}$/);
    expect(parseInt(String(row!.family_id).slice(0, 12), 16)).toBe(Number(row!.created_at));
    const times = [0, 1, 255, 256, 1_700_000_000_000, 1_700_000_000_001, 2 ** 44, 2 ** 48 - 1];
    const ids = times.map((t) => newFamilyId(t));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect([...ids].sort()).toEqual(ids);
    // Still 80 random bits after the time: families made in the same millisecond differ.
    expect(new Set(Array.from({ length: 100 }, () => newFamilyId(1_700_000_000_000))).size).toBe(100);
  });

  test('are stored only as SHA-256 hashes: no column of the tokens table holds a raw token or its random part', async () => {
    const res = await issue();
    const rows = tokenRows();
    const raws = [res.access_token, res.refresh_token!];
    for (const raw of raws) {
      // The key: `t`, the issue time the token carries, then its SHA-256 less as many digits.
      const key = `t${raw.slice(8, 20)}${sha256Hex(raw).slice(13)}`;
      expect(tokenKey(raw)).toBe(key);
      expect(rows.filter((r) => r.hash === key)).toHaveLength(1);
      for (const secretPart of [raw.slice(8), raw.slice(20)]) {
        for (const row of rows) for (const value of Object.values(row)) expect(String(value)).not.toContain(secretPart);
      }
    }
  });

  test('never reach the database file in the clear', async () => {
    const res = await issue();
    const file = sqliteFile(core.ctx.config);
    const bytes = Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    for (const raw of [res.access_token, res.refresh_token!]) {
      expect(bytes.includes(raw.slice(8))).toBe(false);
      expect(bytes.includes(raw.slice(20))).toBe(false);
    }
  });

  test('are kept under keys that sort in the order they were issued, after every bare SHA-256', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await issue();
      keys.push(tokenKey(res.access_token), tokenKey(res.refresh_token!));
      core.clock.advance(1);
    }
    for (const key of keys) expect(key).toMatch(/^t[0-9a-f]{63}$/);
    // Each issue's pair shares its millisecond; the issues follow one another.
    for (let i = 2; i < keys.length; i++) expect(keys[i]! > keys[i - 2]!).toBe(true);
    expect(keys.every((key) => key > 'f'.repeat(64))).toBe(true);
    const times = [0, 1, 255, 256, 1_700_000_000_000, 1_700_000_000_001, 2 ** 44, 2 ** 48 - 1];
    const stamped = times.map((t) => tokenKey(newOpaqueToken('gate_at_', t)).slice(0, 13));
    expect([...stamped].sort()).toEqual(stamped);
    // Any other token (one minted before the stamp, a JWT) is kept under its bare SHA-256.
    for (const raw of ['gate_at_' + 'A'.repeat(43), 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln', 'gate_at_' + '0'.repeat(12) + 'A'.repeat(42)]) {
      expect(tokenKey(raw)).toBe(sha256Hex(raw));
    }
  });

  test('have handles that tell apart tokens issued in the same millisecond', () => {
    const now = 1_700_000_000_000;
    const handles = new Set(Array.from({ length: 200 }, () => tokenHandle(tokenKey(newOpaqueToken('gate_at_', now)))));
    expect(handles.size).toBe(200);
    for (const handle of handles) expect(handle).toMatch(/^[0-9a-f]{16}$/);
    const bare = sha256Hex('gate_at_' + 'A'.repeat(43));
    expect(tokenHandle(bare)).toBe(bare.slice(0, 16));
  });

  test('resolve nothing when their issue time, their random part or a digit of either is changed, or their key is presented', async () => {
    const res = await issue();
    const raw = res.access_token;
    expect(await core.ctx.tokens.resolve(raw, 'access')).not.toBeNull();
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'a' ? 'b' : 'a') + s.slice(at + 1);
    const forged = [
      raw.slice(0, 8) + (parseInt(raw.slice(8, 20), 16) + 1).toString(16).padStart(12, '0') + raw.slice(20),
      flip(raw, 19),
      flip(raw, 20),
      flip(raw, raw.length - 1),
      raw.slice(0, 8) + raw.slice(20),
      tokenKey(raw),
    ];
    for (const token of forged) expect(await core.ctx.tokens.resolve(token, 'access'), token).toBeNull();
    expect(await core.ctx.tokens.resolve(raw, 'access')).not.toBeNull();
  });

  test('live as long as the app says, and refresh tokens live longer', async () => {
    const now = core.clock();
    const res = await issue();
    expect(res.expires_in).toBe(3600);
    const access = (await core.ctx.tokens.resolve(res.access_token, 'access'))!;
    const refresh = (await core.ctx.tokens.resolve(res.refresh_token!, 'refresh'))!;
    expect(access.expiresAt).toBe(now + 3600_000);
    expect(refresh.expiresAt).toBe(now + core.ctx.config.refreshTokenTtlSeconds * 1000);
    expect(refresh.expiresAt).toBeGreaterThan(access.expiresAt);
  });

  test('resolve only live tokens of the type asked for', async () => {
    const res = await issue();
    expect(await core.ctx.tokens.resolve(res.access_token, 'refresh')).toBeNull();
    expect(await core.ctx.tokens.resolve(res.refresh_token!, 'access')).toBeNull();
    expect(await core.ctx.tokens.resolve('', 'access')).toBeNull();
    expect(await core.ctx.tokens.resolve('gate_at_' + 'x'.repeat(600), 'access')).toBeNull();
    expect(await core.ctx.tokens.resolve('gate_at_unknown', 'access')).toBeNull();
  });

  test('stop resolving when they expire', async () => {
    const res = await issue();
    const start = core.clock();
    core.clock.advance(3600_000 - 1);
    expect(await core.ctx.tokens.resolve(res.access_token, 'access')).not.toBeNull();
    core.clock.advance(1);
    expect(await core.ctx.tokens.resolve(res.access_token, 'access')).toBeNull();
    core.clock.set(start);
  });

  test('stop resolving when revoked', async () => {
    const res = await issue();
    const record = (await core.ctx.tokens.resolve(res.access_token, 'access'))!;
    await core.ctx.storage.revokeFamily(record.familyId, core.clock());
    expect(await core.ctx.tokens.resolve(res.access_token, 'access')).toBeNull();
    expect(await core.ctx.tokens.resolve(res.refresh_token!, 'refresh')).toBeNull();
  });

  test('a password change revokes the user\'s tokens (docs/protocol.md §4)', async () => {
    const bob = await core.user();
    const res = await issue({ userId: bob.id });
    await core.ctx.users.changePassword(bob, 'a new password 123');
    expect(await core.ctx.tokens.resolve(res.access_token, 'access')).toBeNull();
  });

  test('the 31st device-bound authorization retires the oldest (docs/protocol.md §4)', async () => {
    const carol = await core.user();
    const first = await issue({ userId: carol.id, deviceId: 'device-0' });
    for (let i = 1; i < 30; i++) {
      core.clock.advance(1);
      await issue({ userId: carol.id, deviceId: `device-${i}` });
    }
    expect(await core.ctx.tokens.resolve(first.access_token, 'access')).not.toBeNull();
    core.clock.advance(1);
    await issue({ userId: carol.id, deviceId: 'device-30' });
    expect(await core.ctx.tokens.resolve(first.access_token, 'access')).toBeNull();
    expect(await core.ctx.tokens.resolve(first.refresh_token!, 'refresh')).toBeNull();
  });
});
