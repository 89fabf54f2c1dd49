/**
 * Parameter schemas at the edge (issue 10, item 4; src/http/edge-params.ts):
 * on every API endpoint, a value too long or outside its character set is
 * refused with 400 `invalid_request` naming the parameter — before the client
 * is authenticated or anything is looked up — and the description never
 * carries the value; unknown parameters are ignored (RFC 6749 §3.1).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { edgeParams, PARAMS, type ParamSchema } from '../../src/http/edge-params.js';
import { InvalidRequest } from '../../src/oauth/errors.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, postForm } from '../helpers/http-client.js';

let gh: TestGatehouse;
let web: { clientId: string; clientSecret: string };
let tv: { clientId: string };

beforeAll(async () => {
  gh = await startGatehouse();
  const created = await gh.createApp({ name: 'Edge app', scopes: ['login:info'] });
  web = { clientId: created.clientId, clientSecret: created.clientSecret! };
  tv = { clientId: (await gh.createApp({ name: 'Edge TV', platforms: ['tv'], scopes: ['login:info'] })).clientId };
});
afterAll(async () => {
  await gh?.close();
});

const MARKER = 'edge<marker>';

interface Case {
  endpoint: string;
  param: string;
  /** Sent with the bad value, so that only the value under test is wrong. */
  base: () => Record<string, string>;
  method?: 'GET' | 'POST';
}

const withSecret = () => ({ client_id: web.clientId, client_secret: web.clientSecret });
const CASES: Case[] = [
  { endpoint: '/token', param: 'grant_type', base: withSecret },
  { endpoint: '/token', param: 'code', base: () => ({ ...withSecret(), grant_type: 'authorization_code' }) },
  { endpoint: '/token', param: 'refresh_token', base: () => ({ ...withSecret(), grant_type: 'refresh_token' }) },
  { endpoint: '/token', param: 'redirect_uri', base: () => ({ ...withSecret(), grant_type: 'authorization_code', code: 'x' }) },
  { endpoint: '/token', param: 'code_verifier', base: () => ({ ...withSecret(), grant_type: 'authorization_code', code: 'x' }) },
  { endpoint: '/token', param: 'scope', base: () => ({ ...withSecret(), grant_type: 'client_credentials' }) },
  { endpoint: '/token', param: 'client_id', base: () => ({ grant_type: 'client_credentials', client_secret: 'x' }) },
  { endpoint: '/token', param: 'client_secret', base: () => ({ grant_type: 'client_credentials', client_id: web.clientId }) },
  { endpoint: '/device/code', param: 'client_id', base: () => ({}) },
  { endpoint: '/device/code', param: 'scope', base: () => ({ client_id: tv.clientId }) },
  { endpoint: '/revoke', param: 'token', base: withSecret },
  { endpoint: '/revoke', param: 'token_type_hint', base: () => ({ ...withSecret(), token: 'x' }) },
  { endpoint: '/revoke_token', param: 'access_token', base: withSecret },
  { endpoint: '/introspect', param: 'token', base: withSecret },
  { endpoint: '/info', param: 'oauth_token', base: () => ({}), method: 'GET' },
  { endpoint: '/info', param: 'format', base: () => ({ oauth_token: 'x' }), method: 'GET' },
  { endpoint: '/userinfo', param: 'access_token', base: () => ({}) },
];

