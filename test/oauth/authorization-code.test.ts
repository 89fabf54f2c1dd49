/** grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636, RFC 9700, docs/protocol.md §4). */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomHex, sha256Hex } from '../../src/crypto/random.js';
import { newFamilyId } from '../../src/oauth/tokens.js';
import type { AppRecord, UserRecord } from '../../src/storage/storage.js';
import { basic, CHALLENGE, type Core, oauthError, openCore, REDIRECT_URI, VERIFIER } from '../helpers/core.js';

const LOOPBACK = 'http://127.0.0.1/callback';

let core: Core;
let alice: UserRecord;
let web: { app: AppRecord; secret: string | null };
let desktop: { app: AppRecord; secret: string | null };
beforeAll(async () => {
  core = await openCore();
  alice = await core.user('alice');
  web = await core.app();
  desktop = await core.app({ platforms: ['desktop'], redirectUris: [LOOPBACK] });
});
afterAll(async () => { await core?.close(); });

const asWeb = (params: Record<string, string>) =>
  core.token({ grant_type: 'authorization_code', ...params }, basic(web.app.clientId, web.secret!));
const asDesktop = (params: Record<string, string>) =>
  core.token({ grant_type: 'authorization_code', client_id: desktop.app.clientId, ...params });

describe('authorization_code grant', () => {
  test('exchanges a code for an access and a refresh token bound to the user, app and scopes', async () => {
    const code = await core.code(alice, web.app);
    const res = await asWeb({ code });
    expect(res).toEqual({
      access_token: expect.stringMatching(/^gate_at_/),
      refresh_token: expect.stringMatching(/^gate_rt_/),
      token_type: 'bearer',
      expires_in: web.app.accessTokenTtlSeconds,
      scope: 'login:info login:email',
    });
    const access = await core.ctx.tokens.resolve(res.access_token, 'access');
    expect(access).toMatchObject({ userId: alice.id, clientId: web.app.clientId, scopes: ['login:info', 'login:email'], deviceId: null });
    const refresh = await core.ctx.tokens.resolve(res.refresh_token!, 'refresh');
    expect(refresh?.familyId).toBe(access!.familyId);
  });

  test('issues only the scopes the code carries', async () => {
    const code = await core.code(alice, web.app, { scope: 'login:email' });
    expect((await asWeb({ code })).scope).toBe('login:email');
  });

  test('requires the code parameter', async () => {
    await oauthError(asWeb({}), 'invalid_request', 400);
  });

  test('rejects an unknown code with invalid_grant', async () => {
    await oauthError(asWeb({ code: 'no-such-code' }), 'invalid_grant', 400);
    await oauthError(asWeb({ code: 'x'.repeat(600) }), 'invalid_grant', 400);
  });

  describe('PKCE (RFC 7636)', () => {
    test('accepts a code_verifier matching an S256 challenge (§4.6)', async () => {
      const code = await core.code(alice, desktop.app, { code_challenge: CHALLENGE, code_challenge_method: 'S256' });
      const res = await asDesktop({ code, code_verifier: VERIFIER });
      expect(res.access_token).toMatch(/^gate_at_/);
    });

    test('treats a challenge without a method as S256 (docs/protocol.md §3)', async () => {
      const code = await core.code(alice, desktop.app, { code_challenge: CHALLENGE });
      expect((await asDesktop({ code, code_verifier: VERIFIER })).access_token).toMatch(/^gate_at_/);
    });

    test('accepts a code_verifier equal to a plain challenge', async () => {
      const code = await core.code(alice, desktop.app, { code_challenge: VERIFIER, code_challenge_method: 'plain' });
      expect((await asDesktop({ code, code_verifier: VERIFIER })).access_token).toMatch(/^gate_at_/);
    });

    test('rejects a code_verifier that does not match the challenge', async () => {
      const code = await core.code(alice, desktop.app, { code_challenge: CHALLENGE });
      await oauthError(asDesktop({ code, code_verifier: VERIFIER.replace('d', 'e') }), 'invalid_grant');
    });

    test('rejects the S256 challenge itself sent as the verifier', async () => {
      const code = await core.code(alice, desktop.app, { code_challenge: CHALLENGE });
      await oauthError(asDesktop({ code, code_verifier: CHALLENGE }), 'invalid_grant');
    });

    test('rejects a missing code_verifier when a challenge was sent', async () => {
      const code = await core.code(alice, desktop.app, { code_challenge: CHALLENGE });
      await oauthError(asDesktop({ code }), 'invalid_grant');
    });

    test('rejects a code_verifier when /authorize had no challenge (RFC 9700 §2.1.1)', async () => {
      const code = await core.code(alice, web.app);
      await oauthError(asWeb({ code, code_verifier: VERIFIER }), 'invalid_grant');
    });

    test('accepts PKCE from a confidential client too', async () => {
      const code = await core.code(alice, web.app, { code_challenge: CHALLENGE });
      expect((await asWeb({ code, code_verifier: VERIFIER })).access_token).toMatch(/^gate_at_/);
    });

    test('refuses a public client\'s code that has no challenge (docs/protocol.md §3: PKCE required)', async () => {
      // /authorize never issues such a code; one left from when the app was confidential must not work.
      const code = randomHex(32);
      const now = core.clock();
      await core.ctx.storage.createCode({
        hash: sha256Hex(code), kind: 'redirect', clientId: desktop.app.clientId, userId: alice.id, redirectUri: null,
        scopes: ['login:info'], codeChallenge: null, codeChallengeMethod: null, nonce: null, deviceId: null, deviceName: null,
        authTime: now, amr: ['pwd'], familyId: newFamilyId(), createdAt: now, expiresAt: now + 600_000, consumedAt: null,
      });
      await oauthError(asDesktop({ code }), 'unauthorized_client');
    });
  });

  describe('redirect_uri (RFC 6749 §4.1.3)', () => {
    let twoUris: { app: AppRecord; secret: string | null };
    const SECOND = 'https://app.example/other';
    beforeAll(async () => { twoUris = await core.app({ redirectUris: [REDIRECT_URI, SECOND] }); });
    const asTwo = (params: Record<string, string>) =>
      core.token({ grant_type: 'authorization_code', ...params }, basic(twoUris.app.clientId, twoUris.secret!));

    test('accepts a missing redirect_uri, as Yandex ID\'s token request has none: the code stays bound to the one sent to /authorize', async () => {
      const code = await core.code(alice, twoUris.app, { redirect_uri: SECOND });
      expect((await asTwo({ code })).access_token).toMatch(/^gate_at_/);
      const again = await core.code(alice, twoUris.app, { redirect_uri: SECOND });
      await oauthError(asTwo({ code: again, redirect_uri: REDIRECT_URI }), 'invalid_grant');
    });

    test('requires the same redirect_uri as was sent to /authorize', async () => {
      const code = await core.code(alice, twoUris.app, { redirect_uri: SECOND });
      await oauthError(asTwo({ code, redirect_uri: REDIRECT_URI }), 'invalid_grant');
    });

    test('compares redirect_uri exactly', async () => {
      const code = await core.code(alice, twoUris.app, { redirect_uri: SECOND });
      await oauthError(asTwo({ code, redirect_uri: SECOND + '/' }), 'invalid_grant');
    });

    test('accepts the redirect_uri that was sent to /authorize', async () => {
      const code = await core.code(alice, twoUris.app, { redirect_uri: SECOND });
      expect((await asTwo({ code, redirect_uri: SECOND })).access_token).toMatch(/^gate_at_/);
    });

    test('needs no redirect_uri when /authorize had none', async () => {
      const code = await core.code(alice, web.app);
      expect((await asWeb({ code })).access_token).toMatch(/^gate_at_/);
    });

    test('accepts a registered redirect_uri when /authorize had none', async () => {
      const code = await core.code(alice, web.app);
      expect((await asWeb({ code, redirect_uri: REDIRECT_URI })).access_token).toMatch(/^gate_at_/);
    });

    test('binds a code to the URI it was delivered to when /authorize had none, even after the app registers another', async () => {
      const single = await core.app({ redirectUris: [REDIRECT_URI] });
      const code = await core.code(alice, single.app);
      await core.ctx.apps.update(single.app.clientId, { redirectUris: [REDIRECT_URI, SECOND] });
      const exchange = (params: Record<string, string>) => core.token({ grant_type: 'authorization_code', ...params }, basic(single.app.clientId, single.secret!));
      await oauthError(exchange({ code, redirect_uri: SECOND }), 'invalid_grant');
      const code2 = await core.code(alice, single.app, { redirect_uri: REDIRECT_URI });
      expect((await exchange({ code: code2 })).access_token).toMatch(/^gate_at_/);
    });

    test('rejects an unregistered redirect_uri when /authorize had none', async () => {
      const code = await core.code(alice, web.app);
      await oauthError(asWeb({ code, redirect_uri: 'https://evil.example/callback' }), 'invalid_grant');
    });
  });

  describe('expiry (docs/protocol.md §3: codes live 10 minutes)', () => {
    test('accepts a code until its tenth minute ends', async () => {
      const code = await core.code(alice, web.app);
      core.clock.advance(10 * 60_000 - 1);
      expect((await asWeb({ code })).access_token).toMatch(/^gate_at_/);
    });

    test('rejects a code once 10 minutes have passed', async () => {
      const code = await core.code(alice, web.app);
      core.clock.advance(10 * 60_000);
      await oauthError(asWeb({ code }), 'invalid_grant');
    });
  });

  test('rejects a code issued to another client', async () => {
    const other = await core.app();
    const code = await core.code(alice, web.app);
    await oauthError(core.token({ grant_type: 'authorization_code', code }, basic(other.app.clientId, other.secret!)), 'invalid_grant');
  });

  test('rejects a code used twice and revokes its tokens (RFC 9700 §4.5)', async () => {
    const code = await core.code(alice, web.app);
    const first = await asWeb({ code });
    await oauthError(asWeb({ code }), 'invalid_grant');
    expect(await core.ctx.tokens.resolve(first.access_token, 'access')).toBeNull();
    expect(await core.ctx.tokens.resolve(first.refresh_token!, 'refresh')).toBeNull();
  });

  test('revokes the refreshed tokens too when a used code comes back', async () => {
    const code = await core.code(alice, web.app);
    const first = await asWeb({ code });
    const refreshed = await core.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token! }, basic(web.app.clientId, web.secret!));
    await oauthError(asWeb({ code }), 'invalid_grant');
    expect(await core.ctx.tokens.resolve(refreshed.access_token, 'access')).toBeNull();
  });

  test('of 20 concurrent exchanges of one code exactly one gets tokens', async () => {
    const code = await core.code(alice, web.app);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => asWeb({ code })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('invalid_grant');
  });

  test('refuses the code of a user who has been blocked since', async () => {
    const bob = await core.user();
    const code = await core.code(bob, web.app);
    await core.ctx.storage.updateUser(bob.id, { status: 'blocked' });
    await oauthError(asWeb({ code }), 'invalid_grant');
  });

  describe('devices (docs/protocol.md §3)', () => {
    test('binds the tokens to the device named at /authorize', async () => {
      const code = await core.code(alice, web.app, { device_id: 'device-123456', device_name: 'Alice\'s phone' });
      const res = await asWeb({ code, device_id: 'another-device', device_name: 'Other' });
      expect(await core.ctx.tokens.resolve(res.access_token, 'access')).toMatchObject({ deviceId: 'device-123456', deviceName: 'Alice\'s phone' });
    });

    test('binds the tokens to the device named at /token when /authorize named none', async () => {
      const code = await core.code(alice, web.app);
      const res = await asWeb({ code, device_id: 'token-device', device_name: 'Laptop' });
      expect(await core.ctx.tokens.resolve(res.access_token, 'access')).toMatchObject({ deviceId: 'token-device', deviceName: 'Laptop' });
    });

    test('rejects a malformed device_id', async () => {
      const code = await core.code(alice, web.app);
      await oauthError(asWeb({ code, device_id: 'short' }), 'invalid_request');
    });
  });
});

describe('token endpoint', () => {
  test('requires grant_type', async () => {
    await oauthError(core.token({ code: 'x' }, basic(web.app.clientId, web.secret!)), 'invalid_request', 400);
  });

  test('rejects an unknown grant_type with unsupported_grant_type', async () => {
    await oauthError(core.token({ grant_type: 'password' }, basic(web.app.clientId, web.secret!)), 'unsupported_grant_type', 400);
  });
});
