/**
 * HEAD on any address answers as GET does there — the same status and headers, Content-Length of the body
 * GET sends — and without a body; Gatehouse routes it through the GET route rather than a HEAD twin of each
 * (src/http/head.ts). Everything after the router sees HEAD: the handlers, the access log, the metrics.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

let gh: TestGatehouse;
beforeAll(async () => {
  gh = await startGatehouse();
});
afterAll(async () => {
  await gh?.close();
});

/** One request on a connection of its own: status, headers, and the bytes that came after the headers. */
function raw(method: 'GET' | 'HEAD', path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, gh.url), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** What differs from one answer to the next whatever the method: the time, and fresh random values. */
const comparable = (headers: Record<string, unknown>) => {
  const { date: _date, 'set-cookie': cookies, ...rest } = headers;
  return { ...rest, 'set-cookie': (cookies as string[] | undefined)?.map((c) => c.replace(/=[^;]*/, '=…')) };
};

test.each([
  ['/healthz', {}],
  ['/.well-known/openid-configuration', {}],
  ['/jwks', {}],
  ['/login', { accept: 'text/html' }],
  ['/login?lang=ru', { accept: 'text/html' }],
  ['/assets/organisation.css', {}],
  ['/no-such-page', { accept: 'text/html' }],
  ['/no-such-page', {}],
  // Only POST is routed here: no GET, so no HEAD either.
  ['/token', {}],
  ['/api/v1/users', {}],
])('HEAD %s answers as GET, without a body', async (path, headers) => {
  const get = await raw('GET', path, headers);
  const head = await raw('HEAD', path, headers);
  expect(head.status).toBe(get.status);
  expect(head.body.length).toBe(0);
  expect(comparable(head.headers)).toEqual(comparable(get.headers));
  if (get.headers['transfer-encoding'] === undefined) expect(Number(head.headers['content-length'])).toBe(get.body.length);
});

test('the metrics count HEAD requests as HEAD, under the GET route', async () => {
  await raw('HEAD', '/jwks');
  const metrics = await (await fetch(`${gh.url}/metrics`)).text();
  expect(metrics).toMatch(/gatehouse_http_requests_total\{route="\/jwks",method="HEAD",status="200"\} [1-9]/);
});
