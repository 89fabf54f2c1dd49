/**
 * Input never reaches a response header or an error description (RFC 6749
 * §5.2, RFC 6750 §3): parameter names with CR/LF, quotes and non-ASCII
 * characters, sent more than once over a raw socket, and unknown values of
 * `grant_type`, `response_type`, `scope` and `prompt`. Whatever comes in, the
 * answer is a 4xx built from Gatehouse's own words, never a 500 and never an
 * echo of what was sent.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, postForm } from '../helpers/http-client.js';

let gh: TestGatehouse;
let app: { clientId: string; clientSecret: string };
let user: HttpUser;
let accessToken: string;

const REDIRECT = 'http://127.0.0.1:9999/callback';
/** Planted in every name and value: it must never come back. */
const MARK = 'zq9mark';

beforeAll(async () => {
  gh = await startGatehouse();
  const created = await gh.createApp({ redirectUris: [REDIRECT] });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
  const u = await gh.createUser('hera');
  user = new HttpUser(gh, u.login, u.password);
  const code = await user.code({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT });
  const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { authorization: basicAuth(app.clientId, app.clientSecret) });
  accessToken = ((await res.json()) as { access_token: string }).access_token;
  expect(accessToken).toMatch(/^gate_at_/);
});
afterAll(async () => { await gh?.close(); });

interface RawAnswer {
  status: number;
  /** The status line and headers exactly as they came over the wire. */
  head: string;
  body: string;
}

/** One HTTP/1.1 request written byte for byte on a socket, so nothing between the test and Gatehouse cleans it up. */
function raw(method: 'GET' | 'POST', target: string, headers: Record<string, string> = {}, body = ''): Promise<RawAnswer> {
  const { hostname, port } = new URL(gh.url);
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (method === 'POST') lines.push('Content-Type: application/x-www-form-urlencoded', `Content-Length: ${Buffer.byteLength(body)}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: split < 0 ? '' : text.slice(split + 4) });
    });
    socket.end(lines.join('\r\n') + '\r\n\r\n' + body);
  });
}

/** Parameter names an attacker may choose: CR/LF to start a header of their own, quotes and backslashes to leave a quoted string, non-ASCII. */
const HOSTILE_NAMES = [
  `${MARK}%0D%0ASet-Cookie:%20${MARK}=1`,
  `${MARK}%0ALocation:%20https://evil.example/`,
  `${MARK}%22,%20error=%22${MARK}`,
  `${MARK}%5C%22%0D%0A`,
  `${MARK}%C4%80%E2%80%AE`,
];

/** The same hostile name twice, so the "sent more than once" error is the one that answers. */
const repeated = (name: string) => `${name}=1&${name}=2`;

function expectClean(answer: RawAnswer, what: string): void {
  expect(answer.status, `${what}\n${answer.head}\n${answer.body}`).toBeGreaterThanOrEqual(400);
  expect(answer.status, `${what}\n${answer.head}\n${answer.body}`).toBeLessThan(500);
  expect(answer.head, what).not.toContain(MARK);
  expect(answer.body, what).not.toContain(MARK);
  expect(answer.head, what).not.toMatch(/evil\.example/);
  const challenge = /^www-authenticate: (.*)$/im.exec(answer.head)?.[1];
  // RFC 6750 §3: a challenge made only of Gatehouse's own fixed words.
  if (challenge !== undefined) expect(challenge, what).toMatch(/^(Bearer realm="gatehouse"(, error="(invalid_request|invalid_token)")?(, error_description="[a-z ,]+")?|Basic realm="gatehouse", charset="UTF-8")\s*$/);
}

describe('a repeated parameter whose name is hostile (RFC 6749 §3.1)', () => {
  test.each(HOSTILE_NAMES)('is refused by /userinfo with a fixed WWW-Authenticate and no 500: %s', async (name) => {
    expectClean(await raw('GET', `/userinfo?${repeated(name)}`, { Authorization: `Bearer ${accessToken}` }), 'GET /userinfo');
    expectClean(await raw('POST', '/userinfo', { Authorization: `Bearer ${accessToken}` }, repeated(name)), 'POST /userinfo');
    expectClean(await raw('GET', `/userinfo?${repeated(name)}`), 'GET /userinfo without a token');
  });

  test.each(HOSTILE_NAMES)('is refused by /info, /token, /introspect, /revoke, /revoke_token and /device/code without echo: %s', async (name) => {
    const basic = { Authorization: basicAuth(app.clientId, app.clientSecret) };
    expectClean(await raw('GET', `/info?${repeated(name)}`, { Authorization: `OAuth ${accessToken}` }), 'GET /info');
    expectClean(await raw('POST', '/info', { Authorization: `OAuth ${accessToken}` }, repeated(name)), 'POST /info');
    expectClean(await raw('POST', '/token', basic, `grant_type=client_credentials&${repeated(name)}`), '/token');
    expectClean(await raw('POST', '/introspect', basic, `token=${accessToken}&${repeated(name)}`), '/introspect');
    expectClean(await raw('POST', '/revoke', basic, `token=${accessToken}&${repeated(name)}`), '/revoke');
    expectClean(await raw('POST', '/revoke_token', basic, `access_token=${accessToken}&${repeated(name)}`), '/revoke_token');
    expectClean(await raw('POST', '/device/code', {}, `client_id=${app.clientId}&${repeated(name)}`), '/device/code');
    // The token still works: nothing was revoked by a refused request.
    expect((await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${accessToken}` } })).status).toBe(200);
  });
});

describe('unknown values are described without being repeated (RFC 6749 §5.2, §4.1.2.1)', () => {
  test('/token: an unknown grant_type and an unknown scope', async () => {
    const basic = { Authorization: basicAuth(app.clientId, app.clientSecret) };
    for (const [body, error] of [
      [`grant_type=${MARK}`, 'unsupported_grant_type'],
      [`grant_type=${MARK}%0D%0AX:1`, 'invalid_request'],
      [`grant_type=client_credentials&scope=${MARK}`, 'invalid_scope'],
    ] as const) {
      const answer = await raw('POST', '/token', basic, body);
      expectClean(answer, body);
      expect(JSON.parse(answer.body)).toMatchObject({ error, error_description: expect.any(String) });
    }
  });

  test.each([
    ['response_type', { response_type: `code ${MARK}` }],
    ['scope', { response_type: 'code', scope: `login:info ${MARK}` }],
    ['prompt', { response_type: 'code', prompt: MARK }],
  ])('/authorize: an unknown %s goes back to the app as an error without the value', async (_name, params) => {
    const res = await user.get(`/authorize?${new URLSearchParams({ client_id: app.clientId, redirect_uri: REDIRECT, state: 's', ...params }).toString()}`);
    const location = res.headers.get('location') ?? '';
    expect(res.status).toBe(302);
    expect(new URL(location).searchParams.get('error')).toMatch(/^(unsupported_response_type|invalid_scope|invalid_request)$/);
    expect(decodeURIComponent(location)).not.toContain(MARK);
  });
});

describe('a return address that is no header value', () => {
  test('a non-ASCII return_to after sign-in is replaced, not turned into a 500', async () => {
    const answer = await raw('GET', `/login?return_to=/%C4%80${MARK}`, { Cookie: user.jar.header() });
    expect(answer.status, answer.head).toBe(302);
    expect(answer.head).not.toContain(MARK);
  });
});
