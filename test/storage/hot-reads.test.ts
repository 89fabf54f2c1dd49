/**
 * The one-statement token read (src/storage/sql/hot-reads.ts), on SQLite and
 * PostgreSQL: the window between a revocation's mark and its UPDATE of the
 * tokens. A moved user, app or grant generation alone makes a token read as
 * revoked, exactly as the per-table subqueries used elsewhere (`generationOf`)
 * count it; and the prepared path answers as the same SQL through Kysely does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, inject, test } from 'vitest';
import { randomHex, sha256Hex } from '../../src/crypto/random.js';
import { openStorage } from '../../src/storage/open.js';
import { TOKEN_COLUMNS, tokenOf } from '../../src/storage/sql/hot-reads.js';
import { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import type { AppRecord, TokenRecord, UserRecord } from '../../src/storage/storage.js';
import type { ClientId, Millis, UserId } from '../../src/types.js';
import { freshDatabase } from '../helpers/postgres.js';

const T0 = 1_700_000_000_000 as Millis;

const user: UserRecord = {
  id: '100000000000001' as UserId, login: 'ada', passwordHash: null, firstName: 'Ada', lastName: null, displayName: null, sex: null, birthday: null,
  emails: [], defaultEmail: null, confirmedEmails: [], defaultPhone: null, confirmedPhone: null, avatarId: null, isDeveloper: false, isAdmin: false,
  status: 'active', createdAt: T0, updatedAt: T0,
};
const app: AppRecord = {
  clientId: randomHex(16) as ClientId, secretHash: null, secretSealed: null, name: 'App', description: '', iconUrl: null, ownerId: null,
  platforms: [{ type: 'web' }], redirectUris: ['https://app.example/cb'], suggestHostnames: [], scopes: ['login:info'], optionalScopes: [],
  accessTokenTtlSeconds: 3600, idTokenAlg: 'ES256', requireTwoStep: false, requireDpop: false, requirePar: false, postLogoutRedirectUris: [], introspects: [], status: 'active', blockedBy: null,
  firstParty: false, createdAt: T0, updatedAt: T0, generation: 0,
  tokenEndpointAuthMethod: 'none', jwks: null, jwksUri: null, registrationTokenHash: null,
};
const token = (userId: UserId | null): TokenRecord => ({
  hash: sha256Hex(randomHex(32)), type: 'access', clientId: app.clientId, userId, scopes: ['login:info'], familyId: randomHex(16), deviceId: null,
  deviceName: null, isDebug: false, authTime: null, amr: [], createdAt: T0, expiresAt: (T0 + 3_600_000) as Millis, revokedAt: null, rotatedAt: null, generation: 0,
  resources: [],
  deviceName: null, isDebug: false, authTime: null, amr: [], createdAt: T0, expiresAt: (T0 + 3_600_000) as Millis, revokedAt: null, rotatedAt: null, jkt: null, generation: 0,
});

async function scenario(storage: SqlStorage): Promise<void> {
  const db = storage.db;
  // The same database through Kysely's driver, without the prepared path.
  const viaKysely = new SqlStorage(db);
  await storage.createUser(user);
  await storage.createApp(app);
  const mine = token(user.id);
  const appOwn = token(null);
  expect(await storage.saveTokens([mine, appOwn], { now: T0, maxDeviceFamilies: 30 })).toBe('saved');
  const revokedAt = async (t: TokenRecord) => {
    const prepared = await storage.findTokenWithOwners(t.hash);
    expect(await viaKysely.findTokenWithOwners(t.hash)).toEqual(prepared);
    // The same token read with the app a client names, by either path.
    const forClient = await storage.findTokenForClient(t.hash, app.clientId);
    expect(forClient).toEqual({ found: prepared, client: await storage.findApp(app.clientId) });
    expect(await viaKysely.findTokenForClient(t.hash, app.clientId)).toEqual(forClient);
    return prepared!.token.revokedAt;
  };
  expect(await revokedAt(mine)).toBeNull();
  expect(await revokedAt(appOwn)).toBeNull();
  expect(await storage.findApp(app.clientId)).toEqual(app);
  expect(await viaKysely.findApp(app.clientId)).toEqual(app);
  expect(await storage.findApp('0'.repeat(32) as ClientId)).toBeNull();

  // The grant's mark alone (a revocation between its two statements): the user's token in this app is dead.
  await db.insertInto('grant_generations').values({ user_id: user.id, client_id: app.clientId, generation: 1 }).execute();
  expect(await revokedAt(mine)).toBe(T0);
  expect(await revokedAt(appOwn)).toBeNull();
  await db.deleteFrom('grant_generations').execute();
  expect(await revokedAt(mine)).toBeNull();

  // The user's mark alone.
  await db.updateTable('users').set({ token_generation: sql`token_generation + 1` }).execute();
  expect(await revokedAt(mine)).toBe(T0);
  expect(await revokedAt(appOwn)).toBeNull();
  await db.updateTable('users').set({ token_generation: 0 }).execute();

  // The app's mark alone: every token of the app, the app's own too.
  await db.updateTable('apps').set({ token_generation: sql`token_generation + 1` }).execute();
  expect(await revokedAt(mine)).toBe(T0);
  expect(await revokedAt(appOwn)).toBe(T0);
}

/** Tokens and their `token_issued` entry in one write; the check after it reads revocations made meanwhile. */
async function issuing(storage: SqlStorage): Promise<void> {
  await storage.createUser(user);
  await storage.createApp(app);
  const entry = (family: string) => ({
    at: T0, action: 'token_issued', outcome: 'ok' as const, actorType: 'app' as const, actorId: app.clientId, userId: user.id, clientId: app.clientId,
    ip: '192.0.2.1', details: { grant: 'authorization_code', family },
  });
  const first = token(user.id);
  expect(await storage.saveTokens([first], { now: T0, maxDeviceFamilies: 30, audit: entry(first.familyId) })).toBe('saved');
  expect((await storage.findToken(first.hash))!.revokedAt).toBeNull();
  expect((await storage.listAudit()).map((e) => [e.action, e.userId, e.details.family])).toEqual([['token_issued', user.id, first.familyId]]);

  // Blocked before the check that follows the write: the new token is revoked at once and not to be handed out.
  await storage.db.updateTable('users').set({ status: 'blocked' }).execute();
  const second = token(user.id);
  expect(await storage.saveTokens([second], { now: T0, maxDeviceFamilies: 30, audit: entry(second.familyId) })).toBe('revoked');
  expect((await storage.findToken(second.hash))!.revokedAt).toBe(T0);
  // A revoked family recorded before the write: its new token is revoked too.
  await storage.db.updateTable('users').set({ status: 'active' }).execute();
  const third = token(user.id);
  await storage.revokeFamily(third.familyId, T0);
  expect(await storage.saveTokens([third], { now: T0, maxDeviceFamilies: 30, audit: entry(third.familyId) })).toBe('saved');
  expect((await storage.findToken(third.hash))!.revokedAt).toBe(T0);
  expect((await storage.listAudit()).map((e) => e.details.family).sort()).toEqual([first.familyId, second.familyId, third.familyId].sort());

  // The account was deleted while a grant was in flight: its rows cannot be stored, and nothing is handed out.
  await storage.eraseUser(user.id, (details) => details);
  for (const late of [token(user.id), { ...token(user.id), deviceId: 'tv', deviceName: 'TV' }]) {
    expect(await storage.saveTokens([late], { now: T0, maxDeviceFamilies: 30, audit: entry(late.familyId) })).toBe('revoked');
    expect(await storage.findToken(late.hash)).toBeNull();
  }
}

