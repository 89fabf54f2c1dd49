/** grant_type=client_credentials (RFC 6749 §4.4, docs/protocol.md §4): tokens for the app itself. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AppRecord } from '../../src/storage/storage.js';
import { basic, oauthError, openCore, type Core } from '../helpers/core.js';

let core: Core;
let web: { app: AppRecord; secret: string | null };
beforeAll(async () => {
  core = await openCore();
  web = await core.app({ scopes: ['login:info', 'login:email'], optionalScopes: ['login:avatar'] });
});
afterAll(async () => { await core?.close(); });

const asWeb = (params: Record<string, string> = {}) =>
  core.token({ grant_type: 'client_credentials', ...params }, basic(web.app.clientId, web.secret!));

describe('client_credentials grant', () => {
  test('issues an access token for the app itself, with no user and no refresh token', async () => {
    const res = await asWeb();
    expect(res).toEqual({ access_token: expect.stringMatching(/^gate_at_/), token_type: 'bearer', expires_in: web.app.accessTokenTtlSeconds, scope: 'login:info login:email' });
    expect(await core.ctx.tokens.resolve(res.access_token, 'access')).toMatchObject({ userId: null, clientId: web.app.clientId });
  });

  test('accepts credentials in the body too', async () => {
    const res = await core.token({ grant_type: 'client_credentials', client_id: web.app.clientId, client_secret: web.secret! });
    expect(res.access_token).toMatch(/^gate_at_/);
  });

  test('narrows to the scopes asked for, optional ones included', async () => {
    expect((await asWeb({ scope: 'login:email' })).scope).toBe('login:email');
    expect((await asWeb({ scope: 'login:avatar login:info' })).scope).toBe('login:avatar login:info');
  });

  test('refuses a scope the app may not have with invalid_scope', async () => {
    await oauthError(asWeb({ scope: 'login:birthday' }), 'invalid_scope', 400);
    await oauthError(asWeb({ scope: 'login:info no-such-scope' }), 'invalid_scope', 400);
    await oauthError(asWeb({ scope: 'a\\b' }), 'invalid_scope', 400);
  });

  test('is for confidential clients only', async () => {
    const desktop = await core.app({ platforms: ['desktop'], redirectUris: ['http://127.0.0.1/cb'] });
    await oauthError(core.token({ grant_type: 'client_credentials', client_id: desktop.app.clientId }), 'unauthorized_client', 400);
  });

  test('requires the client to authenticate', async () => {
    await oauthError(core.token({ grant_type: 'client_credentials', client_id: web.app.clientId }), 'invalid_client', 400);
  });
});
