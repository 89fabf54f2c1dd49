/** The login info API's answer (docs/protocol.md §6): fields by scope, as JSON, XML or a JWT. */
import { jwtVerify } from 'jose';
import { describe, expect, test } from 'vitest';
import { loginInfo, psuid, toJwt, toXml } from '../../src/info/login-info.js';
import type { AppRecord, TokenRecord, UserRecord } from '../../src/storage/storage.js';
import type { ClientId, UserId } from '../../src/types.js';
import { sha256Hex } from '../../src/crypto/random.js';

const NOW = Date.UTC(2025, 0, 1);
const KEY = Buffer.alloc(32, 7);
const SECRET = 'a'.repeat(64);

const user: UserRecord = {
  id: '123456789012345' as UserId, login: 'alice', passwordHash: null, firstName: 'Alice', lastName: 'Smith',
  displayName: 'Ally', sex: 'female', birthday: '1990-00-15', emails: ['alice@example.org', 'a@work.example'],
  defaultEmail: 'alice@example.org', confirmedEmails: ['alice@example.org', 'a@work.example'], defaultPhone: '+15551234567', confirmedPhone: '+15551234567', avatarId: 'abc/123', isDeveloper: false, isAdmin: false,
  status: 'active', createdAt: NOW, updatedAt: NOW,
};
const app = (clientId: string): AppRecord => ({
  clientId: clientId as ClientId, secretHash: sha256Hex(SECRET), secretSealed: null, name: 'App', description: '', iconUrl: null,
  ownerId: null, platforms: [{ type: 'web' }], redirectUris: [], suggestHostnames: [], scopes: [], optionalScopes: [],
  accessTokenTtlSeconds: 3600, idTokenAlg: 'ES256', postLogoutRedirectUris: [], status: 'active', createdAt: NOW, updatedAt: NOW,
});
const APP = app('0123456789abcdef0123456789abcdef');
const token = (scopes: string[]): TokenRecord => ({
  hash: sha256Hex('t'), type: 'access', clientId: APP.clientId, userId: user.id, scopes, familyId: 'f', deviceId: null,
  deviceName: null, isDebug: false, authTime: NOW, amr: [], createdAt: NOW, expiresAt: NOW + 3600_000, revokedAt: null, rotatedAt: null,
});
const ALL = ['login:info', 'login:email', 'login:avatar', 'login:birthday', 'login:default_phone'];