describe('issuing: the tokens and their audit entry in one write, then one prepared check', () => {
  test('stores both, and revokes tokens whose user or family was revoked meanwhile: SQLite', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-issue-'));
    const storage = await openStorage({ dataDir, databaseUrl: '' });
    try {
      await issuing(storage);
    } finally {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('stores both, and revokes tokens whose user or family was revoked meanwhile: PostgreSQL', async () => {
    const database = await freshDatabase(inject('postgresUrl'));
    const storage = await openStorage({ dataDir: '/nonexistent', databaseUrl: database.url });
    try {
      await issuing(storage);
    } finally {
      await storage.close();
      await database.drop();
    }
  });
});

describe('the one-statement token read', () => {
  test('counts each generation mark on its own as a revocation: SQLite', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-token-read-'));
    const storage = await openStorage({ dataDir, databaseUrl: '' });
    try {
      await scenario(storage);
    } finally {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('counts each generation mark on its own as a revocation: PostgreSQL', async () => {
    const database = await freshDatabase(inject('postgresUrl'));
    const storage = await openStorage({ dataDir: '/nonexistent', databaseUrl: database.url });
    try {
      await scenario(storage);
    } finally {
      await storage.close();
      await database.drop();
    }
  });
});

test('the token check reads each column of a token into the field of its name, every column once', () => {
  // Each position holds its own index: the field a column lands in must be the column's own name.
  const read = tokenOf(TOKEN_COLUMNS.map((_, i) => i));
  expect(Object.keys(read)).toEqual(TOKEN_COLUMNS);
  expect(Object.values(read)).toEqual(TOKEN_COLUMNS.map((_, i) => i));
});
