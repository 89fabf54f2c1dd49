/**
 * Validating /authorize requests (RFC 6749 §4.1.1, §4.1.2.1, RFC 7636 §4.3,
 * RFC 9700 §4.1.3, docs/protocol.md §3). Errors about the client or the redirect URI are
 * shown on Gatehouse's page (UntrustedRedirectError) and never redirect; every
 * later error goes back to the verified redirect URI (RedirectableError).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RedirectableError, validateAuthorizationRequest } from '../../src/oauth/authorize/request.js';
import { UntrustedRedirectError } from '../../src/oauth/errors.js';
import type { AppRecord } from '../../src/storage/storage.js';
import { CHALLENGE, type Core, openCore, REDIRECT_URI } from '../helpers/core.js';

const SECOND = 'https://app.example/second?tab=1';

let core: Core;
let web: AppRecord;
let twoUris: AppRecord;
let desktop: AppRecord;
beforeAll(async () => {
  core = await openCore();
  web = (await core.app({ scopes: ['login:info', 'login:email'], optionalScopes: ['login:avatar', 'login:birthday'] })).app;
  twoUris = (await core.app({ redirectUris: [REDIRECT_URI, SECOND] })).app;
  desktop = (await core.app({ platforms: ['desktop'], redirectUris: ['http://127.0.0.1:4567/'] })).app;
});
afterAll(async () => { await core?.close(); });

const validate = (params: Record<string, string | undefined>) => validateAuthorizationRequest(core.ctx.storage, params, core.ctx.issuer);
const request = (params: Record<string, string | undefined> = {}) => validate({ response_type: 'code', client_id: web.clientId, ...params });

async function untrusted(params: Record<string, string | undefined>, code: string): Promise<void> {
  const err = await validate(params).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(UntrustedRedirectError);
  expect((err as UntrustedRedirectError).code).toBe(code);
}

async function redirected(params: Record<string, string | undefined>, code: string): Promise<RedirectableError> {
  const err = await validate(params).then(() => null, (e: unknown) => e);
  expect(err, `expected a redirectable ${code}`).toBeInstanceOf(RedirectableError);
  const r = err as RedirectableError;
  expect(r.error.code, r.error.description).toBe(code);
  return r;
}

describe('authorization request', () => {
  test('accepts a minimal request and fills in the defaults', async () => {
    const req = await request({ state: 'xyz' });
    expect(req).toMatchObject({
      app: { clientId: web.clientId }, responseType: 'code', redirectUri: REDIRECT_URI, redirectUriParam: null,
      responseMode: 'query', state: 'xyz', scopes: ['login:info', 'login:email'], optionalScopes: [],
      codeChallenge: null, codeChallengeMethod: null, nonce: null, loginHint: null, forceConfirm: false,
      deviceId: null, deviceName: null, display: 'page',
    });
  });

  describe('client (never redirected: RFC 6749 §4.1.2.1)', () => {
    test('requires client_id', async () => {
      await untrusted({ response_type: 'code', redirect_uri: REDIRECT_URI }, 'invalid_request');
    });

    test('shows an unknown client_id on a page', async () => {
      await untrusted({ response_type: 'code', client_id: 'f'.repeat(32), redirect_uri: REDIRECT_URI }, 'invalid_client');
      await untrusted({ response_type: 'code', client_id: 'not-hex', redirect_uri: REDIRECT_URI }, 'invalid_client');
    });

    test('checks the client before anything else', async () => {
      await untrusted({ client_id: 'f'.repeat(32), redirect_uri: 'https://evil.example/', scope: 'bad"scope', state: 'x'.repeat(2000) }, 'invalid_client');
    });
  });

  describe('redirect_uri (exact match, RFC 9700 §4.1.3)', () => {
    test('accepts a registered redirect_uri as sent', async () => {
      const req = await validate({ response_type: 'code', client_id: twoUris.clientId, redirect_uri: SECOND });
      expect(req.redirectUri).toBe(SECOND);
      expect(req.redirectUriParam).toBe(SECOND);
    });

    test('uses the only registered redirect URI when it is omitted', async () => {
      const req = await request();
      expect(req.redirectUri).toBe(REDIRECT_URI);
      expect(req.redirectUriParam).toBeNull();
    });

    test('requires redirect_uri when several are registered', async () => {
      await untrusted({ response_type: 'code', client_id: twoUris.clientId }, 'invalid_request');
    });

    test('requires a registered redirect URI when the app has none', async () => {
      const none = (await core.app({ redirectUris: [] })).app;
      await untrusted({ response_type: 'code', client_id: none.clientId }, 'invalid_request');
    });

    test.each([
      ['an unregistered URI', 'https://evil.example/callback'],
      ['a trailing slash', REDIRECT_URI + '/'],
      ['a different case', REDIRECT_URI.toUpperCase()],
      ['an extra query parameter', REDIRECT_URI + '?next=/'],
      ['a longer path', REDIRECT_URI + '/../evil'],
      ['a prefix', 'https://app.example/'],
      ['another port', 'https://app.example:444/callback'],
      ['http instead of https', 'http://app.example/callback'],
      ['percent-encoding', 'https://app.example/%63allback'],
      ['a fragment', REDIRECT_URI + '#x'],
    ])('shows %s on a page instead of redirecting', async (_, uri) => {
      await untrusted({ response_type: 'code', client_id: web.clientId, redirect_uri: uri }, 'invalid_request');
    });

    test('checks the redirect URI before any redirectable error', async () => {
      await untrusted({ response_type: 'bogus', client_id: web.clientId, redirect_uri: 'https://evil.example/', scope: 'login:birthday' }, 'invalid_request');
    });
  });

  describe('errors after the redirect URI is verified go back to it', () => {
    test('a blocked app gets unauthorized_client', async () => {
      const blocked = await core.app();
      await core.ctx.apps.update(blocked.app.clientId, { status: 'blocked' });
      const err = await redirected({ response_type: 'code', client_id: blocked.app.clientId, state: 's1' }, 'unauthorized_client');
      expect(err.target).toMatchObject({ redirectUri: REDIRECT_URI, responseMode: 'query', state: 's1' });
    });

    test('response_type is required', async () => {
      await redirected({ client_id: web.clientId }, 'invalid_request');
    });

    test('an unknown response_type gets unsupported_response_type', async () => {
      await redirected({ client_id: web.clientId, response_type: 'bogus' }, 'unsupported_response_type');
      await redirected({ client_id: web.clientId, response_type: 'code bogus' }, 'unsupported_response_type');
    });
  });

  describe('scope and optional_scope (docs/protocol.md §3)', () => {
    test('defaults to the app\'s scopes when neither is sent', async () => {
      expect(await request()).toMatchObject({ scopes: ['login:info', 'login:email'], optionalScopes: [] });
    });

    test('narrows to the scopes asked for', async () => {
      expect(await request({ scope: 'login:email' })).toMatchObject({ scopes: ['login:email'], optionalScopes: [] });
    });

    test('splits on spaces and drops duplicates', async () => {
      expect((await request({ scope: ' login:email  login:info login:email ' })).scopes).toEqual(['login:email', 'login:info']);
    });

    test('may ask for the app\'s optional scopes, required or optional', async () => {
      expect(await request({ scope: 'login:info login:avatar', optional_scope: 'login:birthday login:avatar' }))
        .toMatchObject({ scopes: ['login:info', 'login:avatar'], optionalScopes: ['login:birthday'] });
    });

    test('asks for only the optional scopes when only optional_scope is sent, as Yandex does', async () => {
      expect(await request({ optional_scope: 'login:avatar' })).toMatchObject({ scopes: [], optionalScopes: ['login:avatar'] });
    });

    test('rejects a scope the app was not registered with', async () => {
      await redirected({ response_type: 'code', client_id: web.clientId, scope: 'login:info login:default_phone' }, 'invalid_scope');
      await redirected({ response_type: 'code', client_id: web.clientId, optional_scope: 'no-such-scope' }, 'invalid_scope');
    });

    test('rejects a malformed scope', async () => {
      await redirected({ response_type: 'code', client_id: web.clientId, scope: 'login:"info' }, 'invalid_scope');
    });
  });

  describe('PKCE (RFC 7636 §4.3)', () => {
    test('defaults the method to S256 (docs/protocol.md §3)', async () => {
      expect(await request({ code_challenge: CHALLENGE })).toMatchObject({ codeChallenge: CHALLENGE, codeChallengeMethod: 'S256' });
    });

    test('accepts plain and S256', async () => {
      expect((await request({ code_challenge: CHALLENGE, code_challenge_method: 'plain' })).codeChallengeMethod).toBe('plain');
      expect((await request({ code_challenge: CHALLENGE, code_challenge_method: 'S256' })).codeChallengeMethod).toBe('S256');
    });

    test('is required of public clients', async () => {
      const err = await redirected({ response_type: 'code', client_id: desktop.clientId, state: 'st' }, 'invalid_request');
      expect(err.target).toMatchObject({ redirectUri: 'http://127.0.0.1:4567/', state: 'st' });
      const req = await validate({ response_type: 'code', client_id: desktop.clientId, code_challenge: CHALLENGE });
      expect(req.codeChallenge).toBe(CHALLENGE);
    });

    test('is optional for confidential clients', async () => {
      expect((await request()).codeChallenge).toBeNull();
    });

    test('rejects an unknown method', async () => {
      await redirected({ response_type: 'code', client_id: web.clientId, code_challenge: CHALLENGE, code_challenge_method: 'S512' }, 'invalid_request');
      await redirected({ response_type: 'code', client_id: web.clientId, code_challenge: CHALLENGE, code_challenge_method: 's256' }, 'invalid_request');
    });

    test('rejects a method without a challenge', async () => {
      await redirected({ response_type: 'code', client_id: web.clientId, code_challenge_method: 'S256' }, 'invalid_request');
    });

    test('rejects a challenge that is not 43–128 unreserved characters', async () => {
      for (const challenge of [CHALLENGE.slice(0, 42), 'a'.repeat(129), CHALLENGE.slice(0, 42) + '+', CHALLENGE.slice(0, 42) + '=']) {
        await redirected({ response_type: 'code', client_id: web.clientId, code_challenge: challenge }, 'invalid_request');
      }
      expect((await request({ code_challenge: 'a'.repeat(128) })).codeChallenge).toHaveLength(128);
    });
  });

  describe('device_id and device_name (docs/protocol.md §3)', () => {
    test('accepts 6 to 50 printable ASCII characters', async () => {
      expect((await request({ device_id: 'abcdef' })).deviceId).toBe('abcdef');
      expect((await request({ device_id: 'x'.repeat(50), device_name: 'Alice’s phone' })).deviceName).toBe('Alice’s phone');
      expect((await request({ device_id: 'A1 ~!@#$%^&*()' })).deviceId).toBe('A1 ~!@#$%^&*()');
    });

    test.each([
      ['5 characters', 'abcde'],
      ['51 characters', 'x'.repeat(51)],
      ['a control character', 'abc\tdef'],
      ['a non-ASCII character', 'téléphone'],
    ])('rejects a device_id of %s', async (_, deviceId) => {
      await redirected({ response_type: 'code', client_id: web.clientId, device_id: deviceId }, 'invalid_request');
    });

    test('limits device_name to 40 characters, a label rather than a sentence', async () => {
      expect((await request({ device_id: 'device-1', device_name: 'n'.repeat(40) })).deviceName).toHaveLength(40);
      await redirected({ response_type: 'code', client_id: web.clientId, device_id: 'device-1', device_name: 'n'.repeat(41) }, 'invalid_request');
    });

    test('ignores device_name without device_id', async () => {
      expect(await request({ device_name: 'Phone' })).toMatchObject({ deviceId: null, deviceName: null });
    });
  });

  describe('state (docs/protocol.md §3: up to 1024 characters, returned unchanged)', () => {
    test('returns state unchanged', async () => {
      const state = 'a b&c=d/é'.padEnd(1024, 'z');
      expect((await request({ state })).state).toBe(state);
    });

    test('rejects a longer state without echoing it', async () => {
      const err = await redirected({ response_type: 'code', client_id: web.clientId, state: 'z'.repeat(1025) }, 'invalid_request');
      expect(err.target.state).toBeNull();
    });
  });

  test('accepts and ignores the undocumented parameters of Yandex\'s mobile SDKs', async () => {
    const req = await request({
      origin: 'yandex_auth_sdk_android', force_fullscreen: 'yes', custom_values: '{}', app_platform: 'android',
      manufacturer: 'Google', model: 'Pixel', app_id: 'org.example', app_version: '1.0', ifv: 'x',
    });
    expect(req.app.clientId).toBe(web.clientId);
  });

  test('reads login_hint, nonce, force_confirm and display', async () => {
    expect(await request({ login_hint: 'alice', nonce: 'n-0S6', force_confirm: 'yes', display: 'popup' }))
      .toMatchObject({ loginHint: 'alice', nonce: 'n-0S6', forceConfirm: true, display: 'popup' });
    for (const value of ['true', '1', 'YES']) expect((await request({ force_confirm: value })).forceConfirm).toBe(true);
    for (const value of ['no', '0', '']) expect((await request({ force_confirm: value })).forceConfirm).toBe(false);
  });

  test('limits nonce and login_hint', async () => {
    await redirected({ response_type: 'code', client_id: web.clientId, nonce: 'n'.repeat(513) }, 'invalid_request');
    await redirected({ response_type: 'code', client_id: web.clientId, login_hint: 'l'.repeat(255) }, 'invalid_request');
  });
});
