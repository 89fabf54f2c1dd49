/** Registering and changing apps (docs/protocol.md §1). */
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkClientSecret, isClientId } from '../../src/apps/apps.js';
import { sha256Hex } from '../../src/crypto/random.js';
import { InputError } from '../../src/errors.js';
import { sqliteFile } from '../../src/storage/open.js';
import type { UserRecord } from '../../src/storage/storage.js';
import type { ClientId } from '../../src/types.js';
import { basic, oauthError, openCore, REDIRECT_URI, type Core } from '../helpers/core.js';

let core: Core;
let alice: UserRecord;
beforeAll(async () => {
  core = await openCore();
  alice = await core.user('alice');
});
afterAll(async () => { await core?.close(); });

function appRow(clientId: string): Record<string, unknown> {
  const db = new SQLite(sqliteFile(core.ctx.config), { readonly: true });
  try {
    return db.prepare('select * from apps where client_id = ?').get(clientId) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

/** A live access and refresh token of `alice` for the app. */
async function tokensFor(clientId: ClientId) {
  const app = (await core.ctx.storage.findApp(clientId))!;
  return core.ctx.tokens.issue({ app, userId: alice.id, scopes: app.scopes, withRefresh: true });
}
const live = async (raw: string) => (await core.ctx.tokens.resolve(raw, 'access')) !== null;

describe('apps', () => {
  test('get a client_id of 32 hex characters and a secret of 256 random bits', async () => {
    const a = await core.app();
    const b = await core.app();
    expect(a.app.clientId).toMatch(/^[0-9a-f]{32}$/);
    expect(isClientId(a.app.clientId)).toBe(true);
    expect(a.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(b.app.clientId).not.toBe(a.app.clientId);
    expect(b.secret).not.toBe(a.secret);
  });

  test('keep only the SHA-256 of the secret and a copy sealed with AES-GCM', async () => {
    const { app, secret } = await core.app();
    const row = appRow(app.clientId);
    expect(row.secret_hash).toBe(sha256Hex(secret!));
    expect(String(row.secret_sealed)).toMatch(/^v1\./);
    expect(core.ctx.secrets.open(String(row.secret_sealed))).toBe(secret);
    for (const value of Object.values(row)) expect(String(value)).not.toContain(secret!);
    expect(checkClientSecret(app, secret!)).toBe(true);
    expect(checkClientSecret(app, secret!.toUpperCase())).toBe(false);
  });

  test('are public clients without a secret unless they have the web platform (RFC 8252 §8.4)', async () => {
    for (const platform of ['desktop', 'ios', 'android', 'tv'] as const) {
      const { app, secret } = await core.app({ platforms: [platform], redirectUris: ['http://127.0.0.1/cb'] });
      expect(secret).toBeNull();
      expect(app.secretHash).toBeNull();
      expect(appRow(app.clientId)).toMatchObject({ secret_hash: null, secret_sealed: null });
    }
    expect((await core.app({ platforms: ['web', 'ios'] })).secret).toMatch(/^[0-9a-f]{64}$/);
  });

  test('get a secret on becoming confidential and lose it on becoming public', async () => {
    const { app } = await core.app({ platforms: ['desktop'], redirectUris: ['http://127.0.0.1/cb'] });
    const toWeb = await core.ctx.apps.update(app.clientId, { platforms: ['web'] });
    expect(toWeb.clientSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(checkClientSecret(toWeb.app, toWeb.clientSecret!)).toBe(true);
    const toDesktop = await core.ctx.apps.update(app.clientId, { platforms: ['desktop'] });
    expect(toDesktop.clientSecret).toBeNull();
    expect(toDesktop.app).toMatchObject({ secretHash: null, secretSealed: null });
  });

  test('default to the configured token lifetime, one year (docs/protocol.md §4)', async () => {
    expect((await core.app()).app.accessTokenTtlSeconds).toBe(365 * 24 * 3600);
  });

  describe('validation', () => {
    test.each([
      ['an unknown scope', { scopes: ['login:password'] }, /unknown scope/],
      ['an unknown optional scope', { optionalScopes: ['nope'] }, /unknown optional scope/],
      ['an http redirect URI on a public host', { redirectUris: ['http://app.example/cb'] }, /https/],
      ['an empty name', { name: '  ' }, /name/],
      ['a name of 101 characters', { name: 'n'.repeat(101) }, /name/],
      ['a token lifetime under a minute', { accessTokenTtlSeconds: 59 }, /lifetime/],
      ['a token lifetime over the maximum', { accessTokenTtlSeconds: 365 * 24 * 3600 + 1 }, /lifetime/],
      ['an unknown platform', { platforms: ['windows' as never] }, /platform/],
      ['a suggest hostname with a path', { suggestHostnames: ['https://shop.example/x'] }, /origin/],
    ])('refuses %s', async (_, input, message) => {
      const err = await core.app(input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(message);
    });

    test('accepts scopes space- or comma-separated and drops duplicates', async () => {
      const { app } = await core.app({ scopes: ['login:info login:email', 'login:info,login:avatar'] });
      expect(app.scopes).toEqual(['login:info', 'login:email', 'login:avatar']);
    });

    test('drops optional scopes that are also required', async () => {
      const { app } = await core.app({ scopes: ['login:info'], optionalScopes: ['login:info', 'login:email'] });
      expect(app.optionalScopes).toEqual(['login:email']);
    });

    test('refuses to update an app that does not exist', async () => {
      await expect(core.ctx.apps.update('0'.repeat(32) as ClientId, { name: 'x' })).rejects.toThrow(InputError);
    });
  });

  describe('changes', () => {
    test('changing the scopes revokes every token issued to the app (docs/protocol.md §1)', async () => {
      const { app } = await core.app();
      const other = await core.app();
      const tokens = await tokensFor(app.clientId);
      const otherTokens = await tokensFor(other.app.clientId);
      await core.ctx.apps.update(app.clientId, { scopes: ['login:info'] });
      expect(await live(tokens.access_token)).toBe(false);
      expect(await core.ctx.tokens.resolve(tokens.refresh_token!, 'refresh')).toBeNull();
      expect(await live(otherTokens.access_token)).toBe(true);
    });

    test('changing the optional scopes revokes the app\'s tokens too', async () => {
      const { app } = await core.app();
      const tokens = await tokensFor(app.clientId);
      await core.ctx.apps.update(app.clientId, { optionalScopes: ['login:avatar'] });
      expect(await live(tokens.access_token)).toBe(false);
    });

    test('setting the same scopes in another order revokes nothing', async () => {
      const { app } = await core.app({ scopes: ['login:info', 'login:email'] });
      const tokens = await tokensFor(app.clientId);
      await core.ctx.apps.update(app.clientId, { scopes: ['login:email', 'login:info'], name: 'Renamed', redirectUris: [REDIRECT_URI, 'https://app.example/2'] });
      expect(await live(tokens.access_token)).toBe(true);
      expect((await core.ctx.storage.findApp(app.clientId))?.name).toBe('Renamed');
    });

    test('blocking revokes the app\'s tokens, and a blocked app gets unauthorized_client', async () => {
      const { app, secret } = await core.app();
      const tokens = await tokensFor(app.clientId);
      await core.ctx.apps.update(app.clientId, { status: 'blocked' });
      expect(await live(tokens.access_token)).toBe(false);
      await oauthError(core.token({ grant_type: 'client_credentials' }, basic(app.clientId, secret!)), 'unauthorized_client');
    });

    test('rotating the secret makes the old one stop working at once', async () => {
      const { app, secret } = await core.app();
      const fresh = await core.ctx.apps.rotateSecret(app.clientId);
      expect(fresh).toMatch(/^[0-9a-f]{64}$/);
      expect(fresh).not.toBe(secret);
      await oauthError(core.token({ grant_type: 'client_credentials' }, basic(app.clientId, secret!)), 'invalid_client', 401);
      expect((await core.token({ grant_type: 'client_credentials' }, basic(app.clientId, fresh))).access_token).toMatch(/^gate_at_/);
      const row = appRow(app.clientId);
      expect(row.secret_hash).toBe(sha256Hex(fresh));
      expect(core.ctx.secrets.open(String(row.secret_sealed))).toBe(fresh);
    });

    test('public apps have no secret to rotate', async () => {
      const { app } = await core.app({ platforms: ['desktop'], redirectUris: ['http://127.0.0.1/cb'] });
      await expect(core.ctx.apps.rotateSecret(app.clientId)).rejects.toThrow(InputError);
    });
  });
});