async function send(c: Case, value: string): Promise<{ status: number; body: Record<string, string> }> {
  const params = { ...c.base(), [c.param]: value };
  const res = c.method === 'GET'
    ? await fetch(`${gh.url}${c.endpoint}?${new URLSearchParams(params)}`)
    : await postForm(`${gh.url}${c.endpoint}`, params);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('a value outside its schema is invalid_request, named and not echoed', () => {
  test.each(CASES.map((c) => [`${c.endpoint} ${c.param}`, c] as const))('%s: too long', async (_name, c) => {
    const { status, body } = await send(c, MARKER + 'x'.repeat(9000));
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_request', error_description: `${c.param} is too long` });
  });

  test.each(CASES.map((c) => [`${c.endpoint} ${c.param}`, c] as const))('%s: a control character', async (_name, c) => {
    const { status, body } = await send(c, 'a\u0001');
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_request', error_description: `${c.param} contains characters that are not allowed` });
  });
});

test('codes, tokens and client credentials are printable ASCII (VSCHAR): non-ASCII is refused, a device name may be any text', async () => {
  const refused = await postForm(`${gh.url}/token`, { ...withSecret(), grant_type: 'refresh_token', refresh_token: 'gate_rt_ключ' });
  expect(refused.status).toBe(400);
  expect(await refused.json()).toEqual({ error: 'invalid_request', error_description: 'refresh_token contains characters that are not allowed' });

  const named = await postForm(`${gh.url}/device/code`, { client_id: tv.clientId, device_id: 'tv-kitchen-1', device_name: 'Телевизор на кухне' });
  expect(named.status).toBe(200);
  const tooLongName = await postForm(`${gh.url}/device/code`, { client_id: tv.clientId, device_id: 'tv-kitchen-1', device_name: 'т'.repeat(101) });
  expect(await tooLongName.json()).toEqual({ error: 'invalid_request', error_description: 'device_name is too long' });
});

test('well-formed values keep their own errors, and unknown parameters are ignored', async () => {
  // Well-formed but unknown: the protocol code answers, not the edge.
  const unknownCode = await postForm(`${gh.url}/token`, { ...withSecret(), grant_type: 'authorization_code', code: 'no-such-code' });
  expect(((await unknownCode.json()) as { error: string }).error).toBe('invalid_grant');
  const unknownGrant = await postForm(`${gh.url}/token`, { ...withSecret(), grant_type: 'urn:example:unknown' });
  expect(((await unknownGrant.json()) as { error: string }).error).toBe('unsupported_grant_type');
  // An unknown parameter, however odd, does not stop a valid request.
  const ok = await postForm(`${gh.url}/token`, { ...withSecret(), grant_type: 'client_credentials', 'x-unknown': `${MARKER}\u0001${'y'.repeat(5000)}` });
  expect(ok.status).toBe(200);
  // The edge runs before client authentication: a malformed value is refused even with a wrong secret.
  const early = await postForm(`${gh.url}/token`, { client_id: web.clientId, client_secret: 'wrong', grant_type: 'client_credentials', scope: `login:info\u0000` });
  expect(await early.json()).toMatchObject({ error: 'invalid_request' });
});

describe('edgeParams itself', () => {
  const refusal = (schema: ParamSchema, body: Record<string, unknown>) => {
    try {
      edgeParams(schema, body);
      return null;
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidRequest);
      return (err as InvalidRequest).description;
    }
  };

  test('each limit holds at its length and refuses one character more', () => {
    expect(refusal(PARAMS.introspect, { token: 'a'.repeat(4096), client_id: 'c'.repeat(128), token_type_hint: 'h'.repeat(64) })).toBeNull();
    expect(refusal(PARAMS.introspect, { token: 'a'.repeat(4097) })).toBe('token is too long');
    expect(refusal(PARAMS.introspect, { client_id: 'c'.repeat(129) })).toBe('client_id is too long');
    expect(refusal(PARAMS.token, { refresh_token: 'r'.repeat(513) })).toBe('refresh_token is too long');
    expect(refusal(PARAMS.token, { device_id: 'd'.repeat(51) })).toBe('device_id is too long');
  });

  test('printable ASCII and space only; a value that is not text is refused; unknown names are not looked at', () => {
    expect(refusal(PARAMS.token, { grant_type: ' !~ ' })).toBeNull();
    for (const bad of ['a\u0000', 'a\u001f', 'a\u007f', 'é', 'a\nb']) expect(refusal(PARAMS.token, { scope: bad })).toBe('scope contains characters that are not allowed');
    expect(refusal(PARAMS.token, { scope: 12 })).toBe('scope contains characters that are not allowed');
    expect(refusal(PARAMS.token, { scope: { nested: 'x' } })).toBe('scope contains characters that are not allowed');
    expect(refusal(PARAMS.token, { 'x-unknown': '\u0000'.repeat(10_000), grant_type: 'client_credentials' })).toBeNull();
  });

  test('the first parameter in the schema that fails is named, and too long comes before bad characters', () => {
    expect(refusal(PARAMS.token, { scope: '\u0001', client_id: 'c'.repeat(200) })).toBe('client_id is too long');
    expect(refusal(PARAMS.token, { client_secret: '\u0001'.repeat(600) })).toBe('client_secret is too long');
  });

  test('device names follow their own rule: any script, no control characters, at most 100 characters', () => {
    expect(refusal(PARAMS.deviceCode, { device_name: 'Телевизор на кухне' })).toBeNull();
    expect(refusal(PARAMS.deviceCode, { device_name: 'т'.repeat(101) })).toBe('device_name is too long');
    expect(refusal(PARAMS.deviceCode, { device_name: 'TV\u0000' })).toBe('device_name contains characters that are not allowed');
  });

  test('the values come back as they were sent, empty ones dropped and repeated ones refused', () => {
    const params = edgeParams(PARAMS.introspect, { token: 'abc', token_type_hint: '', extra: 'kept' });
    expect({ ...params }).toEqual({ token: 'abc', extra: 'kept' });
    expect(refusal(PARAMS.introspect, { token: ['a', 'b'] })).toBe('parameter token was sent more than once');
  });
});
