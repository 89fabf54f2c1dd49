/** Client authentication at the token endpoint (RFC 6749 §2.3.1, §5.2, docs/protocol.md §4). */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { authenticateClient, HeaderInvalidClient } from '../../src/oauth/client-auth.js';
import type { AppRecord } from '../../src/storage/storage.js';
import { basic, oauthError, openCore, type Core } from '../helpers/core.js';

let core: Core;
let web: { app: AppRecord; secret: string | null };
let desktop: { app: AppRecord; secret: string | null };
beforeAll(async () => {
  core = await openCore();
  web = await core.app();
  desktop = await core.app({ platforms: ['desktop'], redirectUris: ['http://127.0.0.1/cb'] });
});
afterAll(async () => { await core?.close(); });

const auth = (input: Parameters<typeof authenticateClient>[1]) => authenticateClient(core.ctx, input);
const raw = (s: string) => 'Basic ' + Buffer.from(s).toString('base64');

describe('client authentication', () => {
  describe('HTTP Basic', () => {
    test('authenticates with client_id:client_secret', async () => {
      const client = await auth({ authorization: basic(web.app.clientId, web.secret!) });
      expect(client.app.clientId).toBe(web.app.clientId);
      expect(client.method).toBe('client_secret_basic');
    });

    test('decodes both parts as application/x-www-form-urlencoded (RFC 6749 §2.3.1)', async () => {
      // "%61" is "a": a client that form-encodes every character still authenticates.
      const id = [...web.app.clientId].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
      const secret = [...web.secret!].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
      expect((await auth({ authorization: raw(`${id}:${secret}`) })).app.clientId).toBe(web.app.clientId);
    });

    test('accepts the scheme name in any case', async () => {
      expect((await auth({ authorization: basic(web.app.clientId, web.secret!).replace('Basic', 'basic') })).method).toBe('client_secret_basic');
    });

    test('ignores body credentials when a Basic header is present', async () => {
      const client = await auth({ authorization: basic(web.app.clientId, web.secret!), clientId: desktop.app.clientId, clientSecret: 'wrong' });
      expect(client.app.clientId).toBe(web.app.clientId);
      const err = await oauthError(auth({ authorization: basic(web.app.clientId, 'wrong'), clientId: web.app.clientId, clientSecret: web.secret! }), 'invalid_client', 401);
      expect(err).toBeInstanceOf(HeaderInvalidClient);
    });

    test('answers a wrong secret with invalid_client and 401', async () => {
      await oauthError(auth({ authorization: basic(web.app.clientId, web.secret!.replace(/^./, (c) => (c === '0' ? '1' : '0'))) }), 'invalid_client', 401);
    });

    test('answers an unknown client with invalid_client and 401', async () => {
      await oauthError(auth({ authorization: basic('0'.repeat(32), 'secret') }), 'invalid_client', 401);
      await oauthError(auth({ authorization: basic('not-a-client-id', 'secret') }), 'invalid_client', 401);
    });

    test('answers malformed Basic credentials with invalid_client and 401', async () => {
      await oauthError(auth({ authorization: 'Basic !!!' }), 'invalid_client', 401);
      await oauthError(auth({ authorization: raw('no-colon-here') }), 'invalid_client', 401);
      await oauthError(auth({ authorization: raw('%zz:secret') }), 'invalid_client', 401);
    });

    test('answers an empty secret for a confidential client with 401', async () => {
      await oauthError(auth({ authorization: basic(web.app.clientId, '') }), 'invalid_client', 401);
    });
  });

  describe('credentials in the body', () => {
    test('authenticates with client_id and client_secret', async () => {
      const client = await auth({ clientId: web.app.clientId, clientSecret: web.secret! });
      expect(client.method).toBe('client_secret_post');
    });

    test('answers a wrong secret with invalid_client and 400, as Yandex does', async () => {
      await oauthError(auth({ clientId: web.app.clientId, clientSecret: 'wrong' }), 'invalid_client', 400);
    });

    test('answers an unknown client with invalid_client and 400', async () => {
      await oauthError(auth({ clientId: 'f'.repeat(32), clientSecret: 'x' }), 'invalid_client', 400);
    });

    test('answers a confidential client without a secret with invalid_client', async () => {
      await oauthError(auth({ clientId: web.app.clientId }), 'invalid_client', 400);
    });

    test('requires client_id', async () => {
      await oauthError(auth({}), 'invalid_request', 400);
      await oauthError(auth({ clientId: '', clientSecret: 'x' }), 'invalid_request', 400);
    });
  });

  describe('public clients', () => {
    test('identify themselves with client_id alone', async () => {
      const client = await auth({ clientId: desktop.app.clientId });
      expect(client).toMatchObject({ method: 'none', app: { clientId: desktop.app.clientId } });
      expect((await auth({ clientId: desktop.app.clientId, clientSecret: '' })).method).toBe('none');
    });

    test('are refused when they present a secret', async () => {
      await oauthError(auth({ clientId: desktop.app.clientId, clientSecret: 'anything' }), 'invalid_client', 400);
      await oauthError(auth({ authorization: basic(desktop.app.clientId, 'anything') }), 'invalid_client', 401);
    });
  });

  test('refuses a blocked app with unauthorized_client, once its credentials are right', async () => {
    const blocked = await core.app();
    await core.ctx.apps.update(blocked.app.clientId, { status: 'blocked' });
    await oauthError(auth({ authorization: basic(blocked.app.clientId, blocked.secret!) }), 'unauthorized_client', 400);
    await oauthError(auth({ clientId: blocked.app.clientId, clientSecret: blocked.secret! }), 'unauthorized_client', 400);
    await oauthError(auth({ clientId: blocked.app.clientId, clientSecret: 'wrong' }), 'invalid_client', 400);
  });

  test('the token endpoint authenticates before running any grant', async () => {
    await oauthError(core.token({ grant_type: 'client_credentials' }, basic(web.app.clientId, 'wrong')), 'invalid_client', 401);
    await oauthError(core.token({ grant_type: 'authorization_code', code: 'x', client_id: web.app.clientId, client_secret: 'wrong' }), 'invalid_client', 400);
  });
});
