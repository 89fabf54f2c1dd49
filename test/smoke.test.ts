import { afterAll, beforeAll, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from './helpers/gatehouse.js';

let gh: TestGatehouse;
beforeAll(async () => { gh = await startGatehouse(); });
afterAll(async () => { await gh?.close(); });

test('code flow over plain HTTP', async () => {
  const user = await gh.createUser('alice', 'correct horse battery', { firstName: 'Alice', email: 'alice@example.org' });
  const { clientId, clientSecret } = await gh.createApp();
  const authorize = `/authorize?response_type=code&client_id=${clientId}&state=xyz`;
  let res = await fetch(gh.url + authorize, { redirect: 'manual' });
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toMatch(/^\/login\?/);
  res = await fetch(gh.url + res.headers.get('location'), { redirect: 'manual' });
  const csrfCookie = res.headers.getSetCookie().find((c) => c.startsWith('gatehouse_csrf='))!.split(';')[0]!;
  const html = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  res = await fetch(gh.url + '/login', {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ csrf, login: 'alice', password: user.password, return_to: authorize }),
  });
  expect(res.status).toBe(303);
  const session = res.headers.getSetCookie().find((c) => c.startsWith('gatehouse_session='))!.split(';')[0]!;
  const cookies = `${csrfCookie}; ${session}`;
  res = await fetch(gh.url + authorize, { headers: { cookie: cookies }, redirect: 'manual' });
  expect(res.status).toBe(200);
  const consent = await res.text();
  const hidden = Object.fromEntries([...consent.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));
  res = await fetch(gh.url + '/authorize', {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
    body: new URLSearchParams({ ...hidden, decision: 'allow' }),
  });
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get('location')!);
  expect(location.searchParams.get('state')).toBe('xyz');
  expect(location.searchParams.get('iss')).toBe(gh.url);
  const code = location.searchParams.get('code')!;
  res = await fetch(gh.url + '/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from(`${clientId}:${clientSecret}`).toString('base64') },
    body: new URLSearchParams({ grant_type: 'authorization_code', code }),
  });
  const tokens = await res.json();
  expect(res.status, JSON.stringify(tokens)).toBe(200);
  res = await fetch(gh.url + '/info?format=json', { headers: { authorization: `OAuth ${tokens.access_token}` } });
  const info = await res.json();
  expect(info).toMatchObject({ login: 'alice', first_name: 'Alice', default_email: 'alice@example.org', client_id: clientId });
  res = await fetch(gh.url + '/info?format=jwt', { headers: { authorization: `OAuth ${tokens.access_token}` } });
  expect(res.status).toBe(200);
  res = await fetch(gh.url + '/info?format=xml', { headers: { authorization: `OAuth ${tokens.access_token}` } });
  console.log(await res.text());
});
