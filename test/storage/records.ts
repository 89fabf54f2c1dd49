/** Users and apps as storage tests make them: every field set, anything given in `over` in place of the default. */
import { randomHex, sha256Hex } from '../../src/crypto/random.js';
import type { AppRecord, UserRecord } from '../../src/storage/storage.js';
import type { ClientId, Millis, UserId } from '../../src/types.js';

export const T0: Millis = 1_700_000_000_000;

let seq = 0;

export function userRecord(over: Partial<UserRecord> = {}): UserRecord {
  seq++;
  return {
    id: String(400000000000000 + seq) as UserId, login: `person${seq}`, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA',
    firstName: 'Ada', lastName: 'Lovelace', displayName: null, sex: null, birthday: null, emails: [], defaultEmail: null, confirmedEmails: [],
    defaultPhone: null, confirmedPhone: null, avatarId: null, isDeveloper: false, isAdmin: false, status: 'active', createdAt: T0, updatedAt: T0,
    ...over,
  };
}

export function appRecord(over: Partial<AppRecord> = {}): AppRecord {
  seq++;
  return {
    clientId: randomHex(16) as ClientId, secretHash: sha256Hex('secret'), secretSealed: 'v1.sealed', name: `App ${seq}`, description: '', iconUrl: null,
    ownerId: null, platforms: [{ type: 'web' }], redirectUris: ['https://app.example/callback'], suggestHostnames: [], scopes: ['login:info'], optionalScopes: [],
    accessTokenTtlSeconds: 3600, idTokenAlg: 'ES256', requireTwoStep: false, requireDpop: false, requirePar: false, postLogoutRedirectUris: [], introspects: [],
    status: 'active', blockedBy: null, firstParty: false, tokenEndpointAuthMethod: 'client_secret_basic', jwks: null, jwksUri: null, registrationTokenHash: null,
    createdAt: T0, updatedAt: T0, generation: 0,
    ...over,
  };
}
