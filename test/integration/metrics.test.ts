/** GET /metrics (docs/protocol.md §12): Prometheus text with requests, latencies, tokens by grant, sign-ins and limit refusals. */
import { afterAll, beforeAll, expect, test } from 'vitest';
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
