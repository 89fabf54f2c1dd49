/** GET /metrics (docs/protocol.md §12): Prometheus text with requests, latencies, tokens by grant, sign-ins and limit refusals. */
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Metrics } from '../../src/http/metrics.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, postForm } from '../helpers/http-client.js';

let gh: TestGatehouse;
beforeAll(async () => {
  gh = await startGatehouse();
});
afterAll(async () => {
  await gh?.close();
});

test('counts requests by route pattern, tokens by grant and sign-ins by result, never raw URLs', async () => {
  const { clientId, clientSecret } = await gh.createApp();
  const user = await gh.createUser('metered');
  const person = new HttpUser(gh, user.login, user.password);
  await person.signIn();
  const wrong = new HttpUser(gh, user.login, 'not the password');
  await expect(wrong.signIn()).rejects.toThrow(/401/);
  await postForm(`${gh.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(clientId, clientSecret!) });
  await fetch(`${gh.url}/authorize?client_id=${clientId}&state=secret-state-value`, { redirect: 'manual' });

  const res = await fetch(`${gh.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  expect(text).toMatch(/gatehouse_http_requests_total\{route="\/token",method="POST",status="200"\} 1/);
  expect(text).toMatch(/gatehouse_tokens_issued_total\{grant="client_credentials"\} 1/);
  expect(text).toMatch(/gatehouse_sign_ins_total\{result="ok"\} 1/);
  expect(text).toMatch(/gatehouse_sign_ins_total\{result="failed"\} 1/);
  expect(text).toMatch(/gatehouse_http_request_duration_seconds_bucket\{le="[0-9.]+",route="\/authorize"\}/);
  expect(text).toMatch(/gatehouse_nodejs_eventloop_lag_seconds/);
  expect(text).not.toContain('secret-state-value');
  expect(text).not.toContain(clientSecret!);
});

test("the hand-counted series read exactly as prom-client's own counter and histogram fed the same requests, also after a reset", async () => {
  const metrics = new Metrics();
  const registry = new Registry();
  const requests = new Counter({ name: 'gatehouse_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'gatehouse_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  const issued = new Counter({ name: 'gatehouse_tokens_issued_total', help: 'Token responses by grant type', labelNames: ['grant'], registers: [registry] });
  // Bounds exactly, between them, above the last, zero; several routes, methods and statuses.
  const seen: Array<[string, string, number, number, unknown?]> = [
    ['/info', 'GET', 200, 0.0005], ['/info', 'GET', 200, 0.00051], ['/info', 'GET', 401, 0.003], ['/info', 'POST', 200, 0],
    ['/token', 'POST', 200, 0.0123, { grant_type: 'client_credentials' }], ['/token', 'POST', 200, 2.5, { grant_type: 'refresh_token' }],
    ['/token', 'POST', 400, 7, { grant_type: 'password' }], ['/token', 'POST', 200, 0.04, { grant_type: 'x'.repeat(70) }],
    ['/authorize', 'GET', 302, 1], ['/info', 'GET', 200, 0.1],
  ];
  for (const [route, method, status, seconds, body] of seen) {
    metrics.observe(route, method, status, seconds, body);
    requests.inc({ route, method, status: String(status) });
    latency.observe({ route }, seconds);
    if (route === '/token' && status === 200) {
      const grant = (body as { grant_type: string }).grant_type;
      issued.inc({ grant: grant.length < 60 ? grant : 'unknown' });
    }
  }
  for (const name of ['gatehouse_http_requests_total', 'gatehouse_http_request_duration_seconds', 'gatehouse_tokens_issued_total']) {
    expect(await metrics.registry.getSingleMetricAsString(name)).toBe(await registry.getSingleMetricAsString(name));
  }
  // A second reading counts on from the first, as prom-client's would.
  metrics.observe('/info', 'GET', 200, 0.002);
  requests.inc({ route: '/info', method: 'GET', status: '200' });
  latency.observe({ route: '/info' }, 0.002);
  expect(await metrics.registry.getSingleMetricAsString('gatehouse_http_requests_total')).toBe(await registry.getSingleMetricAsString('gatehouse_http_requests_total'));
  expect(await metrics.registry.getSingleMetricAsString('gatehouse_http_request_duration_seconds')).toBe(await registry.getSingleMetricAsString('gatehouse_http_request_duration_seconds'));
  // Reset, then counted again: from nothing, as prom-client's are; a route seen only before the reset is gone.
  metrics.registry.resetMetrics();
  registry.resetMetrics();
  for (const [route, method, status, seconds, body] of [['/token', 'POST', 200, 0.003, { grant_type: 'client_credentials' }], ['/info', 'GET', 200, 0.0007]] as const) {
    metrics.observe(route, method, status, seconds, body);
    requests.inc({ route, method, status: String(status) });
    latency.observe({ route }, seconds);
    if (body) issued.inc({ grant: body.grant_type });
  }
  for (const name of ['gatehouse_http_requests_total', 'gatehouse_http_request_duration_seconds', 'gatehouse_tokens_issued_total']) {
    expect(await metrics.registry.getSingleMetricAsString(name)).toBe(await registry.getSingleMetricAsString(name));
  }
  // The whole exposition keeps prom-client's order of metrics.
  const names = [...(await metrics.registry.metrics()).matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
  expect(names.slice(0, 5)).toEqual(['gatehouse_http_requests_total', 'gatehouse_http_request_duration_seconds', 'gatehouse_tokens_issued_total', 'gatehouse_sign_ins_total', 'gatehouse_rate_limited_total']);
});
