/**
 * Gatehouse behind a real nginx (issue 15), set up as the README shows:
 * nginx terminates TLS and appends the client's address to X-Forwarded-For,
 * and GATEHOUSE_TRUST_PROXY names nginx's address (127.0.0.1) and nothing
 * else. Clients connect from different loopback source addresses (127.0.0.2,
 * 127.0.0.3, …), so nginx sees each as a different client, as it would on
 * the internet.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listAuditEntries } from '../../src/audit/audit-log.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { CookieJar, hiddenFields } from '../helpers/http-client.js';
import { freePort, requestFrom, startNginx, type Nginx } from '../helpers/nginx.js';

const PASSWORD = 'correct horse battery';
let gh: TestGatehouse;
let nginx: Nginx;
let direct: string;

beforeAll(async () => {
  const httpsPort = await freePort();
  gh = await startGatehouse({
    config: {
      issuer: `https://127.0.0.1:${httpsPort}`,
      trustProxy: '127.0.0.1',
      limits: { loginPerIp: { max: 3, windowMs: 3600_000 } },
    },
  });
  direct = `http://127.0.0.1:${(gh.server.server.address() as AddressInfo).port}`;
  nginx = await startNginx((gh.server.server.address() as AddressInfo).port, { httpsPort });
  await gh.createUser('alice', PASSWORD);
  await gh.createUser('bob', PASSWORD);
});
afterAll(async () => {
  await nginx?.stop();
  await gh?.close();
});

/** A browser at one source address, talking to `base` (nginx over https by default). */
class Client {
  readonly jar = new CookieJar();
  constructor(readonly address: string, readonly base = nginx.httpsUrl, readonly extraHeaders: Record<string, string> = {}) {}

  async get(path: string): Promise<Response> {
    const res = await requestFrom(this.address, new URL(path, this.base), { method: 'GET', headers: { cookie: this.jar.header(), ...this.extraHeaders }, ca: nginx.ca });
    this.jar.store(res);
    return res;
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    const res = await requestFrom(this.address, new URL(path, this.base), {
      method: 'POST',
      headers: { cookie: this.jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: new URL(gh.url).origin, ...this.extraHeaders },
      body: new URLSearchParams(form).toString(),
      ca: nginx.ca,
    });
    this.jar.store(res);
    return res;
  }

  async signIn(login: string, password: string): Promise<Response> {
    const form = hiddenFields(await (await this.get('/login')).text());
    return this.post('/login', { ...form, login, password });
  }
}

async function lastSignIn(login: string) {
  const [entry] = await listAuditEntries(gh.ctx, { login, action: 'sign_in', limit: 1 });
  return entry;
}

describe('behind nginx with GATEHOUSE_TRUST_PROXY=127.0.0.1', { timeout: 120_000 }, () => {
  test('per-address limits count each client behind nginx, not nginx: one client using up its sign-in limit does not stop another', async () => {
    const mallory = new Client('127.0.0.2');
    for (let i = 1; i <= 3; i++) expect((await mallory.signIn(`nobody${i}`, 'guess')).status).toBe(401);
    expect((await mallory.signIn('nobody4', 'guess')).status).toBe(429);

    const bob = new Client('127.0.0.3');
    const res = await bob.signIn('bob', PASSWORD);
    expect(res.status).toBe(303);
    expect(await lastSignIn('bob')).toMatchObject({ outcome: 'ok', ip: '127.0.0.3' });
  });

  test('X-Forwarded-For a client sends is not believed: nginx appends the address it saw, and that one counts', async () => {
    // 127.0.0.2 used up its limit above; claiming to be 127.0.0.9 does not help it.
    const spoofer = new Client('127.0.0.2', nginx.httpsUrl, { 'x-forwarded-for': '127.0.0.9' });
    expect((await spoofer.signIn('alice', 'guess')).status).toBe(429);
    // Nor can another client spend 127.0.0.2's… or anyone's budget by naming them.
    const framer = new Client('127.0.0.4', nginx.httpsUrl, { 'x-forwarded-for': '127.0.0.3' });
    expect((await framer.signIn('alice', 'guess')).status).toBe(401);
    expect(await lastSignIn('alice')).toMatchObject({ outcome: 'failed', ip: '127.0.0.4' });
  });

  test('sent straight to Gatehouse by a peer that is not the trusted proxy, X-Forwarded-For and X-Forwarded-Proto are ignored', async () => {
    const sneaky = new Client('127.0.0.5', direct, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
    const res = await sneaky.signIn('alice', 'guess');
    expect(res.status).toBe(401);
    expect(await lastSignIn('alice')).toMatchObject({ outcome: 'failed', ip: '127.0.0.5' });
    // It came over plain http, whatever it claims: no HSTS on it (RFC 6797 §7.2).
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  test('https from X-Forwarded-Proto: through nginx’s TLS, Secure __Host- cookies, HSTS and the Origin check work; through nginx’s plain http there is no HSTS', async () => {
    const alice = new Client('127.0.0.6');
    const page = await alice.get('/login');
    expect(page.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    const csrf = page.headers.getSetCookie().find((c) => c.startsWith('__Host-gatehouse_csrf='));
    expect(csrf).toMatch(/; Secure/i);
    const form = hiddenFields(await page.text());
    const res = await alice.post('/login', { ...form, login: 'alice', password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().find((c) => c.startsWith('__Host-gatehouse_session='))).toMatch(/; Secure/i);
    expect(res.headers.getSetCookie().find((c) => c.startsWith('__Host-gatehouse_device='))).toMatch(/; Secure/i);
    expect(await lastSignIn('alice')).toMatchObject({ outcome: 'ok', ip: '127.0.0.6' });

    const plain = await new Client('127.0.0.7', nginx.httpUrl).get('/login');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });
});
