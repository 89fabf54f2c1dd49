/**
 * The storage contract suite (src/storage/storage.ts): every verb, and above
 * all the atomic ones, checked against a real database. Each engine runs it
 * from a file of a few lines:
 *
 *   storageContract('SQLite', async () => { …; return { storage, close } });
 *
 * `open` must give every test an empty, migrated database. When the engine can
 * open a second, independent connection to that same database, `reopen` lets
 * the races below run across connections too, as several server processes do.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { randomHex, sha256Hex } from '../../src/crypto/random.js';
import type {
  AppRecord, AuditEntry, AuthCodeRecord, SessionRecord, SigningKeyRecord, Storage, SuggestGrantRecord, TokenRecord, UserRecord,
} from '../../src/storage/storage.js';
import type { ClientId, Millis, UserId } from '../../src/types.js';

export interface OpenedStorage {
  storage: Storage;
  close(): Promise<void>;
  /** Another connection to the same database, closed by `close`. */
  reopen?: () => Promise<Storage>;
}

const T0: Millis = 1_700_000_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function storageContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage contract: ${name}`, () => {
    let opened: OpenedStorage;
    let s: Storage;
    beforeEach(async () => {
      opened = await open();
      s = opened.storage;
    });
    afterEach(async () => {
      await opened.close();
    });

    let seq = 0;
    const userRecord = (over: Partial<UserRecord> = {}): UserRecord => ({
      id: String(100000000000000 + ++seq) as UserId,
      login: `user${seq}`,
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA',
      firstName: 'Ada',
      lastName: 'Lovelace',
      displayName: 'Ada Lovelace',
      sex: 'female',
      birthday: '1815-12-10',
      emails: ['ada@example.org', 'ada@work.example'],
      defaultEmail: 'ada@example.org',
      confirmedEmails: ['ada@example.org'],
      defaultPhone: '+441234567890',
      confirmedPhone: null,
      avatarId: null,
      isDeveloper: false,
      isAdmin: false,
      status: 'active',
      createdAt: T0 + seq,
      updatedAt: T0 + seq,
      ...over,
    });
    const appRecord = (over: Partial<AppRecord> = {}): AppRecord => ({
      clientId: randomHex(16) as ClientId,
      secretHash: sha256Hex('secret'),
      secretSealed: 'v1.sealed',
      name: `App ${++seq}`,
      description: '',
      iconUrl: null,
      ownerId: null,
      platforms: [{ type: 'web' }],
      redirectUris: ['https://app.example/callback'],
      suggestHostnames: [],
      scopes: ['login:info', 'login:email'],
      optionalScopes: [],
      accessTokenTtlSeconds: 3600,
      idTokenAlg: 'ES256',
      requireTwoStep: true, requireDpop: true, requirePar: true,
      postLogoutRedirectUris: [],
      introspects: [],
      status: 'active',
      blockedBy: null,
      firstParty: false,
      tokenEndpointAuthMethod: 'client_secret_basic',
      jwks: null,
      jwksUri: null,
      registrationTokenHash: null,
      createdAt: T0 + seq,
      updatedAt: T0 + seq,
      generation: 0,
      ...over,
    });
    const codeRecord = (user: UserRecord, app: AppRecord, over: Partial<AuthCodeRecord> = {}): AuthCodeRecord => ({
      hash: sha256Hex(randomHex(32)),
      kind: 'redirect',
      clientId: app.clientId,
      userId: user.id,
      redirectUri: app.redirectUris[0]!,
      scopes: ['login:info'],
      codeChallenge: null,
      codeChallengeMethod: null,
      nonce: null,
      deviceId: null,
      deviceName: null,
      authTime: T0,
      amr: ['pwd', 'otp', 'mfa'],
      familyId: randomHex(16),
      createdAt: T0,
      expiresAt: T0 + 10 * MINUTE,
      consumedAt: null,
      generation: 0,
      resources: [],
      ...over,
    });
    /** An access token and its refresh token, issued together as one family. */
    const family = (user: UserRecord | null, app: AppRecord, over: Partial<TokenRecord> = {}): TokenRecord[] => {
      const base = {
        clientId: app.clientId, userId: user?.id ?? null, scopes: ['login:info'], familyId: randomHex(16),
        deviceId: null, deviceName: null, isDebug: false, authTime: T0, amr: ['pwd'], createdAt: T0, revokedAt: null, rotatedAt: null, jkt: null, generation: 0,
        resources: [] as string[],
        ...over,
      };
      return [
        { ...base, hash: sha256Hex(randomHex(32)), type: 'access', expiresAt: base.createdAt + 60 * MINUTE },
        { ...base, hash: sha256Hex(randomHex(32)), type: 'refresh', expiresAt: base.createdAt + 600 * MINUTE },
      ];
    };
    const save = (tokens: TokenRecord[], now: Millis = T0) => s.saveTokens(tokens, { now, maxDeviceFamilies: 30 });
    const revokedAt = async (t: TokenRecord) => (await s.findToken(t.hash))!.revokedAt;
    async function seed() {
      const user = userRecord();
      const app = appRecord();
      await s.createUser(user);
      await s.createApp(app);
      return { user, app };
    }
    /** Storages to race on: this connection and, when the engine offers one, another. */
    async function racers(): Promise<Storage[]> {
      return opened.reopen ? [s, await opened.reopen()] : [s];
    }

    describe('users', () => {
      test('round-trips every field of a user', async () => {
        const user = userRecord({ isDeveloper: true, isAdmin: true, avatarId: 'abc/123' });
        await s.createUser(user);
        expect(await s.findUserById(user.id)).toEqual(user);
        expect(await s.findUserById('999' as UserId)).toBeNull();
      });

      test('stores logins lowercased and finds them case-insensitively', async () => {
        const user = userRecord({ login: 'MixedCase' });
        await s.createUser(user);
        expect((await s.findUserByLogin('mixedcase'))?.id).toBe(user.id);
        expect((await s.findUserByLogin('MIXEDCASE'))?.login).toBe('mixedcase');
        expect(await s.findUserByLogin('nobody')).toBeNull();
      });

      test('refuses a second user whose login differs only in case', async () => {
        await s.createUser(userRecord({ login: 'alice' }));
        await expect(s.createUser(userRecord({ login: 'ALICE' }))).rejects.toThrow();
        expect(await s.listUsers()).toHaveLength(1);
      });

      test('lists users oldest first, with limit and offset', async () => {
        const users = [userRecord(), userRecord(), userRecord()];
        for (const u of [users[2]!, users[0]!, users[1]!]) await s.createUser(u);
        expect((await s.listUsers()).map((u) => u.id)).toEqual(users.map((u) => u.id));
        expect((await s.listUsers({ limit: 1, offset: 1 })).map((u) => u.id)).toEqual([users[1]!.id]);
      });

      test('updates only the fields in the patch', async () => {
        const user = userRecord();
        await s.createUser(user);
        await s.updateUser(user.id, { login: 'Renamed', status: 'blocked', emails: [], defaultEmail: null, isAdmin: true, updatedAt: T0 + 5 });
        expect(await s.findUserById(user.id)).toEqual({
          ...user, login: 'renamed', status: 'blocked', emails: [], defaultEmail: null, isAdmin: true, updatedAt: T0 + 5,
        });
        await s.updateUser(user.id, {});
        expect((await s.findUserById(user.id))?.login).toBe('renamed');
      });
    });

    describe('apps', () => {
      test('round-trips every field of an app', async () => {
        const owner = userRecord();
        await s.createUser(owner);
        const app = appRecord({
          ownerId: owner.id, iconUrl: 'https://app.example/icon.png', description: 'Notes',
          platforms: [{ type: 'web' }, { type: 'android', packageName: 'org.example', sha256Fingerprints: ['AA:BB'] }],
          redirectUris: ['https://app.example/cb', 'gh0123:///auth/finish?platform=android'],
          suggestHostnames: ['https://app.example'], optionalScopes: ['login:avatar'], status: 'pending', firstParty: true,
        });
        await s.createApp(app);
        expect(await s.findApp(app.clientId)).toEqual(app);
        expect(await s.findApp(randomHex(16) as ClientId)).toBeNull();
      });

      test('round-trips the resources of a code and of tokens, and the resource servers (issue 19)', async () => {
        const user = userRecord();
        await s.createUser(user);
        const app = appRecord();
        await s.createApp(app);
        const resourceApp = appRecord();
        await s.createApp(resourceApp);
        const code = codeRecord(user, app, { resources: ['https://api.example/'] });
        await s.createCode(code);
        expect((await s.consumeCode(code.hash, T0 + 1)).record).toMatchObject({ resources: ['https://api.example/'] });
        const [access, refresh] = family(user, app);
        await s.saveTokens([{ ...access!, resources: ['https://api.example/'] }, { ...refresh!, resources: ['https://api.example/', 'https://other.example/'] }], { now: T0, maxDeviceFamilies: 30 });
        expect((await s.findToken(access!.hash))!.resources).toEqual(['https://api.example/']);
        expect((await s.findTokenWithOwners(refresh!.hash))!.token.resources).toEqual(['https://api.example/', 'https://other.example/']);

        const api = { uri: 'https://api.example/', name: 'API', jwt: true, clientId: resourceApp.clientId, createdAt: T0 };
        expect(await s.resources.createResource(api)).toBe(true);
        expect(await s.resources.createResource({ ...api, name: 'again' })).toBe(false);
        await s.resources.createResource({ uri: 'https://other.example/', name: 'Other', jwt: false, clientId: null, createdAt: T0 + 1 });
        expect(await s.resources.findResource('https://api.example/')).toEqual(api);
        expect((await s.resources.listResources()).map((r) => r.uri)).toEqual(['https://api.example/', 'https://other.example/']);
        expect(await s.resources.resourcesOfApp(resourceApp.clientId)).toEqual([api]);
        // Deleting the app unlinks it; the resource server stays.
        await s.deleteApp(resourceApp.clientId);
        expect(await s.resources.findResource('https://api.example/')).toEqual({ ...api, clientId: null });
        expect(await s.resources.deleteResource('https://api.example/')).toBe(true);
        expect(await s.resources.deleteResource('https://api.example/')).toBe(false);
        expect(await s.resources.findResource('https://api.example/')).toBeNull();
      });

      test('round-trips client authentication by keys and the registration access token of a registered app (issue 19)', async () => {
        const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' }] };
        const inline = appRecord({ tokenEndpointAuthMethod: 'private_key_jwt', jwks, registrationTokenHash: sha256Hex('registration') });
        const byAddress = appRecord({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://app.example/jwks.json' });
        await s.createApp(inline);
        await s.createApp(byAddress);
        expect(await s.findApp(inline.clientId)).toEqual(inline);
        expect(await s.findApp(byAddress.clientId)).toEqual(byAddress);
        await s.updateApp(inline.clientId, { tokenEndpointAuthMethod: 'client_secret_jwt', jwks: null, registrationTokenHash: null });
        expect(await s.findApp(inline.clientId)).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_jwt', jwks: null, registrationTokenHash: null, jwksUri: null });
      });

      test('keeps a public client without a secret and an app without scopes', async () => {
        const app = appRecord({ secretHash: null, secretSealed: null, platforms: [{ type: 'desktop' }], scopes: [], redirectUris: [], tokenEndpointAuthMethod: 'none' });
        await s.createApp(app);
        expect(await s.findApp(app.clientId)).toEqual(app);
      });

      test('lists apps oldest first, and by owner', async () => {
        const owner = userRecord();
        await s.createUser(owner);
        const a = appRecord({ ownerId: owner.id });
        const b = appRecord();
        await s.createApp(b);
        await s.createApp(a);
        expect((await s.listApps()).map((x) => x.clientId)).toEqual([a.clientId, b.clientId]);
        expect((await s.listApps({ ownerId: owner.id })).map((x) => x.clientId)).toEqual([a.clientId]);
      });

      test('updates only the fields in the patch', async () => {
        const app = appRecord();
        await s.createApp(app);
        const patch = {
          name: 'Renamed', scopes: ['login:email'], optionalScopes: ['login:info'], redirectUris: ['https://x.example/cb'],
          secretHash: null, secretSealed: null, platforms: [{ type: 'desktop' as const }], status: 'blocked' as const,
          accessTokenTtlSeconds: 60, idTokenAlg: 'RS256' as const, postLogoutRedirectUris: ['https://x.example/bye'], updatedAt: T0 + 99,
          introspects: [randomHex(16) as ClientId],
        };
        await s.updateApp(app.clientId, patch);
        // A block through a plain patch counts as an operator's: only blockApp records the owner's.
        expect(await s.findApp(app.clientId)).toEqual({ ...app, ...patch, blockedBy: 'operator' });
        await s.updateApp(app.clientId, { status: 'active', firstParty: true });
        expect(await s.findApp(app.clientId)).toMatchObject({ status: 'active', blockedBy: null, firstParty: true });
      });

      test('keeps who blocked an app: the owner lifts only their own block, an operator any, and the owner\'s block never replaces an operator\'s', async () => {
        const app = appRecord();
        await s.createApp(app);
        const state = async () => {
          const found = (await s.findApp(app.clientId))!;
          return [found.status, found.blockedBy];
        };
        await s.blockApp(app.clientId, 'owner', T0 + 1);
        expect(await state()).toEqual(['blocked', 'owner']);
        expect((await s.findApp(app.clientId))!.updatedAt).toBe(T0 + 1);
        expect(await s.unblockApp(app.clientId, 'owner', T0 + 2)).toBe(true);
        expect(await state()).toEqual(['active', null]);
        // An operator's block, then the owner's: still the operator's, and the owner cannot lift it.
        await s.blockApp(app.clientId, 'operator', T0 + 3);
        await s.blockApp(app.clientId, 'owner', T0 + 4);
        expect(await state()).toEqual(['blocked', 'operator']);
        expect(await s.unblockApp(app.clientId, 'owner', T0 + 5)).toBe(false);
        expect(await state()).toEqual(['blocked', 'operator']);
        // The owner's block, then an operator's: now the operator's.
        expect(await s.unblockApp(app.clientId, 'operator', T0 + 6)).toBe(true);
        await s.blockApp(app.clientId, 'owner', T0 + 7);
        await s.blockApp(app.clientId, 'operator', T0 + 8);
        expect(await s.unblockApp(app.clientId, 'owner', T0 + 9)).toBe(false);
        expect(await state()).toEqual(['blocked', 'operator']);
        expect(await s.unblockApp(app.clientId, 'operator', T0 + 10)).toBe(true);
        // Unblocking an app that is not blocked is no refusal; an app created blocked is an operator's block.
        expect(await s.unblockApp(app.clientId, 'owner', T0 + 11)).toBe(true);
        const created = appRecord({ status: 'blocked' });
        await s.createApp(created);
        expect((await s.findApp(created.clientId))!.blockedBy).toBe('operator');
        expect(await s.unblockApp(created.clientId, 'owner', T0 + 12)).toBe(false);
      });

      test('an owner\'s block racing an operator\'s, then the owner\'s unblock, never leaves the app unblocked by the owner', async () => {
        const other = opened.reopen ? await opened.reopen() : s;
        for (let round = 0; round < 10; round++) {
          const app = appRecord();
          await s.createApp(app);
          await s.blockApp(app.clientId, 'owner', T0);
          await Promise.all([other.blockApp(app.clientId, 'operator', T0 + 1), s.unblockApp(app.clientId, 'owner', T0 + 1)]);
          await s.unblockApp(app.clientId, 'owner', T0 + 2);
          // Whichever ran first, the operator's block is the last word.
          expect((await s.findApp(app.clientId))!.blockedBy, `round ${round}`).toBe('operator');
        }
      });
    });

    describe('sessions', () => {
      const sessionRecord = (user: UserRecord, over: Partial<SessionRecord> = {}): SessionRecord => ({
        hash: sha256Hex(randomHex(32)), userId: user.id, authTime: T0, amr: ['pwd'], createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 60 * MINUTE,
        userAgent: 'Mozilla/5.0', ip: '127.0.0.1', ...over,
      });

      test('finds a session until it expires, not from its expiry on', async () => {
        const { user } = await seed();
        const session = sessionRecord(user);
        await s.createSession(session);
        expect(await s.findSession(session.hash, T0)).toEqual(session);
        expect(await s.findSession(session.hash, session.expiresAt - 1)).toEqual(session);
        expect(await s.findSession(session.hash, session.expiresAt)).toBeNull();
        expect(await s.findSession(sha256Hex('unknown'), T0)).toBeNull();
      });

      test('extends a session, never back to an earlier use', async () => {
        const { user } = await seed();
        const session = sessionRecord(user);
        await s.createSession(session);
        await s.extendSession(session.hash, T0 + 30 * MINUTE, session.expiresAt + 60 * MINUTE);
        expect(await s.findSession(session.hash, session.expiresAt + MINUTE)).toMatchObject({ lastSeenAt: T0 + 30 * MINUTE, expiresAt: session.expiresAt + 60 * MINUTE });
        // A slower process that saw an earlier request writes after it: nothing moves back.
        await s.extendSession(session.hash, T0 + 10 * MINUTE, session.expiresAt + 40 * MINUTE);
        expect(await s.findSession(session.hash, session.expiresAt + MINUTE)).toMatchObject({ lastSeenAt: T0 + 30 * MINUTE, expiresAt: session.expiresAt + 60 * MINUTE });
      });

      test('deletes one session, or all of a user\'s but the one kept', async () => {
        const { user } = await seed();
        const other = userRecord();
        await s.createUser(other);
        const [a, b, c] = [sessionRecord(user), sessionRecord(user), sessionRecord(user)];
        const theirs = sessionRecord(other);
        for (const x of [a!, b!, c!, theirs]) await s.createSession(x);
        await s.deleteSession(a!.hash);
        expect(await s.findSession(a!.hash, T0)).toBeNull();
        await s.deleteSessionsOfUser(user.id, c!.hash);
        expect(await s.findSession(b!.hash, T0)).toBeNull();
        expect(await s.findSession(c!.hash, T0)).not.toBeNull();
        expect(await s.findSession(theirs.hash, T0)).not.toBeNull();
        await s.deleteSessionsOfUser(user.id);
        expect(await s.findSession(c!.hash, T0)).toBeNull();
      });
    });

    describe('consent', () => {
      test('saves consent, replaces its scopes on the next save and keeps when it was first given', async () => {
        const { user, app } = await seed();
        expect(await s.findConsent(user.id, app.clientId)).toBeNull();
        await s.saveConsent({ userId: user.id, clientId: app.clientId, scopes: ['login:info'], createdAt: T0, updatedAt: T0 });
        await s.saveConsent({ userId: user.id, clientId: app.clientId, scopes: ['login:info', 'login:email'], createdAt: T0 + 7, updatedAt: T0 + 7 });
        expect(await s.findConsent(user.id, app.clientId)).toEqual({
          userId: user.id, clientId: app.clientId, scopes: ['login:info', 'login:email'], createdAt: T0, updatedAt: T0 + 7,
        });
      });

      test('keeps consent per user and app, and deletes it', async () => {
        const { user, app } = await seed();
        const other = appRecord();
        await s.createApp(other);
        await s.saveConsent({ userId: user.id, clientId: app.clientId, scopes: ['login:info'], createdAt: T0, updatedAt: T0 });
        await s.saveConsent({ userId: user.id, clientId: other.clientId, scopes: [], createdAt: T0, updatedAt: T0 });
        expect((await s.findConsent(user.id, other.clientId))?.scopes).toEqual([]);
        await s.deleteConsent(user.id, app.clientId);
        expect(await s.findConsent(user.id, app.clientId)).toBeNull();
        expect(await s.findConsent(user.id, other.clientId)).not.toBeNull();
      });
    });

    describe('authorization codes', () => {
      test('consumes a code once: consumed, then already_consumed with the record', async () => {
        const { user, app } = await seed();
        const code = codeRecord(user, app, {
          codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', codeChallengeMethod: 'S256', nonce: 'n-0S6',
          deviceId: 'device-1', deviceName: 'Phone', scopes: ['login:info', 'login:email'],
        });
        await s.createCode(code);
        expect(await s.consumeCode(code.hash, T0 + 1)).toEqual({ outcome: 'consumed', record: { ...code, consumedAt: T0 + 1 }, userActive: true });
        expect(await s.consumeCode(code.hash, T0 + 2)).toEqual({ outcome: 'already_consumed', record: { ...code, consumedAt: T0 + 1 } });
      });

      test('answers not_found for an unknown code', async () => {
        expect(await s.consumeCode(sha256Hex('no such code'), T0)).toEqual({ outcome: 'not_found' });
      });

      test('keeps a verification code without a redirect URI', async () => {
        const { user, app } = await seed();
        const code = codeRecord(user, app, { kind: 'verification', redirectUri: null });
        await s.createCode(code);
        expect(await s.consumeCode(code.hash, T0)).toEqual({ outcome: 'consumed', record: { ...code, consumedAt: T0 }, userActive: true });
      });

      test("tells the winner whether the code's user is still active", async () => {
        const { user, app } = await seed();
        const code = codeRecord(user, app);
        await s.createCode(code);
        await s.updateUser(user.id, { status: 'blocked' });
        expect(await s.consumeCode(code.hash, T0)).toMatchObject({ outcome: 'consumed', userActive: false });
      });

      test('refuses two codes with the same hash', async () => {
        const { user, app } = await seed();
        const code = codeRecord(user, app);
        await s.createCode(code);
        await expect(s.createCode({ ...code, familyId: randomHex(16) })).rejects.toThrow();
      });

      test('of 50 concurrent consumers of one code, exactly one wins (atomic)', async () => {
        const { user, app } = await seed();
        const code = codeRecord(user, app);
        await s.createCode(code);
        const storages = await racers();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => storages[i % storages.length]!.consumeCode(code.hash, T0 + i)),
        );
        const outcomes = results.map((r) => r.outcome);
        expect(outcomes.filter((o) => o === 'consumed')).toHaveLength(1);
        expect(outcomes.filter((o) => o === 'already_consumed')).toHaveLength(49);
        // Every loser sees the winner's consumption time.
        const times = new Set(results.map((r) => (r.outcome === 'not_found' ? null : r.record.consumedAt)));
        expect(times.size).toBe(1);
      });
    });

    describe('tokens', () => {
      test('round-trips every field of a token', async () => {
        const { user, app } = await seed();
        const tokens = family(user, app, { scopes: ['login:info', 'login:email'], deviceId: 'device-1', deviceName: 'Phone', isDebug: true, jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
        await save(tokens);
        for (const t of tokens) expect(await s.findToken(t.hash)).toEqual(t);
        expect(await s.findToken(sha256Hex('unknown'))).toBeNull();
      });

      test('keeps tokens of an app acting for itself (no user)', async () => {
        const { app } = await seed();
        const [access] = family(null, app, { authTime: null });
        await save([access!]);
        expect(await s.findToken(access!.hash)).toEqual(access);
      });

      test('reads a token with its user and app in one answer, as findToken, findUserById and findApp read them', async () => {
        const { user, app } = await seed();
        const tokens = family(user, app, { scopes: ['login:info', 'login:email'] });
        await save(tokens);
        for (const t of tokens) {
          expect(await s.findTokenWithOwners(t.hash)).toEqual({ token: t, user: await s.findUserById(user.id), app: await s.findApp(app.clientId) });
        }
        expect(await s.findTokenWithOwners(sha256Hex('unknown'))).toBeNull();
      });

      test('reads a token and the app a client names in one answer, as findTokenWithOwners and findApp read them, whoever the token belongs to', async () => {
        const { user, app } = await seed();
        const other = await seed();
        const tokens = family(user, app);
        await save(tokens);
        for (const t of tokens) {
          const withOwners = await s.findTokenWithOwners(t.hash);
          expect(await s.findTokenForClient(t.hash, app.clientId)).toEqual({ found: withOwners, client: await s.findApp(app.clientId) });
          // Another app asking reads the same token and its own app: whether it may see the token is the caller's check.
          expect(await s.findTokenForClient(t.hash, other.app.clientId)).toEqual({ found: withOwners, client: await s.findApp(other.app.clientId) });
        }
        expect(await s.findTokenForClient(sha256Hex('unknown'), app.clientId)).toEqual({ found: null, client: await s.findApp(app.clientId) });
        expect(await s.findTokenForClient(tokens[0]!.hash, 'f'.repeat(32) as ClientId)).toEqual({ found: await s.findTokenWithOwners(tokens[0]!.hash), client: null });
        expect(await s.findTokenForClient(sha256Hex('unknown'), 'f'.repeat(32) as ClientId)).toEqual({ found: null, client: null });
        // A block of the named app is seen by the next read, as findApp sees it.
        await s.blockApp(other.app.clientId, 'operator', T0 + 1);
        expect((await s.findTokenForClient(tokens[0]!.hash, other.app.clientId)).client).toMatchObject({ status: 'blocked', blockedBy: 'operator' });
        // In a unit, what the unit wrote.
        await expect(s.atomically(async () => {
          await s.updateApp(app.clientId, { name: 'Uncommitted' });
          const seen = await s.findTokenForClient(tokens[0]!.hash, app.clientId);
          expect([seen.found!.app!.name, seen.client!.name]).toEqual(['Uncommitted', 'Uncommitted']);
          throw new Error('rolled back');
        })).rejects.toThrow('rolled back');
        expect((await s.findTokenForClient(tokens[0]!.hash, app.clientId)).client!.name).toBe(app.name);
      });

      test('reads an app\'s own token with no user', async () => {
        const { app } = await seed();
        const [access] = family(null, app, { authTime: null });
        await save([access!]);
        expect(await s.findTokenWithOwners(access!.hash)).toEqual({ token: access, user: null, app: await s.findApp(app.clientId) });
      });

      test('reads a token\'s revocation, and its user\'s and app\'s blocks, as they are now: nothing of it is remembered', async () => {
        const { user, app } = await seed();
        const tokens = family(user, app);
        await save(tokens);
        expect((await s.findTokenWithOwners(tokens[0]!.hash))!.user!.status).toBe('active');
        await s.updateUser(user.id, { status: 'blocked' });
        expect((await s.findTokenWithOwners(tokens[0]!.hash))!.user!.status).toBe('blocked');
        await s.blockApp(app.clientId, 'operator', T0 + 1);
        expect((await s.findTokenWithOwners(tokens[0]!.hash))!.app).toMatchObject({ status: 'blocked', blockedBy: 'operator' });
        await s.revokeAccess({ userId: user.id, clientId: app.clientId }, T0 + 2);
        expect((await s.findTokenWithOwners(tokens[0]!.hash))!.token.revokedAt).toBe(T0 + 2);
      });

      test('a user or an app changed through another connection is seen by the next check, however often they were read before', async () => {
        const { user, app } = await seed();
        const [access] = family(user, app);
        await save([access!]);
        // Read enough for any process-side copy to be in use.
        for (let i = 0; i < 3; i++) {
          expect((await s.findTokenWithOwners(access!.hash))!.user!.firstName).toBe('Ada');
          expect((await s.findApp(app.clientId))!.name).toBe(app.name);
        }
        // Another process, the CLI or an operator's SQL: nothing tells this connection.
        const other = opened.reopen ? await opened.reopen() : s;
        await other.updateUser(user.id, { firstName: 'Augusta', status: 'blocked' });
        expect((await s.findTokenWithOwners(access!.hash))!.user).toMatchObject({ firstName: 'Augusta', status: 'blocked' });
        await other.updateApp(app.clientId, { name: 'Renamed elsewhere' });
        expect((await s.findTokenWithOwners(access!.hash))!.app!.name).toBe('Renamed elsewhere');
        expect((await s.findApp(app.clientId))!.name).toBe('Renamed elsewhere');
        await other.blockApp(app.clientId, 'operator', T0 + 1);
        expect((await s.findApp(app.clientId))!.status).toBe('blocked');
        expect((await s.findTokenWithOwners(access!.hash))!.app!.status).toBe('blocked');
        // Gone, then made again under the same client id: the new one, never the one read before.
        await other.deleteApp(app.clientId);
        expect(await s.findApp(app.clientId)).toBeNull();
        await other.createApp({ ...app, name: 'Made again' });
        expect((await s.findApp(app.clientId))!.name).toBe('Made again');
        await other.eraseUser(user.id, (details) => details);
        expect((await s.findTokenWithOwners(access!.hash))?.user ?? null).toBeNull();
      });

      test('answers a token check at once only with what it answers after waiting, however the token and its owners change', async () => {
        const { user, app } = await seed();
        const caller = await seed();
        const [access] = family(user, app);
        await save([access!]);
        // SQLite's reading connection answers before returning; PostgreSQL always needs the wait.
        const atOnce = name === 'SQLite';
        expect(s.answersAtOnce).toBe(atOnce);
        const check = async () => {
          const now = s.findTokenWithOwnersNow(access!.hash);
          const forCaller = s.findTokenForClientNow(access!.hash, caller.app.clientId);
          const later = await s.findTokenWithOwners(access!.hash);
          const laterForCaller = await s.findTokenForClient(access!.hash, caller.app.clientId);
          if (now !== undefined) expect(now).toEqual(later);
          if (forCaller !== undefined) expect(forCaller).toEqual(laterForCaller);
          // Once the owners were read, the next check has them at hand, unless the engine never answers at once.
          const again = s.findTokenWithOwnersNow(access!.hash);
          const againForCaller = s.findTokenForClientNow(access!.hash, caller.app.clientId);
          expect(again).toEqual(atOnce ? later : undefined);
          expect(againForCaller).toEqual(atOnce ? laterForCaller : undefined);
          return later!;
        };
        expect((await check()).user!.status).toBe('active');
        // Changed through another connection (another process, the CLI): never the answer from before.
        const other = opened.reopen ? await opened.reopen() : s;
        await other.updateUser(user.id, { status: 'blocked' });
        expect(s.findTokenWithOwnersNow(access!.hash)?.user?.status).not.toBe('active');
        expect((await check()).user!.status).toBe('blocked');
        await other.blockApp(app.clientId, 'operator', T0 + 1);
        expect(s.findTokenWithOwnersNow(access!.hash)?.app?.status).not.toBe('active');
        expect((await check()).app!.status).toBe('blocked');
        await other.blockApp(caller.app.clientId, 'operator', T0 + 1);
        expect(s.findTokenForClientNow(access!.hash, caller.app.clientId)?.client?.status).not.toBe('active');
        expect((await check()).app!.status).toBe('blocked');
        // A revocation is read with the token every time: the owners at hand are still good, the token is not.
        await other.revokeAccess({ userId: user.id, clientId: app.clientId }, T0 + 2);
        if (atOnce) expect(s.findTokenWithOwnersNow(access!.hash)!.token.revokedAt).toBe(T0 + 2);
        expect((await check()).token.revokedAt).toBe(T0 + 2);
        // A token or an app that does not exist, at once as after waiting.
        const unknown = sha256Hex('unknown');
        if (atOnce) {
          expect(s.findTokenWithOwnersNow(unknown)).toBeNull();
          expect(s.findTokenForClientNow(unknown, caller.app.clientId)).toEqual(await s.findTokenForClient(unknown, caller.app.clientId));
          expect(s.findTokenForClientNow(access!.hash, 'f'.repeat(32) as ClientId)).toEqual(await s.findTokenForClient(access!.hash, 'f'.repeat(32) as ClientId));
        }
        // In a unit the reads see its own writes, which only the wait gives.
        await s.atomically(async () => {
          await s.updateApp(app.clientId, { name: 'In a unit' });
          expect(s.findTokenWithOwnersNow(access!.hash)).toBeUndefined();
          expect(s.findTokenForClientNow(access!.hash, caller.app.clientId)).toBeUndefined();
        });
      });

      test('what a unit read of its own writes is never served after it rolls back', async () => {
        const { user, app } = await seed();
        const [access] = family(user, app);
        await save([access!]);
        await expect(s.atomically(async () => {
          await s.updateUser(user.id, { firstName: 'Uncommitted' });
          await s.updateApp(app.clientId, { name: 'Uncommitted' });
          const seen = (await s.findTokenWithOwners(access!.hash))!;
          expect([seen.user!.firstName, seen.app!.name, (await s.findApp(app.clientId))!.name]).toEqual(['Uncommitted', 'Uncommitted', 'Uncommitted']);
          throw new Error('rolled back');
        })).rejects.toThrow('rolled back');
        const after = (await s.findTokenWithOwners(access!.hash))!;
        expect([after.user!.firstName, after.app!.name, (await s.findApp(app.clientId))!.name]).toEqual(['Ada', app.name, app.name]);
        await s.updateUser(user.id, { firstName: 'Committed' });
        expect((await s.findTokenWithOwners(access!.hash))!.user!.firstName).toBe('Committed');
      });

      test('the records a check answers with cannot be changed by whoever holds them', async () => {
        const { user, app } = await seed();
        const [access] = family(user, app);
        await save([access!]);
        for (let i = 0; i < 2; i++) {
          const found = (await s.findTokenWithOwners(access!.hash))!;
          const held = await s.findApp(app.clientId);
          // A shared copy changed by one request would be seen by the next: it refuses instead.
          expect(() => { (found.user as { status: string }).status = 'active'; }).toThrow(TypeError);
          expect(() => { (held!.scopes as string[]).push('gatehouse:admin'); }).toThrow(TypeError);
          expect(() => { (found.app!.redirectUris as string[])[0] = 'https://evil.example/'; }).toThrow(TypeError);
        }
        expect((await s.findApp(app.clientId))!.scopes).toEqual(app.scopes);
      });

      test('does nothing for an empty list', async () => {
        await save([]);
      });

      test('rotates a refresh token once: consumed, then already_consumed', async () => {
        const { user, app } = await seed();
        const [, refresh] = family(user, app);
        await save([refresh!]);
        expect(await s.rotateRefreshToken(refresh!.hash, T0 + 1)).toEqual({ outcome: 'consumed', record: { ...refresh, rotatedAt: T0 + 1 } });
        expect(await s.rotateRefreshToken(refresh!.hash, T0 + 2)).toEqual({ outcome: 'already_consumed', record: { ...refresh, rotatedAt: T0 + 1 } });
      });

      test('rotates only refresh tokens: unknown and access tokens are not_found', async () => {
        const { user, app } = await seed();
        const [access] = family(user, app);
        await save([access!]);
        expect(await s.rotateRefreshToken(access!.hash, T0)).toEqual({ outcome: 'not_found' });
        expect(await s.findToken(access!.hash)).toEqual(access);
        expect(await s.rotateRefreshToken(sha256Hex('unknown'), T0)).toEqual({ outcome: 'not_found' });
      });

      test('of 50 concurrent rotations of one refresh token, exactly one wins (atomic)', async () => {
        const { user, app } = await seed();
        const [, refresh] = family(user, app);
        await save([refresh!]);
        const storages = await racers();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => storages[i % storages.length]!.rotateRefreshToken(refresh!.hash, T0 + i)),
        );
        const outcomes = results.map((r) => r.outcome);
        expect(outcomes.filter((o) => o === 'consumed')).toHaveLength(1);
        expect(outcomes.filter((o) => o === 'already_consumed')).toHaveLength(49);
      });

      test('revokes a family and nothing else, keeping earlier revocation times', async () => {
        const { user, app } = await seed();
        const a = family(user, app);
        const b = family(user, app);
        await save(a);
        await save(b);
        await s.revokeFamily(a[0]!.familyId, T0 + 10);
        expect(await revokedAt(a[0]!)).toBe(T0 + 10);
        expect(await revokedAt(a[1]!)).toBe(T0 + 10);
        expect(await revokedAt(b[0]!)).toBeNull();
        await s.revokeFamily(a[0]!.familyId, T0 + 20);
        expect(await revokedAt(a[0]!)).toBe(T0 + 10);
      });

      test('revokes every token of a user, of an app, or of a user in one app', async () => {
        const { user, app } = await seed();
        const otherUser = userRecord();
        const otherApp = appRecord();
        await s.createUser(otherUser);
        await s.createApp(otherApp);
        const mine = family(user, app);
        const mineElsewhere = family(user, otherApp);
        const theirs = family(otherUser, app);
        const theirsElsewhere = family(otherUser, otherApp);
        const appOnly = family(null, otherApp, { authTime: null }).slice(0, 1);
        for (const f of [mine, mineElsewhere, theirs, theirsElsewhere, appOnly]) await save(f);
        const revoked = async (tokens: TokenRecord[]) => Promise.all(tokens.map(revokedAt));

        await s.revokeAccess({ userId: user.id, clientId: app.clientId }, T0 + 1);
        expect(await revoked(mine)).toEqual([T0 + 1, T0 + 1]);
        expect(await revoked([...mineElsewhere, ...theirs, ...theirsElsewhere, ...appOnly])).toEqual([null, null, null, null, null, null, null]);

        await s.revokeAccess({ userId: user.id }, T0 + 2);
        expect(await revoked(mine)).toEqual([T0 + 1, T0 + 1]);
        expect(await revoked(mineElsewhere)).toEqual([T0 + 2, T0 + 2]);
        expect(await revoked([...theirs, ...theirsElsewhere, ...appOnly])).toEqual([null, null, null, null, null]);

        await s.revokeAccess({ clientId: otherApp.clientId }, T0 + 3);
        expect(await revoked([...theirsElsewhere, ...appOnly])).toEqual([T0 + 3, T0 + 3, T0 + 3]);
        expect(await revoked(theirs)).toEqual([null, null]);
      });

      test('a revocation deletes the unused codes and device codes it covers, and keeps used ones and everyone else\'s', async () => {
        const { user, app } = await seed();
        const otherUser = userRecord();
        await s.createUser(otherUser);
        const unused = codeRecord(user, app);
        const used = codeRecord(user, app);
        const theirs = codeRecord(otherUser, app);
        for (const c of [unused, used, theirs]) await s.createCode(c);
        await s.consumeCode(used.hash, T0 + 1);
        const device = { hash: sha256Hex(randomHex(32)), userCodeHash: sha256Hex(randomHex(8)), clientId: app.clientId, scopes: ['login:info'], optionalScopes: [],
          deviceId: null, deviceName: null, status: 'pending' as const, userId: null, grantedScopes: null, authTime: null, amr: [], intervalSeconds: 5, lastPolledAt: null,
          familyId: randomHex(16), createdAt: T0, expiresAt: T0 + 10 * MINUTE, consumedAt: null };
        await s.createDeviceCode(device);
        await s.decideDeviceCode(device.userCodeHash, { approved: true, userId: user.id, grantedScopes: ['login:info'], authTime: T0, amr: ['pwd'] }, T0 + 1);

        await s.revokeAccess({ userId: user.id, clientId: app.clientId }, T0 + 2);
        expect((await s.consumeCode(unused.hash, T0 + 3)).outcome).toBe('not_found');
        expect((await s.consumeCode(used.hash, T0 + 3)).outcome).toBe('already_consumed');
        expect((await s.consumeCode(theirs.hash, T0 + 3)).outcome).toBe('consumed');
        expect(await s.pollDeviceCode(device.hash, app.clientId, T0 + 3)).toBeNull();
      });

      test('a token issued under an earlier revocation generation reads as revoked, and its refresh token no longer rotates', async () => {
        const { user, app } = await seed();
        const before = family(user, app);
        expect(await save(before)).toBe('saved');
        await s.revokeAccess({ userId: user.id, clientId: app.clientId }, T0 + 1);
        // Issued from something read before the revocation (a refresh racing it): dead on arrival.
        const raced = family(user, app, { generation: before[0]!.generation });
        expect(await save(raced)).toBe('revoked');
        for (const t of raced) expect(await revokedAt(t)).not.toBeNull();
        // Issued afresh after it (a new sign-in): the current generation, alive.
        const fresh = family(user, app, { generation: undefined });
        expect(await save(fresh)).toBe('saved');
        expect(await revokedAt(fresh[0]!)).toBeNull();
        expect((await s.findToken(fresh[0]!.hash))!.generation).not.toBe(before[0]!.generation);
        expect((await s.rotateRefreshToken(raced[1]!.hash, T0 + 2)).outcome).toBe('already_consumed');
        expect((await s.rotateRefreshToken(fresh[1]!.hash, T0 + 2)).outcome).toBe('consumed');
      });

      describe('device cap (docs/protocol.md §4: at most 30 device-bound families per user and app)', () => {
        test('the 31st device-bound family revokes the oldest family', async () => {
          const { user, app } = await seed();
          const families: TokenRecord[][] = [];
          for (let i = 0; i < 31; i++) {
            const f = family(user, app, { deviceId: `device-${i}`, createdAt: T0 + i * MINUTE });
            families.push(f);
            await save(f, T0 + i * MINUTE);
            if (i === 29) expect(await revokedAt(families[0]![0]!)).toBeNull();
          }
          expect(await revokedAt(families[0]![0]!)).toBe(T0 + 30 * MINUTE);
          expect(await revokedAt(families[0]![1]!)).toBe(T0 + 30 * MINUTE);
          for (const f of families.slice(1)) for (const t of f) expect(await revokedAt(t)).toBeNull();
        });

        test('counts families per user and app: other users, apps and non-device tokens are untouched', async () => {
          const { user, app } = await seed();
          const otherUser = userRecord();
          const otherApp = appRecord();
          await s.createUser(otherUser);
          await s.createApp(otherApp);
          const bystanders = [
            family(user, otherApp, { deviceId: 'device-x', createdAt: T0 - MINUTE }),
            family(otherUser, app, { deviceId: 'device-y', createdAt: T0 - MINUTE }),
            family(user, app, { createdAt: T0 - MINUTE }),
          ];
          for (const f of bystanders) await save(f, T0 - MINUTE);
          for (let i = 0; i < 35; i++) await save(family(user, app, { deviceId: `device-${i}`, createdAt: T0 + i }), T0 + i);
          for (const f of bystanders) for (const t of f) expect(await revokedAt(t)).toBeNull();
        });

        test('never caps tokens without a device', async () => {
          const { user, app } = await seed();
          const families: TokenRecord[][] = [];
          for (let i = 0; i < 40; i++) {
            const f = family(user, app, { createdAt: T0 + i });
            families.push(f);
            await save(f, T0 + i);
          }
          for (const f of families) for (const t of f) expect(await revokedAt(t)).toBeNull();
        });

        test('revoked and expired families do not count towards the cap', async () => {
          const { user, app } = await seed();
          const first = family(user, app, { deviceId: 'device-first', createdAt: T0 });
          await save(first, T0);
          for (let i = 1; i < 30; i++) {
            const f = family(user, app, { deviceId: `device-${i}`, createdAt: T0 + i });
            await save(f, T0 + i);
            if (i <= 5) await s.revokeFamily(f[0]!.familyId, T0 + i);
          }
          // 30 families, 5 revoked: five more fit before the first one goes.
          for (let i = 30; i < 35; i++) await save(family(user, app, { deviceId: `device-${i}`, createdAt: T0 + i }), T0 + i);
          expect(await revokedAt(first[0]!)).toBeNull();
          await save(family(user, app, { deviceId: 'device-36', createdAt: T0 + 36 }), T0 + 36);
          expect(await revokedAt(first[0]!)).toBe(T0 + 36);
        });
      });
    });

    describe('personalisation grants of the instant-login frames (docs/protocol.md §8)', () => {
      async function sessionOf(user: UserRecord): Promise<SessionRecord> {
        const session: SessionRecord = {
          hash: sha256Hex(randomHex(32)), userId: user.id, authTime: T0, amr: ['pwd'], createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 60 * MINUTE, userAgent: null, ip: null,
        };
        await s.createSession(session);
        return session;
      }
      const grantRecord = (user: UserRecord, app: AppRecord, session: SessionRecord, over: Partial<SuggestGrantRecord> = {}): SuggestGrantRecord => ({
        hash: sha256Hex(randomHex(32)), userId: user.id, clientId: app.clientId, origin: 'https://shop.example', sessionHash: session.hash,
        createdAt: T0, expiresAt: T0 + 30 * MINUTE, ...over,
      });

      test('finds a grant by its hash until it expires, not from its expiry on', async () => {
        const { user, app } = await seed();
        const grant = grantRecord(user, app, await sessionOf(user));
        await s.createSuggestGrant(grant);
        expect(await s.findSuggestGrant(grant.hash, T0)).toEqual(grant);
        expect(await s.findSuggestGrant(grant.hash, grant.expiresAt - 1)).toEqual(grant);
        expect(await s.findSuggestGrant(grant.hash, grant.expiresAt)).toBeNull();
        expect(await s.findSuggestGrant(sha256Hex('unknown'), T0)).toBeNull();
      });

      test('a grant ends with the session it was made from (signing out)', async () => {
        const { user, app } = await seed();
        const [kept, ended] = [await sessionOf(user), await sessionOf(user)];
        const [a, b] = [grantRecord(user, app, kept), grantRecord(user, app, ended)];
        await s.createSuggestGrant(a);
        await s.createSuggestGrant(b);
        await s.deleteSession(ended.hash);
        expect(await s.findSuggestGrant(b.hash, T0)).toBeNull();
        expect(await s.findSuggestGrant(a.hash, T0)).toEqual(a);
        await s.deleteSessionsOfUser(user.id);
        expect(await s.findSuggestGrant(a.hash, T0)).toBeNull();
      });

      test('revokes a user\'s grants for one app, or all of them, and nobody else\'s', async () => {
        const { user, app } = await seed();
        const other = appRecord();
        const someone = userRecord();
        await s.createApp(other);
        await s.createUser(someone);
        const session = await sessionOf(user);
        const mine = grantRecord(user, app, session);
        const mineElsewhere = grantRecord(user, other, session);
        const theirs = grantRecord(someone, app, await sessionOf(someone));
        for (const g of [mine, mineElsewhere, theirs]) await s.createSuggestGrant(g);
        await s.deleteSuggestGrants(user.id, app.clientId);
        expect(await s.findSuggestGrant(mine.hash, T0)).toBeNull();
        expect(await s.findSuggestGrant(mineElsewhere.hash, T0)).toEqual(mineElsewhere);
        await s.deleteSuggestGrants(user.id);
        expect(await s.findSuggestGrant(mineElsewhere.hash, T0)).toBeNull();
        expect(await s.findSuggestGrant(theirs.hash, T0)).toEqual(theirs);
      });

      test('the clean-up deletes expired grants and keeps live ones', async () => {
        const { user, app } = await seed();
        const session = await sessionOf(user);
        const expired = grantRecord(user, app, session, { expiresAt: T0 + MINUTE });
        const live = grantRecord(user, app, session);
        await s.createSuggestGrant(expired);
        await s.createSuggestGrant(live);
        const now = T0 + 2 * MINUTE;
        await s.deleteExpired(now, { tokensBefore: now, familiesBefore: now, countersBefore: now });
        expect(await s.findSuggestGrant(expired.hash, T0)).toBeNull();
        expect(await s.findSuggestGrant(live.hash, now)).toEqual(live);
      });
    });

    describe('audit log (issue 10)', () => {
      const entry = (over: Partial<Omit<AuditEntry, 'id'>> = {}): Omit<AuditEntry, 'id'> => ({
        at: T0, action: 'sign_in', outcome: 'ok', actorType: 'user', actorId: '100000000000001',
        userId: '100000000000001' as UserId, clientId: null, ip: '203.0.113.7', details: { method: 'password' }, ...over,
      });

      test('stores an entry as given and lists it back with its id', async () => {
        const e = entry({ clientId: 'a'.repeat(32) as ClientId, details: { grant: 'refresh_token', scopes: ['login:info'], n: 3, debug: false, none: null } });
        const { id } = await s.appendAudit(e);
        expect(await s.listAudit()).toEqual([{ ...e, id }]);
      });

      test('lists newest first, also within one millisecond, and pages with beforeId', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await s.appendAudit(entry({ at: T0 + (i < 3 ? 0 : i), details: { i } }))).id);
        const all = await s.listAudit();
        expect(all.map((e) => e.at)).toEqual([T0 + 4, T0 + 3, T0, T0, T0]);
        // Entries of one millisecond come in some order, each exactly once.
        expect(all.map((e) => e.details.i).sort()).toEqual([0, 1, 2, 3, 4]);
        expect(new Set(all.map((e) => e.id)).size).toBe(5);
        const firstTwo = await s.listAudit({ limit: 2 });
        expect(firstTwo).toEqual(all.slice(0, 2));
        expect(await s.listAudit({ limit: 2, beforeId: firstTwo[1]!.id })).toEqual(all.slice(2, 4));
      });

      test('filters by user, app and action, together', async () => {
        const alice = '100000000000001' as UserId;
        const bob = '100000000000002' as UserId;
        const app = 'b'.repeat(32) as ClientId;
        await s.appendAudit(entry({ userId: alice }));
        await s.appendAudit(entry({ userId: bob, at: T0 + 1 }));
        await s.appendAudit(entry({ userId: alice, clientId: app, action: 'consent', at: T0 + 2 }));
        await s.appendAudit(entry({ userId: null, clientId: app, action: 'app_updated', actorType: 'operator', actorId: null, at: T0 + 3 }));
        expect((await s.listAudit({ userId: alice })).map((e) => e.at)).toEqual([T0 + 2, T0]);
        expect((await s.listAudit({ clientId: app })).map((e) => e.action)).toEqual(['app_updated', 'consent']);
        expect((await s.listAudit({ userId: alice, clientId: app })).map((e) => e.action)).toEqual(['consent']);
        expect((await s.listAudit({ action: 'sign_in' })).map((e) => e.userId)).toEqual([bob, alice]);
      });

      test('counts repeats under one key in one entry, parallel ones too; other keys and keyless entries stay apart', async () => {
        const failure = entry({ outcome: 'failed', actorType: 'anonymous', actorId: null, userId: null });
        const ids = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await s.appendAudit({ ...failure, at: T0 + i }, 'key-1')).id));
        await s.appendAudit(failure, 'key-2');
        await s.appendAudit(failure);
        expect(new Set(ids).size).toBe(1);
        const all = await s.listAudit();
        expect(all).toHaveLength(3);
        const counted = all.find((e) => e.id === ids[0])!;
        expect(counted.repeated?.count).toBe(20);
        expect(counted.repeated?.lastAt).toBeGreaterThanOrEqual(T0 + 1);
        expect(all.filter((e) => e.id !== ids[0]).map((e) => e.repeated)).toEqual([undefined, undefined]);
      });

      test('keeps entries about users and apps that no longer exist (no foreign keys)', async () => {
        const { id } = await s.appendAudit(entry({ userId: '999999999999999' as UserId, clientId: 'c'.repeat(32) as ClientId }));
        expect((await s.listAudit())[0]!.id).toBe(id);
      });

      test('limits the list to the limit asked, at least one and at most 10 000', async () => {
        for (let i = 0; i < 3; i++) await s.appendAudit(entry({ at: T0 + i }));
        expect(await s.listAudit({ limit: 0 })).toHaveLength(1);
        expect(await s.listAudit({ limit: 2 })).toHaveLength(2);
        expect(await s.listAudit({ limit: 1e9 })).toHaveLength(3);
      });
    });

    describe('console, account and admin pages (docs/protocol.md §10)', () => {
      test('searches users by a part of the login, name or email, ignoring case, or by id', async () => {
        const ada = userRecord({ login: 'ada.l', displayName: 'Ada Lovelace', firstName: 'Ada', lastName: 'Lovelace', emails: ['countess@example.org'] });
        const bob = userRecord({ login: 'bob', displayName: 'Bob', firstName: 'Bob', lastName: null, emails: [] });
        const pct = userRecord({ login: 'pct', displayName: '100% real', firstName: null, lastName: null, emails: [] });
        for (const u of [ada, bob, pct]) await s.createUser(u);
        const ids = async (search: string) => (await s.listUsers({ search })).map((u) => u.id);
        expect(await ids('LOVE')).toEqual([ada.id]);
        expect(await ids('COUNTESS@')).toEqual([ada.id]);
        expect(await ids('bo')).toEqual([bob.id]);
        expect(await ids(bob.id)).toEqual([bob.id]);
        expect(await ids('%')).toEqual([pct.id]);
        expect(await ids('_')).toEqual([]);
        expect(await ids('')).toEqual([ada.id, bob.id, pct.id]);
      });

      test('searches apps by a part of the name or by client_id, with a limit', async () => {
        const a = appRecord({ name: 'Photo Frame' });
        const b = appRecord({ name: 'Cinema TV' });
        await s.createApp(a);
        await s.createApp(b);
        expect((await s.listApps({ search: 'frame' })).map((x) => x.clientId)).toEqual([a.clientId]);
        expect((await s.listApps({ search: b.clientId })).map((x) => x.clientId)).toEqual([b.clientId]);
        expect(await s.listApps({ limit: 1 })).toHaveLength(1);
      });

      test('deletes an app with its tokens, codes, consents and nothing of other apps', async () => {
        const { user, app } = await seed();
        const other = appRecord();
        await s.createApp(other);
        const tokens = family(user, app);
        const kept = family(user, other);
        await save(tokens);
        await save(kept);
        const code = codeRecord(user, app);
        await s.createCode(code);
        await s.saveConsent({ userId: user.id, clientId: app.clientId, scopes: ['login:info'], createdAt: T0, updatedAt: T0 });
        await s.deleteApp(app.clientId);
        expect(await s.findApp(app.clientId)).toBeNull();
        expect(await s.findToken(tokens[0]!.hash)).toBeNull();
        expect(await s.findConsent(user.id, app.clientId)).toBeNull();
        expect((await s.consumeCode(code.hash, T0)).outcome).toBe('not_found');
        expect(await s.findToken(kept[0]!.hash)).not.toBeNull();
        expect(await s.findApp(other.clientId)).not.toBeNull();
      });

      test('lists a user\'s unexpired sessions newest first', async () => {
        const { user } = await seed();
        const other = userRecord();
        await s.createUser(other);
        const session = (userId: UserId, createdAt: Millis, expiresAt: Millis): SessionRecord => ({
          hash: sha256Hex(randomHex(32)), userId, authTime: createdAt, amr: ['pwd'], createdAt, lastSeenAt: createdAt, expiresAt, userAgent: 'Test/1.0', ip: '127.0.0.1',
        });
        const older = session(user.id, T0, T0 + 60 * MINUTE);
        const newer = session(user.id, T0 + MINUTE, T0 + 60 * MINUTE);
        const expired = session(user.id, T0 + 2 * MINUTE, T0 + 3 * MINUTE);
        for (const x of [older, newer, expired, session(other.id, T0, T0 + 60 * MINUTE)]) await s.createSession(x);
        expect(await s.listSessionsOfUser(user.id, T0 + 5 * MINUTE)).toEqual([newer, older]);
      });

      test('lists the apps a user consented to', async () => {
        const { user, app } = await seed();
        const second = appRecord();
        await s.createApp(second);
        await s.saveConsent({ userId: user.id, clientId: app.clientId, scopes: ['login:info'], createdAt: T0, updatedAt: T0 });
        await s.saveConsent({ userId: user.id, clientId: second.clientId, scopes: ['login:email', 'login:info'], createdAt: T0 + 1, updatedAt: T0 + 2 });
        expect(await s.listConsentsOfUser(user.id)).toEqual([
          { userId: user.id, clientId: app.clientId, scopes: ['login:info'], createdAt: T0, updatedAt: T0 },
          { userId: user.id, clientId: second.clientId, scopes: ['login:email', 'login:info'], createdAt: T0 + 1, updatedAt: T0 + 2 },
        ]);
      });

      test('lists tokens by app, user, type, debug mark, device and liveness, newest first', async () => {
        const { user, app } = await seed();
        const other = userRecord();
        await s.createUser(other);
        const debug = family(user, app, { isDebug: true, createdAt: T0 + 1 });
        const device = family(user, app, { deviceId: 'tv-000001', deviceName: 'Living room TV', createdAt: T0 + 2 });
        const revoked = family(other, app, { createdAt: T0 + 3, revokedAt: T0 + 3 });
        const plain = family(other, app, { createdAt: T0 + 4 });
        for (const f of [debug, device, revoked, plain]) await save(f);
        const hashes = (list: TokenRecord[]) => list.map((t) => t.hash).sort();
        expect(hashes(await s.listTokens({ clientId: app.clientId, isDebug: true }))).toEqual(hashes(debug));
        expect(await s.listTokens({ clientId: app.clientId, isDebug: true, type: 'access' })).toEqual([debug[0]]);
        expect(hashes(await s.listTokens({ userId: user.id, deviceBound: true }))).toEqual(hashes(device));
        expect(hashes(await s.listTokens({ userId: other.id, activeAt: T0 + 10 }))).toEqual(hashes(plain));
        const all = await s.listTokens({ clientId: app.clientId, type: 'access' });
        expect(all.map((t) => t.createdAt)).toEqual([T0 + 4, T0 + 3, T0 + 2, T0 + 1]);
        expect(await s.listTokens({ clientId: app.clientId, limit: 2 })).toHaveLength(2);
        // Expired by the time asked about.
        expect(await s.listTokens({ userId: other.id, activeAt: T0 + 1000 * MINUTE })).toEqual([]);
      });

      test('counts an app\'s live access tokens and the users holding live tokens', async () => {
        const { user, app } = await seed();
        const other = userRecord();
        await s.createUser(other);
        await save(family(user, app));
        await save(family(user, app));
        await save(family(other, app, { revokedAt: T0 }));
        await save(family(null, app));
        expect(await s.appTokenStats(app.clientId, T0 + 1)).toEqual({ activeTokens: 3, users: 1 });
        // After the access tokens expire, the refresh tokens still count their users.
        expect(await s.appTokenStats(app.clientId, T0 + 61 * MINUTE)).toEqual({ activeTokens: 0, users: 1 });
        expect(await s.appTokenStats(appRecord().clientId, T0)).toEqual({ activeTokens: 0, users: 0 });
      });

      test('stores pictures by id and size, replaces a size, and deletes every size of one', async () => {
        const bytes = (n: number) => Buffer.from(Array.from({ length: 300 }, (_, i) => (i * n) % 256));
        await s.saveImages([
          { id: 'a1', variant: 'islands-50', contentType: 'image/png', data: bytes(1), createdAt: T0 },
          { id: 'a1', variant: 'islands-200', contentType: 'image/png', data: bytes(2), createdAt: T0 },
          { id: 'b2', variant: 'icon', contentType: 'image/png', data: bytes(3), createdAt: T0 },
        ]);
        expect(await s.findImage('a1', 'islands-200')).toEqual({ id: 'a1', variant: 'islands-200', contentType: 'image/png', data: bytes(2), createdAt: T0 });
        await s.saveImages([{ id: 'a1', variant: 'islands-200', contentType: 'image/png', data: bytes(5), createdAt: T0 + 1 }]);
        expect((await s.findImage('a1', 'islands-200'))!.data).toEqual(bytes(5));
        await s.deleteImages('a1');
        expect(await s.findImage('a1', 'islands-50')).toBeNull();
        expect(await s.findImage('a1', 'islands-200')).toBeNull();
        expect((await s.findImage('b2', 'icon'))!.data).toEqual(bytes(3));
      });
    });

    describe('attempt counters (abuse limits, issue 10)', () => {
      test('counts attempts in a fixed window, peeks without counting, and starts over when the window has passed', async () => {
        expect(await s.countAttempt('k', MINUTE, T0)).toBe(1);
        expect(await s.countAttempt('k', MINUTE, T0 + 10)).toBe(2);
        // The window's last millisecond is still in it, for every key of a request.
        expect(await s.countAttempts([{ key: 'k', windowMs: MINUTE }, { key: 'j', windowMs: HOUR }], T0 + MINUTE - 1)).toEqual([3, 1]);
        expect(await s.countAttempt('k', MINUTE, T0 + 10)).toBe(4);
        await s.forgiveAttempt('k');
        await s.forgiveAttempt('k');
        expect(await s.peekAttempts('k', MINUTE, T0 + 20)).toBe(2);
        expect(await s.peekAttempts('other', MINUTE, T0 + 20)).toBe(0);
        expect(await s.peekAttempts('k', MINUTE, T0 + MINUTE)).toBe(0);
        expect(await s.countAttempt('k', MINUTE, T0 + MINUTE)).toBe(1);
      });

      test('reset forgets a key; forgive takes back one attempt and never goes below zero', async () => {
        for (let i = 0; i < 3; i++) await s.countAttempt('k', MINUTE, T0);
        await s.forgiveAttempt('k');
        expect(await s.peekAttempts('k', MINUTE, T0)).toBe(2);
        await s.forgiveAttempt('k');
        await s.forgiveAttempt('k');
        await s.forgiveAttempt('k');
        await s.forgiveAttempt('unknown');
        expect(await s.peekAttempts('k', MINUTE, T0)).toBe(0);
        expect(await s.countAttempt('k', MINUTE, T0)).toBe(1);
        await s.resetAttempts('k');
        expect(await s.peekAttempts('k', MINUTE, T0)).toBe(0);
        // Several keys at once, and only those.
        for (const key of ['a', 'b', 'c']) await s.countAttempt(key, MINUTE, T0);
        await s.resetAttempts('a', 'c', 'never counted');
        expect([await s.peekAttempts('a', MINUTE, T0), await s.peekAttempts('b', MINUTE, T0), await s.peekAttempts('c', MINUTE, T0)]).toEqual([0, 1, 0]);
      });

      test('50 concurrent attempts, also over a second connection, are each counted once: every count from 1 to 50 is answered once', async () => {
        const other = opened.reopen ? await opened.reopen() : s;
        const counts = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? other : s).countAttempt('race', MINUTE, T0)));
        expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      });

      test('a request counted under two keys at once: 30 in parallel over two connections, keys given in either order, exactly 10 stay within a limit of 10 on both', async () => {
        const other = opened.reopen ? await opened.reopen() : s;
        const both = await Promise.all(Array.from({ length: 30 }, (_, i) => {
          const keys = [{ key: 'session', windowMs: MINUTE }, { key: 'address', windowMs: HOUR }];
          return (i % 2 ? other : s).countAttempts(i % 3 ? keys : keys.reverse(), T0);
        }));
        expect(both.filter((counts) => counts.every((n) => n <= 10))).toHaveLength(10);
        expect(await s.peekAttempts('session', MINUTE, T0)).toBe(30);
        // Each key keeps its own window.
        expect(await s.countAttempts([{ key: 'address', windowMs: HOUR }, { key: 'session', windowMs: MINUTE }], T0 + MINUTE)).toEqual([31, 1]);
      });
    });

    describe('signing keys', () => {
      const keyRecord = (over: Partial<SigningKeyRecord> = {}): SigningKeyRecord => ({
        kid: randomHex(8), alg: 'ES256', privateJwkSealed: 'v1.sealed', publicJwk: '{"kty":"EC"}', createdAt: T0, activatesAt: T0, retiredAt: null, ...over,
      });

      test('lists keys oldest first', async () => {
        const newer = keyRecord({ createdAt: T0 + 1, alg: 'RS256' });
        const older = keyRecord();
        expect(await s.addSigningKey(newer)).toBe(true);
        expect(await s.addSigningKey(older)).toBe(true);
        expect(await s.listSigningKeys()).toEqual([older, newer]);
      });

      test('keeps one open key per algorithm: a second first key, also from 10 racing adds over two connections, is not stored', async () => {
        const other = opened.reopen ? await opened.reopen() : s;
        const candidates = Array.from({ length: 10 }, (_, i) => keyRecord({ createdAt: T0 + i }));
        const added = await Promise.all(candidates.map((k, i) => (i % 2 ? other : s).addSigningKey(k)));
        expect(added.filter(Boolean)).toHaveLength(1);
        const winner = candidates[added.indexOf(true)]!;
        expect(await s.listSigningKeys()).toEqual([winner]);
        expect(await s.addSigningKey(keyRecord({ alg: 'RS256' }))).toBe(true);
      });

      test('a rotation adds the next key and retires the open one when the next activates', async () => {
        const first = keyRecord();
        await s.addSigningKey(first);
        const next = keyRecord({ createdAt: T0 + 10, activatesAt: T0 + 100 });
        await s.rotateSigningKey(next);
        expect(await s.listSigningKeys()).toEqual([{ ...first, retiredAt: T0 + 100 }, next]);
      });

      test('two rotations racing over two connections leave exactly one open key', async () => {
        const other = opened.reopen ? await opened.reopen() : s;
        await s.addSigningKey(keyRecord());
        const results = await Promise.allSettled([s, other].map((db, i) => db.rotateSigningKey(keyRecord({ createdAt: T0 + 1 + i, activatesAt: T0 + 100 }))));
        expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
        expect((await s.listSigningKeys()).filter((k) => k.retiredAt === null)).toHaveLength(1);
      });
    });

    describe('management API state (issue 21)', () => {
      test('users and apps listed after a position, ties on the creation time broken by id', async () => {
        const users = [userRecord({ createdAt: T0 + 5000 }), userRecord({ createdAt: T0 + 5000 }), userRecord({ createdAt: T0 + 5001 })];
        for (const u of users) await s.createUser(u);
        const sorted = [...users].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
        const after = await s.listUsers({ after: { createdAt: sorted[0]!.createdAt, id: sorted[0]!.id }, limit: 10 });
        expect(after.map((u) => u.id)).toEqual(sorted.slice(1).map((u) => u.id));
        const apps = [appRecord({ createdAt: T0 + 7000 }), appRecord({ createdAt: T0 + 7000 })];
        for (const a of apps) await s.createApp(a);
        const byId = [...apps].sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
        expect((await s.listApps({ after: { createdAt: T0 + 7000, clientId: byId[0]!.clientId } })).map((a) => a.clientId)).toEqual([byId[1]!.clientId]);
      });

      test('an idempotency key is claimed once per app, answered, released, and given up after it expires', async () => {
        const app = 'a'.repeat(32) as ClientId;
        const claim = { clientId: app, key: 'k1', requestHash: 'h1', createdAt: T0 };
        expect(await s.idempotency.claimIdempotencyKey(claim, T0 - HOUR)).toBeNull();
        expect(await s.idempotency.claimIdempotencyKey({ ...claim, requestHash: 'h2' }, T0 - HOUR)).toMatchObject({ requestHash: 'h1', response: null });
        // Another app's same key is its own.
        expect(await s.idempotency.claimIdempotencyKey({ ...claim, clientId: 'b'.repeat(32) as ClientId }, T0 - HOUR)).toBeNull();
        await s.idempotency.completeIdempotencyKey(app, 'k1', { status: 201, body: 'sealed' });
        expect(await s.idempotency.claimIdempotencyKey(claim, T0 - HOUR)).toMatchObject({ response: { status: 201, body: 'sealed' } });
        // Released only while unanswered.
        await s.idempotency.releaseIdempotencyKey(app, 'k1');
        expect(await s.idempotency.claimIdempotencyKey(claim, T0 - HOUR)).not.toBeNull();
        expect(await s.idempotency.claimIdempotencyKey({ ...claim, key: 'k2' }, T0 - HOUR)).toBeNull();
        await s.idempotency.releaseIdempotencyKey(app, 'k2');
        expect(await s.idempotency.claimIdempotencyKey({ ...claim, key: 'k2', requestHash: 'h3' }, T0 - HOUR)).toBeNull();
        // A day later the key is free, and the clean-up deletes what is older.
        expect(await s.idempotency.claimIdempotencyKey({ ...claim, requestHash: 'h9', createdAt: T0 + 25 * HOUR }, T0 + HOUR)).toBeNull();
        expect(await s.idempotency.deleteExpiredIdempotencyKeys(T0 + HOUR)).toBe(2);
      });

      test('racing claims of one key over two connections: exactly one wins', async () => {
        const other = opened.reopen ? await opened.reopen() : s;
        const claim = { clientId: 'c'.repeat(32) as ClientId, key: 'race', requestHash: 'h', createdAt: T0 };
        const results = await Promise.all([s, other, s, other].map((db) => db.idempotency.claimIdempotencyKey(claim, T0 - HOUR)));
        expect(results.filter((r) => r === null)).toHaveLength(1);
      });
    });

    describe('DPoP proofs and pushed authorization requests (issue 19)', () => {
      test('a DPoP proof key is accepted once until it expires, then may be recorded again', async () => {
        const key = sha256Hex(randomHex(16));
        expect(await s.proofs.useDpopProof(key, T0 + 60_000, T0)).toBe(true);
        expect(await s.proofs.useDpopProof(key, T0 + 60_000, T0 + 1)).toBe(false);
        expect(await s.proofs.useDpopProof(key, T0 + 200_000, T0 + 60_000)).toBe(true);
        expect(await s.proofs.useDpopProof(sha256Hex(randomHex(16)), T0 + 60_000, T0)).toBe(true);
      });

      test('one proof raced over two connections is accepted exactly once', async () => {
        const other = opened.reopen ? await opened.reopen() : s;
        const key = sha256Hex(randomHex(16));
        const results = await Promise.all([s, other, s, other].map((db) => db.proofs.useDpopProof(key, T0 + 60_000, T0)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      test('a pushed request is taken once, not after it expires, and goes with its app', async () => {
        const { app } = await seed();
        const record = { hash: sha256Hex(randomHex(32)), clientId: app.clientId, params: { response_type: 'code', scope: 'login:info' }, createdAt: T0, expiresAt: T0 + 60_000 };
        await s.proofs.savePushedRequest(record);
        const other = opened.reopen ? await opened.reopen() : s;
        const taken = await Promise.all([s, other].map((db) => db.proofs.takePushedRequest(record.hash, T0 + 1)));
        expect(taken.filter((t) => t !== null)).toEqual([record]);
        const expired = { ...record, hash: sha256Hex(randomHex(32)) };
        await s.proofs.savePushedRequest(expired);
        expect(await s.proofs.takePushedRequest(expired.hash, T0 + 60_000)).toBeNull();
        const orphan = { ...record, hash: sha256Hex(randomHex(32)) };
        await s.proofs.savePushedRequest(orphan);
        await s.deleteApp(app.clientId);
        expect(await s.proofs.takePushedRequest(orphan.hash, T0 + 1)).toBeNull();
      });

      test('expired proofs and pushed requests are deleted', async () => {
        const { app } = await seed();
        await s.proofs.useDpopProof(sha256Hex(randomHex(16)), T0 + 1000, T0);
        await s.proofs.savePushedRequest({ hash: sha256Hex(randomHex(32)), clientId: app.clientId, params: {}, createdAt: T0, expiresAt: T0 + 1000 });
        const deleted = await s.deleteExpired(T0 + 2000, { tokensBefore: T0 - 1, familiesBefore: T0 - 1, countersBefore: T0 - 1 });
        expect(deleted).toBeGreaterThanOrEqual(2);
      });
    });

    describe('units of work: a change and its audit entry commit together', () => {
      const entry = (action: string, user: UserRecord) => ({
        at: T0, action, outcome: 'ok' as const, actorType: 'operator' as const, actorId: null, userId: user.id, clientId: null, ip: null, details: {},
      });
      const event = (type: string) => ({ id: `msg_${randomHex(16)}`, type, at: T0, body: JSON.stringify({ type }) });

      test('everything written in a unit commits when it returns, and reads in it see its own writes', async () => {
        const { user, app } = await seed();
        await s.atomically(async () => {
          await s.updateUser(user.id, { status: 'blocked', updatedAt: T0 + 1 });
          await s.updateApp(app.clientId, { name: 'Renamed', updatedAt: T0 + 1 });
          // Both through the unit's transaction: the user by Kysely, the app by the hot path's statement.
          expect((await s.findUserById(user.id))!.status).toBe('blocked');
          expect((await s.findApp(app.clientId))!.name).toBe('Renamed');
          await s.appendAudit(entry('user_blocked', user), undefined, [event('user.blocked')]);
        });
        expect((await s.findUserById(user.id))!.status).toBe('blocked');
        expect((await s.findApp(app.clientId))!.name).toBe('Renamed');
        expect((await s.listAudit({ userId: user.id })).map((e) => e.action)).toEqual(['user_blocked']);
        expect((await s.webhooks.listWebhookEvents({ type: 'user.blocked' })).length).toBe(1);
      });

      test('a unit that throws leaves nothing: not the change, not its audit entry, not its events', async () => {
        const { user, app } = await seed();
        await expect(s.atomically(async () => {
          await s.updateUser(user.id, { status: 'blocked', updatedAt: T0 + 1 });
          await s.deleteApp(app.clientId);
          // Store methods that are a transaction of their own join the unit instead.
          await s.settings.writeSettings({ name: 'Someone' }, T0);
          await s.appendAudit(entry('user_blocked', user), undefined, [event('user.blocked')]);
          throw new Error('the process died here');
        })).rejects.toThrow('the process died here');
        expect((await s.findUserById(user.id))!.status).toBe('active');
        expect(await s.findApp(app.clientId)).not.toBeNull();
        expect(await s.settings.readSettings()).toEqual({});
        expect(await s.listAudit({ userId: user.id })).toEqual([]);
        expect(await s.webhooks.listWebhookEvents({ type: 'user.blocked' })).toEqual([]);
      });

      test('a unit inside a unit joins it: the outer one decides', async () => {
        const { user } = await seed();
        await expect(s.atomically(async () => {
          await s.atomically(() => s.updateUser(user.id, { firstName: 'Inner', updatedAt: T0 + 1 }));
          throw new Error('outer fails');
        })).rejects.toThrow('outer fails');
        expect((await s.findUserById(user.id))!.firstName).toBe('Ada');
      });

      test('what waits for the commit runs after it, and never for a unit rolled back', async () => {
        const { user } = await seed();
        const seen: string[] = [];
        await s.atomically(async () => {
          await s.updateUser(user.id, { firstName: 'Committed', updatedAt: T0 + 1 });
          s.afterCommit(() => seen.push('committed'));
          expect(seen).toEqual([]);
        });
        expect(seen).toEqual(['committed']);
        await s.atomically(async () => {
          s.afterCommit(() => seen.push('rolled back'));
          throw new Error('no');
        }).catch(() => {});
        s.afterCommit(() => seen.push('outside'));
        expect(seen).toEqual(['committed', 'outside']);
      });

      test('work running beside a unit is not part of it, and work it left running leaves it when it ends', async () => {
        const { user } = await seed();
        const other = userRecord();
        let late: Promise<void> = Promise.resolve();
        let release!: () => void;
        const held = new Promise<void>((resolve) => { release = resolve; });
        const unit = s.atomically(async () => {
          await s.updateUser(user.id, { firstName: 'Unit', updatedAt: T0 + 1 });
          // Started in the unit, not waited for: by the time it writes, the unit has ended.
          late = held.then(() => s.updateUser(user.id, { lastName: 'Later', updatedAt: T0 + 2 }));
          throw new Error('rolled back');
        });
        // Beside the unit: its own write commits whatever the unit does.
        const beside = s.createUser(other);
        await expect(unit).rejects.toThrow('rolled back');
        await beside;
        release();
        await late;
        const after = (await s.findUserById(user.id))!;
        expect([after.firstName, after.lastName]).toEqual(['Ada', 'Later']);
        expect(await s.findUserById(other.id)).not.toBeNull();
      });
    });

    test('answers a ping', async () => {
      await expect(s.ping()).resolves.toBeUndefined();
    });
  });
}
