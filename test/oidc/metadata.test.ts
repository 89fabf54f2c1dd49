/**
 * Server metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2, docs/protocol.md §7):
 * both documents list exactly what Gatehouse supports, client libraries
 * accept them, and every endpoint they name answers.
 */
import * as client from 'openid-client';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { postForm } from '../helpers/http-client.js';
import { discover, OIDC_SCOPES, REDIRECT } from './support.js';

/** Client assertions: asymmetric algorithms for private_key_jwt, HMAC for client_secret_jwt; never none. */
const ASSERTION_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'HS256', 'HS384', 'HS512'];

let gh: TestGatehouse;
let clientId: string;
let clientSecret: string;

beforeAll(async () => {
  gh = await startGatehouse();
  const app = await gh.createApp({ redirectUris: [REDIRECT], scopes: OIDC_SCOPES });
  clientId = app.clientId;
  clientSecret = app.clientSecret!;
});
afterAll(async () => { await gh?.close(); });

async function metadataAt(path: string): Promise<{ res: Response; body: Record<string, unknown> }> {
  const res = await fetch(gh.url + path);
  return { res, body: (await res.json()) as Record<string, unknown> };
}

/** Everything Gatehouse does, and nothing it does not. */
function expectedMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    device_authorization_endpoint: `${issuer}/device/code`,
    end_session_endpoint: `${issuer}/logout`,
    scopes_supported: ['login:info', 'login:email', 'login:avatar', 'login:birthday', 'login:default_phone', 'openid', 'profile', 'email', 'phone', 'offline_access'],
    response_types_supported: ['code', 'token', 'id_token', 'id_token token'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    // RFC 8414 §2: omitting the list would mean ["authorization_code", "implicit"]; listing it must not drop implicit.
    grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
    code_challenge_methods_supported: ['S256', 'plain'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'],
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['ES256', 'RS256'],
    // No response type Gatehouse supports carries c_hash (there is no hybrid flow).
    claims_supported: [
      'iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'acr', 'amr',
      'name', 'given_name', 'family_name', 'preferred_username', 'picture', 'birthdate', 'gender',
      'email', 'email_verified', 'phone_number', 'phone_number_verified',
    ],
    acr_values_supported: ['1', '2'],
    claim_types_supported: ['normal'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    ui_locales_supported: ['en', 'ru'],
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    claims_parameter_supported: false,
    pushed_authorization_request_endpoint: `${issuer}/par`,
    require_pushed_authorization_requests: false,
    dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
  };
}

describe('the metadata documents', () => {
  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
    test(`${path} lists exactly what Gatehouse supports`, async () => {
      const { res, body } = await metadataAt(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(body).toEqual(expectedMetadata(gh.url));
    });
  }

  test('openid-client discovers Gatehouse from either document (OIDC Discovery §4, RFC 8414 §3)', async () => {
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      const config = await discover(gh, clientId, null, {}, algorithm);
      const meta = config.serverMetadata();
      expect(meta.issuer).toBe(gh.url);
      expect(meta.supportsPKCE()).toBe(true);
      expect(meta.supportsPKCE('S256')).toBe(true);
      expect(meta.authorization_response_iss_parameter_supported).toBe(true);
      expect(meta.device_authorization_endpoint).toBe(`${gh.url}/device/code`);
    }
  });

  test('oauth4webapi accepts the documents, which name this issuer exactly', async () => {
    const issuer = new URL(gh.url);
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const oidc = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' }));
    const rfc8414 = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }));
    expect(oidc).toEqual(rfc8414);
    // A document for another issuer is refused (RFC 8414 §3.3): the issuer value is what the client trusts.
    await expect(oauth.processDiscoveryResponse(new URL('http://127.0.0.1:1'), await oauth.discoveryRequest(issuer, insecure))).rejects.toThrow();
  });
});

describe('every endpoint the metadata names answers', () => {
  let meta: Record<string, unknown>;
  beforeAll(async () => { meta = (await metadataAt('/.well-known/openid-configuration')).body; });
  const endpoint = (name: string) => meta[name] as string;

  test('authorization_endpoint: an error page for a request without a client', async () => {
    const res = await fetch(endpoint('authorization_endpoint'), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('client_id is required');
  });

  test('token_endpoint: an OAuth error for an empty request', async () => {
    const res = await postForm(endpoint('token_endpoint'), {});
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  test('userinfo_endpoint (GET and POST): a Bearer challenge without a token', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await fetch(endpoint('userinfo_endpoint'), { method });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
  });

  test('jwks_uri: the public keys, one current per algorithm, with kid, alg and use and no private parts', async () => {
    const res = await fetch(endpoint('jwks_uri'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
    const { keys } = (await res.json()) as { keys: Array<Record<string, string>> };
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of keys) {
      expect(key).toMatchObject({ use: 'sig', kid: expect.stringMatching(/^[0-9a-f]{16}$/) });
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(priv);
    }
    expect(keys.find((k) => k.alg === 'ES256')).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(keys.find((k) => k.alg === 'RS256')).toMatchObject({ kty: 'RSA', e: 'AQAB' });
  });

  test('revocation_endpoint: an unknown token is revoked successfully (RFC 7009 §2.2)', async () => {
    const res = await postForm(endpoint('revocation_endpoint'), { client_id: clientId, client_secret: clientSecret, token: 'gate_at_unknown' });
    expect(res.status).toBe(200);
  });

  test('introspection_endpoint: 401 without client credentials', async () => {
    const res = await postForm(endpoint('introspection_endpoint'), { token: 'gate_at_unknown' });
    expect(res.status).toBe(401);
  });

  test('device_authorization_endpoint: a device code for a known app', async () => {
    const { clientId: tv } = await gh.createApp({ platforms: ['tv'], redirectUris: [], scopes: OIDC_SCOPES });
    const res = await postForm(endpoint('device_authorization_endpoint'), { client_id: tv });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ device_code: expect.any(String), user_code: expect.any(String), interval: 5, expires_in: 300 });
  });

  test('end_session_endpoint: a signed-out page for a browser with no session', async () => {
    const res = await fetch(endpoint('end_session_endpoint'), { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  test('openid-client reaches the same endpoints through its configuration', () => {
    return discover(gh, clientId, null).then((config) => {
      const m = config.serverMetadata();
      expect([m.authorization_endpoint, m.token_endpoint, m.userinfo_endpoint, m.jwks_uri, m.revocation_endpoint, m.introspection_endpoint, m.end_session_endpoint])
        .toEqual(['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint', 'end_session_endpoint'].map(endpoint));
      expect(client.buildEndSessionUrl(config).origin).toBe(gh.url);
    });
  });
});
