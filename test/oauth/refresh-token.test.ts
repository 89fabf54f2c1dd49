/** grant_type=refresh_token (RFC 6749 §6, RFC 9700 §4.14.2, docs/protocol.md §4). */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TokenResponse } from '../../src/oauth/tokens.js';
import type { AppRecord, UserRecord } from '../../src/storage/storage.js';
import { basic, CHALLENGE, type Core, oauthError, openCore, VERIFIER } from '../helpers/core.js';

let core: Core;
let alice: UserRecord;
let web: { app: AppRecord; secret: string | null };
let desktop: { app: AppRecord; secret: string | null };
beforeAll(async () => {
  core = await openCore();
  alice = await core.user('alice');
  web = await core.app();
  desktop = await core.app({ platforms: ['desktop'], redirectUris: ['http://127.0.0.1/callback'] });
});
afterAll(async () => { await core?.close(); });

async function webTokens(params: Record<string, string> = {}): Promise<TokenResponse> {
  const code = await core.code(alice, web.app, params);
  return core.token({ grant_type: 'authorization_code', code }, basic(web.app.clientId, web.secret!));
}
async function desktopTokens(): Promise<TokenResponse> {
  const code = await core.code(alice, desktop.app, { code_challenge: CHALLENGE });
  return core.token({ grant_type: 'authorization_code', client_id: desktop.app.clientId, code, code_verifier: VERIFIER });
}
const refreshWeb = (refresh_token: string, extra: Record<string, string> = {}) =>
  core.token({ grant_type: 'refresh_token', refresh_token, ...extra }, basic(web.app.clientId, web.secret!));
const refreshDesktop = (refresh_token: string, extra: Record<string, string> = {}) =>
  core.token({ grant_type: 'refresh_token', client_id: desktop.app.clientId, refresh_token, ...extra });
const live = async (raw: string, type: 'access' | 'refresh') => (await core.ctx.tokens.resolve(raw, type)) !== null;

