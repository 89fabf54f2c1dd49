/**
 * Changing an identity provider on /admin/upstreams, as the command line's
 * `gatehouse upstream update` does: the same service and checks, an empty
 * secret field keeping the secret stored, the change in the audit log; and
 * nobody but an operator, through the page's own form, may make it.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';

const PASSWORD = 'correct horse battery';
let gh: TestGatehouse;
let operator: HttpUser;

beforeAll(async () => {
  gh = await startGatehouse();
  await gh.ctx.users.create({ login: 'opal', password: PASSWORD, isAdmin: true });
  operator = new HttpUser(gh, 'opal', PASSWORD);
  await operator.signIn();
  await gh.ctx.upstreams.add({ name: 'corp', kind: 'oidc', displayName: 'Corp', issuer: 'https://sso.corp.example', clientId: 'gatehouse', clientSecret: 'first secret' }, { type: 'operator' });
});
afterAll(async () => { await gh?.close(); });

const secretOf = async () => gh.ctx.upstreams.settings((await gh.ctx.upstreams.find('corp'))!).clientSecret;

test('an operator changes a provider on /admin; an empty secret field keeps the stored secret; the audit log says what changed', async () => {
  const { csrf } = hiddenFields(await (await operator.get('/admin/upstreams')).text());
  const res = await operator.post('/admin/upstreams/update', {
    csrf: csrf!, name: 'corp', display_name: 'Corp SSO', issuer: 'https://login.corp.example', client_id: 'gatehouse-2', client_secret: '', scope: 'openid email', link_verified_email: '1',
  });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/admin/upstreams?upstream=corp&done=updated');
  const stored = (await gh.ctx.upstreams.find('corp'))!;
  expect([stored.displayName, stored.issuer, stored.clientId, stored.scope, stored.linkVerifiedEmail]).toEqual(['Corp SSO', 'https://login.corp.example', 'gatehouse-2', 'openid email', true]);
  expect(await secretOf()).toBe('first secret');
  expect(await (await operator.get('/admin/upstreams?upstream=corp&done=updated')).text()).toContain('Provider corp saved.');
  const [entry] = await gh.ctx.storage.listAudit({ action: 'upstream_updated', limit: 1 });
  expect(entry!.details.fields).toEqual(expect.arrayContaining(['displayName', 'issuer', 'clientId', 'scope', 'linkVerifiedEmail']));
  expect(JSON.stringify(entry)).not.toContain('first secret');

  const secret = await operator.post('/admin/upstreams/update', { csrf: csrf!, name: 'corp', client_secret: 'second secret' });
  expect(secret.status).toBe(303);
  expect(await secretOf()).toBe('second secret');
  // Turning "link by verified email" off is a change too: an unticked box.
  expect((await gh.ctx.upstreams.find('corp'))!.linkVerifiedEmail).toBe(false);
});

test('bad input is refused on the page with the service\'s words; nobody else may change a provider', async () => {
  const { csrf } = hiddenFields(await (await operator.get('/admin/upstreams')).text());
  const bad = await operator.post('/admin/upstreams/update', { csrf: csrf!, name: 'corp', issuer: 'javascript:alert(1)' });
  expect(bad.status).toBe(400);
  expect(await bad.text()).toContain('role="alert"');
  expect((await gh.ctx.upstreams.find('corp'))!.issuer).not.toContain('javascript');
  expect((await operator.post('/admin/upstreams/update', { csrf: csrf!, name: 'nope' })).status).toBe(404);
  expect((await operator.post('/admin/upstreams/update', { name: 'corp', display_name: 'Forged' })).status).toBe(403);

  await gh.createUser('mallory', PASSWORD);
  const mallory = new HttpUser(gh, 'mallory', PASSWORD);
  await mallory.signIn();
  const own = hiddenFields(await (await mallory.get('/account')).text()).csrf!;
  expect((await mallory.post('/admin/upstreams/update', { csrf: own, name: 'corp', display_name: 'Mallory' })).status).toBe(404);
  expect((await gh.ctx.upstreams.find('corp'))!.displayName).not.toBe('Forged');
  expect((await gh.ctx.upstreams.find('corp'))!.displayName).not.toBe('Mallory');
});