describe('login info', () => {
  test('without scopes holds only id, login, client_id and psuid', () => {
    const info = loginInfo(user, APP, token([]), KEY);
    expect(Object.keys(info).sort()).toEqual(['client_id', 'id', 'login', 'psuid']);
    expect(info).toMatchObject({ id: '123456789012345', login: 'alice', client_id: APP.clientId });
    expect(typeof info.id).toBe('string');
  });

  test('adds exactly the fields of each granted scope (docs/protocol.md §1)', () => {
    const base = ['client_id', 'id', 'login', 'psuid'];
    const fields: Record<string, string[]> = {
      'login:info': ['display_name', 'real_name', 'first_name', 'last_name', 'sex'],
      'login:email': ['default_email', 'emails'],
      'login:avatar': ['default_avatar_id', 'is_avatar_empty'],
      'login:birthday': ['birthday'],
      'login:default_phone': ['default_phone'],
    };
    for (const [scope, keys] of Object.entries(fields)) {
      expect(Object.keys(loginInfo(user, APP, token([scope]), KEY)).sort(), scope).toEqual([...base, ...keys].sort());
    }
  });

  test('fills the fields from the profile', () => {
    expect(loginInfo(user, APP, token(ALL), KEY)).toMatchObject({
      display_name: 'Ally', real_name: 'Alice Smith', first_name: 'Alice', last_name: 'Smith', sex: 'female',
      default_email: 'alice@example.org', emails: ['alice@example.org', 'a@work.example'],
      default_avatar_id: 'abc/123', is_avatar_empty: false, birthday: '1990-00-15',
      default_phone: { id: expect.any(Number), number: '+15551234567' },
    });
  });

  test('leaves out what an ungranted scope would show', () => {
    const info = loginInfo(user, APP, token(['login:info']), KEY);
    for (const key of ['default_email', 'emails', 'birthday', 'default_phone', 'default_avatar_id']) expect(info).not.toHaveProperty(key);
    expect(JSON.stringify(info)).not.toContain('alice@example.org');
  });

  test('gives null for unknown sex, birthday and phone, and an empty avatar', () => {
    const bare: UserRecord = { ...user, sex: null, birthday: null, defaultPhone: null, avatarId: null };
    expect(loginInfo(bare, APP, token(ALL), KEY)).toMatchObject({ sex: null, birthday: null, default_phone: null, is_avatar_empty: true });
  });

  describe('psuid', () => {
    test('is stable for one user in one app', () => {
      const renamed: AppRecord = { ...APP, name: 'Renamed' };
      expect(psuid(KEY, APP, user)).toBe(psuid(KEY, renamed, user));
      expect(loginInfo(user, APP, token([]), KEY).psuid).toBe(psuid(KEY, APP, user));
    });

    test('differs across apps, users and servers', () => {
      const mine = psuid(KEY, APP, user);
      expect(psuid(KEY, app('f'.repeat(32)), user)).not.toBe(mine);
      expect(psuid(KEY, APP, { ...user, id: '999999999999999' as UserId })).not.toBe(mine);
      expect(psuid(Buffer.alloc(32, 8), APP, user)).not.toBe(mine);
    });

    test('does not contain the user id', () => {
      expect(psuid(KEY, APP, user)).not.toContain(user.id);
    });
  });

  test('XML has root <user>, one element per field, and escapes text', () => {
    const evil: UserRecord = { ...user, firstName: '<script>alert("x")</script>', lastName: "O'Brien & Co", displayName: ']]><x/>' };
    const xml = toXml(loginInfo(evil, APP, token(ALL), KEY));
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<user>.*<\/user>$/s);
    expect(xml).toContain('<first_name>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</first_name>');
    expect(xml).toContain('<last_name>O&apos;Brien &amp; Co</last_name>');
    expect(xml).toContain('<display_name>]]&gt;&lt;x/&gt;</display_name>');
    expect(xml).not.toContain('<script>');
    expect(xml).toContain('<emails><address>alice@example.org</address><address>a@work.example</address></emails>');
    expect(xml).toContain('<default_phone><id>1</id><number>+15551234567</number></default_phone>');
    expect(xml).toContain('<login>alice</login>');
  });

  test('XML writes null as an empty element', () => {
    expect(toXml(loginInfo({ ...user, sex: null }, APP, token(['login:info']), KEY))).toContain('<sex/>');
  });

  describe('JWT (HS256 keyed by the client secret, as Yandex does)', () => {
    test('verifies with the client secret and carries the claims of the granted scopes', async () => {
      const info = loginInfo(user, APP, token(ALL), KEY);
      const jwt = await toJwt(info, token(ALL), 'https://id.example', SECRET, NOW / 1000);
      const { payload, protectedHeader } = await jwtVerify(jwt, new TextEncoder().encode(SECRET), {
        algorithms: ['HS256'], issuer: 'https://id.example', currentDate: new Date(NOW),
      });
      expect(protectedHeader).toMatchObject({ alg: 'HS256', typ: 'JWT' });
      expect(payload).toMatchObject({
        uid: 123456789012345, login: 'alice', psuid: info.psuid, email: 'alice@example.org', avatar_id: 'abc/123',
        birthday: '1990-00-15', name: 'Alice Smith', display_name: 'Ally', gender: 'female', number: '+15551234567',
        iat: NOW / 1000, exp: (NOW + 3600_000) / 1000, iss: 'https://id.example',
      });
      expect(payload.jti).toMatch(/^[0-9a-f]{32}$/);
    });

    test('leaves out the claims of ungranted scopes', async () => {
      const jwt = await toJwt(loginInfo(user, APP, token([]), KEY), token([]), 'https://id.example', SECRET, NOW / 1000);
      const { payload } = await jwtVerify(jwt, new TextEncoder().encode(SECRET), { currentDate: new Date(NOW) });
      expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'iss', 'jti', 'login', 'psuid', 'uid']);
    });

    test('does not verify with another key', async () => {
      const jwt = await toJwt(loginInfo(user, APP, token([]), KEY), token([]), 'https://id.example', SECRET, NOW / 1000);
      await expect(jwtVerify(jwt, new TextEncoder().encode('b'.repeat(64)), { currentDate: new Date(NOW) })).rejects.toThrow();
    });
  });
});