describe('refresh_token grant', () => {
  test('issues a new access token with the same scopes, user and family', async () => {
    const first = await webTokens();
    const res = await refreshWeb(first.refresh_token!);
    expect(res.access_token).toMatch(/^gate_at_/);
    expect(res.access_token).not.toBe(first.access_token);
    expect(res.scope).toBe('login:info login:email');
    const [a, b] = [await core.ctx.tokens.resolve(first.access_token, 'access'), await core.ctx.tokens.resolve(res.access_token, 'access')];
    expect(b).toMatchObject({ userId: alice.id, clientId: web.app.clientId, familyId: a!.familyId });
  });

  test('requires refresh_token', async () => {
    await oauthError(core.token({ grant_type: 'refresh_token' }, basic(web.app.clientId, web.secret!)), 'invalid_request');
  });

  test('rejects an unknown refresh token, and an access token in its place', async () => {
    const first = await webTokens();
    await oauthError(refreshWeb('gate_rt_unknown'), 'invalid_grant');
    await oauthError(refreshWeb(first.access_token), 'invalid_grant');
  });

  test('rejects a refresh token issued to another client', async () => {
    const first = await webTokens();
    const other = await core.app();
    await oauthError(core.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token! }, basic(other.app.clientId, other.secret!)), 'invalid_grant');
    expect(await live(first.refresh_token!, 'refresh')).toBe(true);
  });

  test('rejects a revoked refresh token', async () => {
    const first = await webTokens();
    const record = (await core.ctx.tokens.resolve(first.refresh_token!, 'refresh'))!;
    await core.ctx.storage.revokeFamily(record.familyId, core.clock());
    await oauthError(refreshWeb(first.refresh_token!), 'invalid_grant');
  });

  test('rejects an expired refresh token', async () => {
    const first = await webTokens();
    const record = (await core.ctx.tokens.resolve(first.refresh_token!, 'refresh'))!;
    expect(record.expiresAt).toBeGreaterThan(core.clock() + web.app.accessTokenTtlSeconds * 1000);
    const start = core.clock();
    core.clock.set(record.expiresAt);
    try {
      await oauthError(refreshWeb(first.refresh_token!), 'invalid_grant');
    } finally {
      core.clock.set(start);
    }
  });

  test('refuses the refresh token of a user who has been blocked since', async () => {
    const bob = await core.user();
    const code = await core.code(bob, web.app);
    const first = await core.token({ grant_type: 'authorization_code', code }, basic(web.app.clientId, web.secret!));
    await core.ctx.storage.updateUser(bob.id, { status: 'blocked' });
    await oauthError(refreshWeb(first.refresh_token!), 'invalid_grant');
  });

  describe('scope (RFC 6749 §6)', () => {
    test('narrows the access token to the scopes asked for', async () => {
      const first = await webTokens();
      const res = await refreshWeb(first.refresh_token!, { scope: 'login:email' });
      expect(res.scope).toBe('login:email');
      expect((await core.ctx.tokens.resolve(res.access_token, 'access'))?.scopes).toEqual(['login:email']);
    });

    test('refuses to widen the scopes with invalid_scope', async () => {
      const first = await webTokens({ scope: 'login:info' });
      await oauthError(refreshWeb(first.refresh_token!, { scope: 'login:info login:email' }), 'invalid_scope', 400);
    });

    test('refuses a malformed scope with invalid_scope', async () => {
      const first = await webTokens();
      await oauthError(refreshWeb(first.refresh_token!, { scope: 'login:"info' }), 'invalid_scope');
    });

    test('keeps the original scopes in a rotated refresh token when the access token is narrowed', async () => {
      const first = await desktopTokens();
      const narrowed = await refreshDesktop(first.refresh_token!, { scope: 'login:email' });
      expect(narrowed.scope).toBe('login:email');
      const again = await refreshDesktop(narrowed.refresh_token!, { scope: 'login:info login:email' });
      expect(again.scope).toBe('login:info login:email');
    });
  });

  describe('public clients: rotation with reuse detection (RFC 9700 §4.14.2)', () => {
    test('returns a new refresh token and retires the old one', async () => {
      const first = await desktopTokens();
      const second = await refreshDesktop(first.refresh_token!);
      expect(second.refresh_token).toMatch(/^gate_rt_/);
      expect(second.refresh_token).not.toBe(first.refresh_token);
      const third = await refreshDesktop(second.refresh_token!);
      expect(third.refresh_token).not.toBe(second.refresh_token);
    });

    test('does not extend the family\'s life by rotating', async () => {
      const first = await desktopTokens();
      const before = (await core.ctx.tokens.resolve(first.refresh_token!, 'refresh'))!;
      core.clock.advance(60_000);
      const second = await refreshDesktop(first.refresh_token!);
      expect((await core.ctx.tokens.resolve(second.refresh_token!, 'refresh'))?.expiresAt).toBe(before.expiresAt);
    });

    test('a retired refresh token presented again revokes the whole family', async () => {
      const first = await desktopTokens();
      const second = await refreshDesktop(first.refresh_token!);
      await oauthError(refreshDesktop(first.refresh_token!), 'invalid_grant');
      for (const [raw, type] of [
        [first.access_token, 'access'], [second.access_token, 'access'], [second.refresh_token!, 'refresh'],
      ] as const) expect(await live(raw, type)).toBe(false);
      await oauthError(refreshDesktop(second.refresh_token!), 'invalid_grant');
    });

    test('of 10 concurrent refreshes with one token exactly one succeeds', async () => {
      const first = await desktopTokens();
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => refreshDesktop(first.refresh_token!)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });
  });

  describe('confidential clients (docs/protocol.md §4)', () => {
    test('keep their refresh token: the response repeats it and it keeps working', async () => {
      const first = await webTokens();
      const second = await refreshWeb(first.refresh_token!);
      expect(second.refresh_token).toBe(first.refresh_token);
      const third = await refreshWeb(first.refresh_token!);
      expect(third.refresh_token).toBe(first.refresh_token);
      expect(await live(second.access_token, 'access')).toBe(true);
      expect(await live(third.access_token, 'access')).toBe(true);
    });

    test('must authenticate to refresh', async () => {
      const first = await webTokens();
      await oauthError(core.token({ grant_type: 'refresh_token', client_id: web.app.clientId, refresh_token: first.refresh_token! }), 'invalid_client', 400);
    });
  });
});
