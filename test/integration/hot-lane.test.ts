/**
 * The hot lane (src/http/hot-lane.ts) answers `GET /info` and `GET /userinfo`
 * with a bearer token outside Fastify. Each request here goes to two servers
 * on the same installation — one with the lane, one where Fastify answers
 * everything — and the answers must be the same: status, every header, body,
 * the access-log line and the metrics. The lane's own count says which
 * requests it answered, so a lane that silently never engages fails too.
 */
import { connect, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { hotLaneOf } from '../../src/http/hot-lane.js';
import { tokenKey } from '../../src/oauth/tokens.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';

interface Pair {
  gh: TestGatehouse;
  lane: { server: FastifyInstance; url: string; lines: Record<string, unknown>[] };
  plain: { server: FastifyInstance; url: string; lines: Record<string, unknown>[] };
}

async function pair(config: Parameters<typeof startGatehouse>[0] = {}): Promise<Pair> {
  const gh = await startGatehouse({ ...config, config: { logLevel: 'info', ...config.config } });
  const serve = async (hotLane: boolean) => {
    const lines: Record<string, unknown>[] = [];
    // A write can carry several lines (access-log.ts writes a turn's access lines together).
    const write = (chunk: string) => chunk.split('\n').filter(Boolean).forEach((line) => lines.push(JSON.parse(line)));
    const server = await buildServer(gh.ctx, { hotLane, logStream: { write } });
    await server.listen({ port: 0, host: '127.0.0.1' });
    return { server, url: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`, lines };
  };
  return { gh, lane: await serve(true), plain: await serve(false) };
}

async function closePair(p: Pair | undefined) {
  await p?.lane.server.close();
  await p?.plain.server.close();
  await p?.gh.close();
}

/** Everything an answer says, but the moment it was sent. A request with a body is a POST. */
async function answer(url: string, path: string, headers: Record<string, string>, body?: string) {
  const response = await fetch(`${url}${path}`, { headers, ...(body === undefined ? {} : { method: 'POST', body }) });
  const all = Object.fromEntries([...response.headers].filter(([name]) => name !== 'date'));
  return { status: response.status, headers: all, body: await response.text() };
}

/** Sends `raw` (several requests) on one connection in one write and reads `count` answers, in the order they came. */
function pipelined(url: string, raw: string, count: number): Promise<{ status: number; body: string }[]> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answers: { status: number; body: string }[] = [];
      let rest = received;
      while (answers.length < count) {
        const end = rest.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = rest.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (rest.length < end + 4 + length) return;
        answers.push({ status: Number(head.split(' ')[1]), body: rest.subarray(end + 4, end + 4 + length).toString('utf8') });
        rest = rest.subarray(end + 4 + length);
      }
      socket.end();
      resolve(answers);
    });
    socket.on('error', reject);
  });
}

/** An answer with the tokens it issued replaced by their length: two grants never issue the same token. */
function masked(a: { status: number; headers: Record<string, string>; body: string }) {
  if (!a.body.includes('access_token')) return a;
  const body = JSON.parse(a.body) as Record<string, unknown>;
  for (const key of ['access_token', 'refresh_token', 'id_token']) if (typeof body[key] === 'string') body[key] = (body[key] as string).length;
  return { ...a, body };
}

/** The access-log line of the last request, without what differs between any two requests. */
function lastLine(lines: Record<string, unknown>[]) {
  const line = lines.filter((l) => l.msg === 'request completed').at(-1);
  expect(line).toBeDefined();
  const { time: _time, reqId, responseTime, pid: _pid, hostname: _hostname, ...rest } = line!;
  expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
  expect(typeof responseTime).toBe('number');
  return rest;
}

/** Sends the same request to both servers; `viaLane` says whether the lane, not Fastify, must have answered it. */
async function same(p: Pair, path: string, headers: Record<string, string>, viaLane: boolean, body?: string) {
  const lane = hotLaneOf(p.lane.server)!;
  const before = lane.served;
  const fast = await answer(p.lane.url, path, headers, body);
  expect(lane.served - before, `${path} answered by the lane`).toBe(viaLane ? 1 : 0);
  const plain = await answer(p.plain.url, path, headers, body);
  expect(masked(fast)).toEqual(masked(plain));
  expect(lastLine(p.lane.lines)).toEqual(lastLine(p.plain.lines));
  return fast;
}

describe('on an http issuer', () => {
  let p: Pair;
  let tokens: Record<string, string>;
  let web: { clientId: string; secret: string };
  let spa: { clientId: string };
  beforeAll(async () => {
    p = await pair();
    const { gh } = p;
    const alice = await gh.createUser('alice.lane', 'correct horse battery', { firstName: 'Alice', email: 'alice@example.org' });
    const bob = await gh.createUser('bob.lane');
    const created = await gh.createApp({ scopes: ['login:info', 'login:email', 'login:avatar', 'openid', 'profile', 'email'] });
    const webApp = created.app;
    const page = (await gh.createApp({ platforms: ['spa'], redirectUris: ['https://page.example/cb'], scopes: ['login:info', 'openid', 'profile'] })).app;
    web = { clientId: created.clientId, secret: created.clientSecret! };
    spa = { clientId: page.clientId };
    const issue = async (app: typeof webApp, userId: string | null, scopes: string[], extra: Record<string, unknown> = {}) =>
      (await gh.ctx.tokens.issue({ app, userId: userId as never, scopes, ...extra })).access_token;
    tokens = {
      alice: await issue(webApp, alice.id, ['login:info', 'login:email', 'login:avatar', 'openid', 'profile', 'email']),
      page: await issue(page, alice.id, ['login:info', 'openid', 'profile']),
      bob: await issue(webApp, bob.id, ['login:info', 'openid']),
      app: await issue(webApp, null, ['login:info']),
      revoked: await issue(webApp, alice.id, ['login:info', 'openid']),
      bound: await issue(webApp, alice.id, ['login:info', 'openid'], { jkt: 'x'.repeat(43) }),
    };
    await gh.ctx.storage.updateUser(bob.id, { status: 'blocked' });
    const revoked = await gh.ctx.storage.findToken(tokenKey(tokens.revoked!));
    await gh.ctx.storage.revokeFamily(revoked!.familyId, Date.now());
  });
  afterAll(() => closePair(p));

  test('the login info and userinfo of a good token: the lane answers, exactly as Fastify does', async () => {
    const info = await same(p, '/info', { Authorization: `OAuth ${tokens.alice}` }, true);
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toMatchObject({ login: 'alice.lane', first_name: 'Alice', default_email: 'alice@example.org' });
    expect(info.headers['access-control-allow-origin']).toBe('*');
    const userinfo = await same(p, '/userinfo', { Authorization: `Bearer ${tokens.alice}` }, true);
    expect(JSON.parse(userinfo.body)).toMatchObject({ given_name: 'Alice', email: 'alice@example.org' });
    await same(p, '/info', { authorization: `bearer   ${tokens.alice}  ` }, true);
  });

  test('an answer the lane keeps is never served once its user or app has changed, and tokens of other scopes get their own', async () => {
    const { gh } = p;
    const carol = await gh.createUser('carol.lane', 'correct horse battery', { firstName: 'Carol', email: 'carol@example.org' });
    const { app } = await gh.createApp({ scopes: ['login:info', 'login:email', 'openid', 'profile', 'email'] });
    const issue = async (scopes: string[]) => (await gh.ctx.tokens.issue({ app, userId: carol.id, scopes })).access_token;
    const wide = await issue(['login:info', 'login:email', 'openid', 'profile', 'email']);
    const narrow = await issue(['login:info', 'openid', 'profile']);
    const read = async (path: string, token: string, viaLane = true) => {
      const a = await same(p, path, { Authorization: `Bearer ${token}` }, viaLane);
      return { status: a.status, body: JSON.parse(a.body) as Record<string, unknown> };
    };
    for (let i = 0; i < 2; i++) {
      expect((await read('/info', wide)).body).toMatchObject({ first_name: 'Carol', default_email: 'carol@example.org' });
      expect((await read('/userinfo', wide)).body).toMatchObject({ given_name: 'Carol', email: 'carol@example.org' });
      expect((await read('/info', narrow)).body).not.toHaveProperty('default_email');
      expect((await read('/userinfo', narrow)).body).not.toHaveProperty('email');
    }
    await gh.ctx.storage.updateUser(carol.id, { firstName: 'Caroline' });
    expect((await read('/info', wide)).body).toMatchObject({ first_name: 'Caroline' });
    expect((await read('/userinfo', narrow)).body).toMatchObject({ given_name: 'Caroline' });
    await gh.ctx.storage.updateUser(carol.id, { status: 'blocked' });
    expect((await read('/info', wide, false)).status).toBe(401);
    expect((await read('/userinfo', wide, false)).status).toBe(401);
    await gh.ctx.storage.updateUser(carol.id, { status: 'active' });
    expect((await read('/info', narrow)).body).toMatchObject({ first_name: 'Caroline' });
    await gh.ctx.storage.updateApp(app.clientId, { status: 'blocked' });
    expect((await read('/info', narrow, false)).status).toBe(401);
    expect((await read('/userinfo', wide, false)).status).toBe(401);
  });

  test("a browser app's token: the answer is readable only by the app's own pages", async () => {
    const own = await same(p, '/info', { Authorization: `Bearer ${tokens.page}`, Origin: 'https://page.example' }, true);
    expect(own.headers['access-control-allow-origin']).toBe('https://page.example');
    expect(own.headers.vary).toBe('Origin');
    const other = await same(p, '/userinfo', { Authorization: `Bearer ${tokens.page}`, Origin: 'https://evil.example' }, true);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('refusals and everything unusual are left to Fastify, and answered as before', async () => {
    for (const path of ['/info', '/userinfo']) {
      expect((await same(p, path, { Authorization: `Bearer ${tokens.bob}` }, false)).status).toBe(401); // blocked user
      expect((await same(p, path, { Authorization: `Bearer ${tokens.revoked}` }, false)).status).toBe(401);
      expect((await same(p, path, { Authorization: `Bearer ${tokens.app}` }, false)).status).toBe(401); // no user
      expect((await same(p, path, { Authorization: `Bearer ${tokens.bound}` }, false)).status).toBe(401); // DPoP-bound
      expect((await same(p, path, { Authorization: 'Bearer unknown-token' }, false)).status).toBe(401);
      expect((await same(p, path, { Authorization: `DPoP ${tokens.alice}` }, false)).status).toBe(401);
      // A DPoP header beside an unbound bearer token is ignored, on Fastify's word.
      expect((await same(p, path, { Authorization: `Bearer ${tokens.alice}`, DPoP: 'not-a-proof' }, false)).status).toBe(200);
      expect((await same(p, path, { Authorization: `Basic ${tokens.alice}` }, false)).status).toBe(400);
      expect((await same(p, path, {}, false)).status).toBe(401);
      expect((await same(p, `${path}?oauth_token=${tokens.alice}`, { Authorization: `Bearer ${tokens.alice}` }, false)).status).toBe(400);
      expect((await same(p, `${path}/`, { Authorization: `Bearer ${tokens.alice}` }, false)).status).toBe(404);
    }
    expect((await same(p, '/info?format=xml', { Authorization: `Bearer ${tokens.alice}` }, false)).body).toMatch(/^<\?xml/);
  });

  test('introspection: the lane answers every form it takes, refusals included, as Fastify does', async () => {
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const basic = (id: string, secret: string) => ({ ...form, Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
    const active = await same(p, '/introspect', basic(web.clientId, web.secret), true, `token=${tokens.alice}`);
    expect(JSON.parse(active.body)).toMatchObject({ active: true, username: 'alice.lane', token_type: 'bearer' });
    const posted = await same(p, '/introspect', { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' }, true,
      `token=${tokens.app}&client_id=${web.clientId}&client_secret=${encodeURIComponent(web.secret)}`);
    expect(JSON.parse(posted.body)).toMatchObject({ active: true, client_id: web.clientId });
    for (const token of [tokens.bob, tokens.revoked, 'unknown-token', 'x'.repeat(600)]) {
      expect(JSON.parse((await same(p, '/introspect', basic(web.clientId, web.secret), true, `token=${token}`)).body)).toEqual({ active: false });
    }
    const wrong = await same(p, '/introspect', basic(web.clientId, 'wrong-secret'), true, `token=${tokens.alice}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /);
    expect((await same(p, '/introspect', form, true, `token=${tokens.alice}`)).status).toBe(401);
    expect((await same(p, '/introspect', form, true, `token=${tokens.alice}&client_id=${spa.clientId}`)).status).toBe(401);
    expect((await same(p, '/introspect', basic(web.clientId, web.secret), true, '')).status).toBe(400);
    expect((await same(p, '/introspect', basic(web.clientId, web.secret), true, `token=${tokens.alice}&token=${tokens.bob}`)).status).toBe(400);
    expect((await same(p, '/introspect', basic(web.clientId, web.secret), true, `token=%E0%A4%A`)).status).toBe(400);
    // Another body type, a page's caller, a query string: Fastify's.
    expect((await same(p, '/introspect', { ...basic(web.clientId, web.secret), 'Content-Type': 'application/json' }, false, '{}')).status).toBe(415);
    expect((await same(p, '/introspect', { ...basic(web.clientId, web.secret), Accept: 'text/html' }, false, `token=${tokens.alice}`)).status).toBe(200);
    expect((await same(p, '/introspect?x=1', basic(web.clientId, web.secret), false, `token=${tokens.alice}`)).status).toBe(200);
  });

  test('token requests: the lane answers those without a DPoP proof, refusals included, as Fastify does', async () => {
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const basic = { ...form, Authorization: `Basic ${Buffer.from(`${web.clientId}:${web.secret}`).toString('base64')}` };
    const issued = await same(p, '/token', basic, true, 'grant_type=client_credentials');
    expect(issued.status).toBe(200);
    expect(issued.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache', 'access-control-allow-origin': '*' });
    expect(JSON.parse(issued.body)).toMatchObject({ token_type: 'bearer' });
    // The token the lane issued works, through the lane.
    expect((await same(p, '/introspect', basic, true, `token=${JSON.parse(issued.body).access_token}`)).body).toMatch(/"active":true/);
    const refresh = async () => (await p.gh.ctx.tokens.issue({ app: (await p.gh.ctx.storage.findApp(web.clientId))!, userId: (await p.gh.ctx.storage.findUserByLogin('alice.lane'))!.id, scopes: ['login:info'], withRefresh: true })).refresh_token!;
    const [mine, theirs] = [await refresh(), await refresh()];
    const lane = hotLaneOf(p.lane.server)!;
    const before = lane.served;
    const viaLane = await answer(p.lane.url, '/token', basic, `grant_type=refresh_token&refresh_token=${mine}`);
    const viaFastify = await answer(p.plain.url, '/token', basic, `grant_type=refresh_token&refresh_token=${theirs}`);
    expect(lane.served).toBe(before + 1);
    expect(masked(viaLane)).toEqual(masked(viaFastify));
    expect(viaLane.status).toBe(200);
    // Refusals: a wrong secret, an unknown refresh token, an unknown grant, no client at all.
    const wrong = await same(p, '/token', { ...form, Authorization: `Basic ${Buffer.from(`${web.clientId}:nope`).toString('base64')}` }, true, 'grant_type=client_credentials');
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /);
    expect((await same(p, '/token', basic, true, `grant_type=refresh_token&refresh_token=${mine.slice(1)}`)).status).toBe(400);
    expect((await same(p, '/token', basic, true, 'grant_type=urn:example:unknown')).status).toBe(400);
    expect((await same(p, '/token', form, true, 'grant_type=client_credentials')).status).toBe(400);
    expect((await same(p, '/token', basic, true, 'grant_type=client_credentials&grant_type=client_credentials')).status).toBe(400);
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131 + 7) % 256)).toString('latin1');
    expect((await same(p, '/token', basic, true, garbage)).status).toBe(400);
    expect((await same(p, '/introspect', basic, true, garbage)).status).toBe(400);
    // A browser app's refusal is readable by its own page only, as on Fastify's path.
    const page = await same(p, '/token', { ...form, Origin: 'https://page.example' }, true, `grant_type=authorization_code&code=unknown-code&client_id=${spa.clientId}&redirect_uri=https://page.example/cb&code_verifier=${'v'.repeat(43)}`);
    expect(page.status).toBe(400);
    expect(page.headers['access-control-allow-origin']).toBe('https://page.example');
    // A DPoP proof is Fastify's: its nonce and its check.
    expect((await same(p, '/token', { ...basic, DPoP: 'not-a-proof' }, false, 'grant_type=client_credentials')).status).toBe(400);
  });

  test('requests read in one turn are answered together, each with its own answer, in order on a connection that sends several', async () => {
    const introspection = (token: string) => {
      const body = `token=${token}`;
      return `POST /introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from(`${web.clientId}:${web.secret}`).toString('base64')}\r\n`
        + `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    };
    const get = (path: string, token: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    // One write: the lane's checks, Fastify's refusals and introspections, pipelined on one connection.
    const sent = [
      get('/info', tokens.alice!), get('/info', 'unknown-token'), introspection(tokens.alice!), get('/userinfo', tokens.alice!),
      introspection(tokens.revoked!), get('/info', tokens.bob!), get('/userinfo', tokens.page!),
    ];
    const lane = hotLaneOf(p.lane.server)!;
    const before = lane.served;
    const answers = await pipelined(p.lane.url, sent.join(''), sent.length);
    expect(answers.map((a) => a.status)).toEqual([200, 401, 200, 200, 200, 401, 200]);
    expect(JSON.parse(answers[0]!.body)).toMatchObject({ login: 'alice.lane' });
    expect(JSON.parse(answers[1]!.body)).toMatchObject({ error: 'invalid_token' });
    expect(JSON.parse(answers[2]!.body)).toMatchObject({ active: true, username: 'alice.lane' });
    expect(JSON.parse(answers[3]!.body)).toMatchObject({ preferred_username: 'alice.lane', email: 'alice@example.org' });
    expect(JSON.parse(answers[4]!.body)).toEqual({ active: false });
    expect(JSON.parse(answers[6]!.body)).toMatchObject({ preferred_username: 'alice.lane' });
    expect(JSON.parse(answers[6]!.body)).not.toHaveProperty('email');
    expect(lane.served - before).toBe(5);

    // Many connections at once, each its own user's answer.
    const users = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const user = await p.gh.createUser(`turn${i}.lane`);
      const app = (await p.gh.ctx.storage.findApp(web.clientId))!;
      return { login: user.login, token: (await p.gh.ctx.tokens.issue({ app, userId: user.id, scopes: ['login:info'] })).access_token };
    }));
    const checked = await Promise.all(users.flatMap(({ token }) => [
      fetch(`${p.lane.url}/info`, { headers: { Authorization: `OAuth ${token}` } }).then((r) => r.json()),
      fetch(`${p.lane.url}/introspect`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${web.clientId}:${web.secret}`).toString('base64')}` }, body: `token=${token}` }).then((r) => r.json()),
    ]));
    users.forEach(({ login }, i) => {
      expect(checked[2 * i]).toMatchObject({ login });
      expect(checked[2 * i + 1]).toMatchObject({ active: true, username: login });
    });
  });

  test('what the lane answered is counted in the metrics as Fastify counts it', async () => {
    const count = async (url: string) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(/gatehouse_http_requests_total\{route="\/userinfo",method="GET",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const issuedTokens = async (url: string) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(/gatehouse_tokens_issued_total\{grant="client_credentials"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const [lane0, plain0, laneIssued0, plainIssued0] = [await count(p.lane.url), await count(p.plain.url), await issuedTokens(p.lane.url), await issuedTokens(p.plain.url)];
    await same(p, '/userinfo', { Authorization: `Bearer ${tokens.alice}` }, true);
    const basic = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${web.clientId}:${web.secret}`).toString('base64')}` };
    await same(p, '/token', basic, true, 'grant_type=client_credentials');
    expect(await count(p.lane.url)).toBe(lane0 + 1);
    expect(await count(p.plain.url)).toBe(plain0 + 1);
    expect(await issuedTokens(p.lane.url)).toBe(laneIssued0 + 1);
    expect(await issuedTokens(p.plain.url)).toBe(plainIssued0 + 1);
  });
});

describe('on an https issuer behind a proxy', () => {
  let p: Pair;
  let token: string;
  beforeAll(async () => {
    p = await pair({ config: { issuer: 'https://id.example', trustProxy: 1 } });
    const alice = await p.gh.createUser('alice.proxied');
    const web = (await p.gh.createApp()).app;
    token = (await p.gh.ctx.tokens.issue({ app: web, userId: alice.id, scopes: ['login:info'] })).access_token;
  });
  afterAll(() => closePair(p));

  test('HSTS and the logged address follow the trusted proxy, as on the Fastify path', async () => {
    const secure = await same(p, '/info', { Authorization: `Bearer ${token}`, 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7' }, true);
    expect(secure.headers['strict-transport-security']).toMatch(/^max-age=/);
    expect(lastLine(p.lane.lines)).toMatchObject({ req: { remoteAddress: '203.0.113.7', path: '/info', method: 'GET' }, res: { statusCode: 200 } });
    const plain = await same(p, '/info', { Authorization: `Bearer ${token}`, 'X-Forwarded-Proto': 'http', 'X-Forwarded-For': '198.51.100.2, 203.0.113.9' }, true);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    expect(lastLine(p.lane.lines)).toMatchObject({ req: { remoteAddress: '203.0.113.9' } });
    // Without the proxy's word the scheme is the socket's: plain http here.
    const direct = await same(p, '/info', { Authorization: `Bearer ${token}` }, true);
    expect(direct.headers['strict-transport-security']).toBeUndefined();
  });
});

// SQLite's reads are the ones answered at once (`Storage.findTokenWithOwnersNow`); PostgreSQL's always wait.
describe.skipIf(testEngine() !== 'sqlite')('when the database cannot be read', () => {
  let p: Pair;
  afterAll(() => closePair(p));

  test('a token check read at once that fails is left to Fastify, and an introspection is refused as Fastify refuses it', async () => {
    p = await pair();
    const { gh } = p;
    const user = await gh.createUser('carol.lane');
    const created = await gh.createApp({ scopes: ['login:info', 'openid'] });
    const token = (await gh.ctx.tokens.issue({ app: created.app, userId: user.id, scopes: ['login:info', 'openid'] })).access_token;
    const form = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${created.clientId}:${created.clientSecret}`).toString('base64')}` };
    // Read once, so that the token's user and app are at hand and the next checks are answered at once.
    await same(p, '/info', { Authorization: `Bearer ${token}` }, true);
    await same(p, '/introspect', form, true, `token=${token}`);
    expect(gh.ctx.tokens.resolveForOwnApisNow(token)).not.toBeUndefined();
    // Every connection to the database closed under the running servers: each read now throws at once.
    await gh.ctx.storage.close();
    expect(() => gh.ctx.tokens.resolveForOwnApisNow(token)).toThrow();
    const info = await same(p, '/info', { Authorization: `Bearer ${token}` }, false);
    expect(info.status).toBeGreaterThanOrEqual(500);
    expect(info.body).not.toContain('at ');
    const refused = await same(p, '/introspect', form, true, `token=${token}`);
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(refused.body)).toHaveProperty('error');
  });
});
