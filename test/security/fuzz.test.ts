/**
 * Property-based fuzzing of every endpoint (issue 10): thousands of generated
 * requests — known and unknown parameters, duplicates, malformed percent
 * escapes, binary, huge and markup-laden values, JSON, multipart, text and
 * binary bodies, broken Authorization headers and cookies — against a real
 * Gatehouse over HTTP. Whatever comes in:
 * - no answer is a 5xx;
 * - no answer echoes input unescaped (a marker `<x-fuzz…>` planted in the
 *   values never comes back with its `<`), in the body or a header;
 * - no answer carries a stack trace.
 *
 * The routes are read from the server's own router, so endpoints added later
 * are fuzzed too. The seed is fixed; the normal run is bounded.
 * Nightly: `GATEHOUSE_FUZZ_RUNS=50000 npx vitest run test/security/fuzz.test.ts`
 * (runs per property; `GATEHOUSE_FUZZ_SEED` picks another seed).
 */
import { request as httpRequest, Agent } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';

const RUNS = Number(process.env.GATEHOUSE_FUZZ_RUNS) || 800;
const SEED = Number(process.env.GATEHOUSE_FUZZ_SEED) || 20261125;
/** Generous: a loaded two-core machine answers a request in tens of milliseconds, not one. */
const TIMEOUT = Math.max(600_000, RUNS * 500);

let gh: TestGatehouse;
let clientId: string;
let publicClientId: string;
let signedIn: { cookie: string; csrf: string };
let routes: Route[];
let sent = 0;

interface Route {
  method: string;
  /** With `:name` parameters and `*`. */
  path: string;
}

/**
 * The router's own list of routes: `printRoutes` draws a tree whose lines are
 * `<indent>segment (METHODS)`; a route's path is its ancestors' segments joined.
 */
function listRoutes(tree: string): Route[] {
  const out: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = Math.round(m[1]!.length / 4);
    stack.length = depth;
    stack[depth] = m[2]!;
    const path = stack.join('');
    for (const method of m[3]!.split(', ')) out.push({ method, path });
  }
  return out;
}

const MARK = '<x-fuzz';
const markers = fc.constantFrom(`${MARK}>`, `"><${MARK.slice(1)} a=1>`, `'${MARK}/>`, `</script>${MARK}>`, `${MARK} onload=alert(1)>`, `javascript:${MARK}>`);

/** Strings of every kind, often carrying a marker. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), markers, fc.string({ maxLength: 10 })).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u0000', '\r\n', '%', '%zz', '../../etc/passwd', 'null', '[]', '{}', 'true', '-1', '1e309', '0x10', '\u202e', '\ud800') },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 70_000 }).map((n) => 'A'.repeat(n)) },
);

const PARAMS = [
  'response_type', 'client_id', 'redirect_uri', 'scope', 'optional_scope', 'state', 'login_hint', 'force_confirm', 'device_id',
  'device_name', 'code_challenge', 'code_challenge_method', 'prompt', 'nonce', 'display', 'response_mode', 'max_age', 'ui_locales',
  'id_token_hint', 'post_logout_redirect_uri', 'grant_type', 'code', 'code_verifier', 'refresh_token', 'device_code', 'client_secret',
  'token', 'token_type_hint', 'access_token', 'oauth_token', 'format', 'jwt_secret', 'user_code', 'decision', 'granted_optional',
  'csrf', 'login', 'password', 'email', 'first_name', 'last_name', 'return_to', 'lang', 'switch', 'origin', 'page', 'q', 'search',
  'name', 'description', 'redirect_uris', 'suggest_hostnames', 'platforms', 'status', 'action', 'id', 'view', 'limit',
  'method', 'step_up',
];

/** Values that get past the first checks, so the fuzzer reaches deeper steps. */
const plausible = (): fc.Arbitrary<string> => fc.constantFrom(
  clientId, publicClientId, 'code', 'token', 'authorization_code', 'refresh_token', 'client_credentials', 'device_code',
  'urn:ietf:params:oauth:grant-type:device_code', 'http://127.0.0.1:9999/callback', `${gh.url}/verification_code`, 'login:info',
  'openid login:info', 'S256', 'plain', 'allow', 'deny', 'popup', 'none login', 'form_post', 'fragment', 'json', 'xml', 'jwt',
  '1234567', 'BCDF-GHJK', 'gate_at_' + 'a'.repeat(43), 'gate_rt_' + 'b'.repeat(43), 'a'.repeat(43), '/', '//evil.example', 'https://evil.example/',
  '/authorize?client_id=' + clientId, 'ru', 'en', 'yes',
);

const paramName = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PARAMS) }, { weight: 1, arbitrary: text.map((t) => t.slice(0, 60)) });
const paramValue = (): fc.Arbitrary<string> => fc.oneof({ weight: 2, arbitrary: plausible() }, { weight: 3, arbitrary: text });
/** Pairs, so a name may come twice (RFC 6749 §3.1 forbids it; it must be refused, not crash). */
const pairs = (): fc.Arbitrary<[string, string][]> => fc.array(fc.tuple(paramName, paramValue()), { maxLength: 8 });

/** Percent-escapes of a character's UTF-8 bytes (also for a lone surrogate, which encodeURIComponent refuses). */
const escapeBytes = (c: string) => [...Buffer.from(c)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/**
 * application/x-www-form-urlencoded; `raw` leaves printable ASCII as it is,
 * so `%` escapes may be broken and `+`, `=` and `;` stay literal.
 */
function encode(p: [string, string][], raw: boolean): string {
  if (!raw) return new URLSearchParams(p).toString();
  return p.map(([k, v]) => `${k}=${v}`.replace(/[^\x21-\x7e]|[#&?]/gu, escapeBytes)).join('&');
}

interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

const BODY_KINDS = ['none', 'form', 'form-raw', 'json', 'json-broken', 'multipart', 'text', 'binary', 'huge', 'form-no-type'] as const;
type BodyKind = (typeof BODY_KINDS)[number];

function body(kind: BodyKind, p: [string, string][], bytes: Uint8Array): { type: string | null; data: Buffer | null } {
  switch (kind) {
    case 'none': return { type: null, data: null };
    case 'form': return { type: 'application/x-www-form-urlencoded', data: Buffer.from(encode(p, false)) };
    case 'form-raw': return { type: 'application/x-www-form-urlencoded; charset=latin1', data: Buffer.from(encode(p, true), 'latin1') };
    case 'form-no-type': return { type: null, data: Buffer.from(encode(p, false)) };
    case 'json': return { type: 'application/json', data: Buffer.from(JSON.stringify(Object.fromEntries(p))) };
    case 'json-broken': return { type: 'application/json', data: Buffer.from(`{"${p[0]?.[0] ?? 'a'}": ${p[0]?.[1] ?? '[1,'}`) };
    case 'multipart': {
      const boundary = 'fuzzboundary';
      const parts = p.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('');
      return { type: `multipart/form-data; boundary=${boundary}`, data: Buffer.from(`${parts}--${boundary}--\r\n`) };
    }
    case 'text': return { type: 'text/plain', data: Buffer.from(p.map((x) => x.join('=')).join('\n')) };
    case 'binary': return { type: 'application/octet-stream', data: Buffer.from(bytes) };
    case 'huge': return { type: 'application/x-www-form-urlencoded', data: Buffer.from(`state=${'x'.repeat(70 * 1024)}`) };
  }
}

const AUTHORIZATION = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('Basic', 'Basic ', 'Basic !!!', 'Basic Og==', 'Bearer', 'OAuth', 'Digest x', 'Basic ' + 'QQ=='.repeat(2000)),
  text.map((t) => `Basic ${Buffer.from(t).toString('base64')}`),
  text.map((t) => `Bearer ${t.replace(/[^\x21-\x7e]/gu, escapeBytes).slice(0, 600)}`),
  fc.constant('Basic ').map((b) => b + Buffer.from(`${'0'.repeat(32)}:x`).toString('base64')),
);

const COOKIES = fc.constantFrom(undefined, 'gatehouse_session=' + 'a'.repeat(43), 'gatehouse_session=%zz; gatehouse_csrf=', 'gatehouse_lang=xx', 'a=b; =; ;;', 'gatehouse_session=' + 'x'.repeat(5000));

function fuzzRequest(session: { cookie: string; csrf: string } | null): fc.Arbitrary<FuzzRequest> {
  const route = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...routes) },
    { weight: 1, arbitrary: fc.record({ method: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'GET', 'POST'), path: text.map((t) => '/' + t.replace(/[^\x21-\x7e]|[#?]/gu, escapeBytes).slice(0, 200)) }) },
  );
  return fc.record({
    route,
    segments: fc.array(fc.oneof(plausible(), text, fc.constantFrom('%zz', '%00', '..', '%2e%2e')), { minLength: 4, maxLength: 4 }),
    query: pairs(),
    rawQuery: fc.boolean(),
    bodyKind: fc.constantFrom(...BODY_KINDS),
    bodyParams: pairs(),
    bytes: fc.uint8Array({ maxLength: 200 }),
    authorization: AUTHORIZATION,
    cookie: session ? fc.constant(session.cookie) : COOKIES,
    withCsrf: fc.boolean(),
    origin: fc.constantFrom(undefined, 'null', 'https://evil.example', gh.url),
    language: fc.constantFrom(undefined, 'ru', 'xx;q=abc', '*', 'en-US,en;q=0.9'),
  }).map((r) => {
    let i = 0;
    const path = r.route.path
      .replace(/:[a-z]+/gi, () => (r.segments[i++] ?? 'x').replace(/[^\x21-\x7e]|[#?/]/gu, escapeBytes).slice(0, 300))
      .replace('*', () => (r.segments[i++] ?? 'x').replace(/[^\x21-\x7e]|[#?]/gu, escapeBytes).slice(0, 300));
    const params = session && r.withCsrf ? [...r.bodyParams, ['csrf', session.csrf] as [string, string]] : r.bodyParams;
    const { type, data } = r.route.method === 'GET' || r.route.method === 'HEAD' ? { type: null, data: null } : body(r.bodyKind, params, r.bytes);
    const headers: Record<string, string> = {};
    if (type) headers['content-type'] = type;
    if (r.authorization !== undefined) headers.authorization = r.authorization;
    if (r.cookie !== undefined) headers.cookie = r.cookie;
    if (r.origin !== undefined) headers.origin = r.origin;
    if (r.language !== undefined) headers['accept-language'] = r.language;
    return { method: r.route.method, path, query: encode(r.query, r.rawQuery), headers, body: data };
  });
}

/**
 * A connection per request: a refused request (431, 413) may be answered and
 * closed before it was read, and must not disturb the next one.
 */
const agent = new Agent({ keepAlive: false, maxSockets: 8 });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends exactly these bytes (fetch would normalise the URL and refuse some headers). */
function send(r: FuzzRequest): Promise<Answer> {
  sent++;
  const url = new URL(gh.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      agent, host: url.hostname, port: url.port, method: r.method,
      path: r.path + (r.query ? `?${r.query}` : ''),
      headers: { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) },
      timeout: 20_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server may close a connection on a body it refused (413) before reading it all.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve({ status: 413, headers: {}, body: '' });
      else reject(err);
    });
    req.end(r.body ?? undefined);
  });
}

const STACK = /\bat .+ \(?(?:file:\/\/)?\/.+:\d+:\d+\)?|node_modules\//;

/** The invariants every answer keeps, whatever was sent. */
function check(r: FuzzRequest, a: Answer): void {
  const what = `${r.method} ${r.path.slice(0, 120)}?${r.query.slice(0, 200)} → ${a.status} ${a.body.slice(0, 300)}`;
  expect(a.status, what).toBeGreaterThanOrEqual(200);
  expect(a.status, what).toBeLessThan(500);
  expect(a.body.includes(MARK), `unescaped echo: ${what}`).toBe(false);
  for (const [name, value] of Object.entries(a.headers)) {
    const v = Array.isArray(value) ? value.join('\n') : (value ?? '');
    expect(v.includes(MARK), `unescaped echo in header ${name}: ${v.slice(0, 200)} for ${what}`).toBe(false);
  }
  expect(STACK.test(a.body), `stack trace: ${what}`).toBe(false);
}

beforeAll(async () => {
  gh = await startGatehouse();
  routes = listRoutes(gh.server.printRoutes({ commonPrefix: false }));
  clientId = (await gh.createApp({ name: 'Fuzzed web app', scopes: ['login:info', 'openid'] })).clientId;
  publicClientId = (await gh.createApp({ name: 'Fuzzed desktop app', platforms: ['desktop'] })).clientId;
  const admin = await gh.ctx.users.create({ login: 'fuzzadmin', password: 'correct horse battery', isAdmin: true, isDeveloper: true });
  const browser = new HttpUser(gh, admin.login, 'correct horse battery');
  await browser.signIn();
  const csrf = [...browser.jar.header().matchAll(/gatehouse_csrf=([^;]+)/g)][0]?.[1];
  if (!csrf) throw new Error('no CSRF cookie after sign-in');
  signedIn = { cookie: browser.jar.header(), csrf };
});
afterAll(async () => {
  agent.destroy();
  await gh?.close();
  console.log(`fuzz: ${sent} requests sent (seed ${SEED}, ${RUNS} runs per property)`);
});

describe('fuzzing every endpoint', () => {
  test('the router lists the endpoints docs/protocol.md §3–§12 name, so the fuzzer reaches them', () => {
    const paths = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const expected of ['GET /authorize', 'POST /authorize', 'POST /token', 'POST /revoke', 'POST /revoke_token', 'POST /device/code', 'POST /device',
      'GET /info', 'GET /userinfo', 'POST /introspect', 'GET /login', 'POST /login', 'POST /signup', 'POST /logout', 'GET /jwks',
      'GET /.well-known/openid-configuration', 'GET /verification_code', 'GET /metrics', 'GET /readyz',
      // Mail links (issue 16): forgotten passwords, confirming addresses, the operators' outbox.
      'GET /login/forgot', 'POST /login/forgot', 'GET /login/reset', 'POST /login/reset', 'GET /confirm-email', 'POST /confirm-email',
      'POST /account/emails/confirm', 'GET /admin/mail',
      // Two-step sign-in (issue 16): the second step, enrolment at sign-in and on /account.
      'GET /login/two-step', 'POST /login/two-step', 'GET /login/two-step/setup', 'POST /login/two-step/setup', 'GET /account/two-step',
      'GET /account/two-step/setup', 'POST /account/two-step/setup', 'POST /account/two-step/off', 'POST /account/two-step/recovery-codes',

      // Passkeys (issue 16): sign-in, /account, operators.
      'POST /login/passkey/options', 'POST /login/passkey', 'POST /account/passkeys/options', 'POST /account/passkeys',
      'POST /account/passkeys/rename', 'POST /account/passkeys/remove', 'POST /admin/users/:id/passkeys/remove',
      // Users' rights (issue 20): the copy of their data, deleting the account.
      'POST /account/data', 'POST /account/delete', 'GET /account/deleted',

      // Sign-in through other identity providers (issue 18).
      'GET /upstream/:name/start', 'GET /upstream/:name/callback', 'GET /upstream/register', 'POST /upstream/register', 'POST /upstream/register/cancel',
      'POST /account/upstreams/link', 'POST /account/upstreams/unlink', 'GET /admin/upstreams', 'POST /admin/upstreams', 'POST /admin/upstreams/remove', 'POST /admin/upstreams/update',

      // The first run and the organisation's settings (issue 20).
      'GET /setup', 'POST /setup', 'GET /admin/settings', 'POST /admin/settings', 'POST /admin/settings/logo', 'POST /admin/settings/logo/remove',
      'GET /assets/organisation.css', 'GET /assets/organisation-logo']) {
      expect(paths, expected).toContain(expected);
    }
  });

  test('every route × every kind of body: no 5xx, no unescaped echo, no stack trace', async () => {
    const nasty: [string, string][] = [['state', `${MARK}>`], ['client_id', clientId], ['redirect_uri', `javascript:${MARK}>`], ['scope', `${MARK}>`], ['state', 'twice']];
    for (const route of routes) {
      for (const kind of BODY_KINDS) {
        for (const cookie of [undefined, signedIn.cookie]) {
          const params: [string, string][] = cookie ? [...nasty, ['csrf', signedIn.csrf]] : nasty;
          const { type, data } = route.method === 'GET' || route.method === 'HEAD' ? { type: null, data: null } : body(kind, params, new Uint8Array([0, 255, 10, 13, 60]));
          const r: FuzzRequest = {
            method: route.method,
            path: route.path.replace(/:[a-z]+/gi, encodeURIComponent(`${MARK}>`)).replace('*', 'x%zz'),
            query: encode(nasty, kind === 'form-raw'),
            headers: { ...(type ? { 'content-type': type } : {}), ...(cookie ? { cookie } : {}) },
            body: data,
          };
          check(r, await send(r));
          if (route.method === 'GET' || route.method === 'HEAD') break;
        }
      }
    }
  }, TIMEOUT);

  test(`${RUNS} generated requests from anonymous callers`, async () => {
    await fc.assert(fc.asyncProperty(fuzzRequest(null), async (r) => check(r, await send(r))), { seed: SEED, numRuns: RUNS, endOnFailure: true });
  }, TIMEOUT);

  test(`${RUNS} generated requests from a signed-in operator, half of them with a valid CSRF token`, async () => {
    await fc.assert(fc.asyncProperty(fuzzRequest(signedIn), async (r) => check(r, await send(r))), { seed: SEED + 1, numRuns: RUNS, endOnFailure: true });
  }, TIMEOUT);
});
