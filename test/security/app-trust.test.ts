/**
 * What a self-registered developer may not do to the provider's trust:
 *
 * - claim the provider's own domain for their app. The association files on
 *   the issuer host (`/.well-known/assetlinks.json`, Digital Asset Links'
 *   `handle_all_urls`; `/.well-known/apple-app-site-association`, Universal
 *   Links and `webcredentials`) list only apps an operator marked first-party;
 *   a third-party app is listed on its own host `yx<client_id>.<issuer host>`
 *   alone, where its App Link redirect URIs live, and never in
 *   `webcredentials` (saved Gatehouse passwords). Only an operator sets the
 *   mark (CLI or /admin); a developer's console form cannot.
 * - lift an operator's block. Who blocked an app is stored on the app; an
 *   operator's block is lifted only by an operator, whatever the owner does on
 *   /console in between.
 *
 * Everything goes through real HTTP (and the built CLI) against a real
 * Gatehouse whose issuer is https://id.example.org, reached on its loopback
 * port with the Host header a phone's verifier or a browser would send.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClientId } from '../../src/types.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ISSUER_HOST = 'id.example.org';
const PASSWORD = 'correct horse battery';
const FP = '14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5';

let gh: TestGatehouse;
/** The same Gatehouse, addressed on its loopback port (the issuer's name does not resolve here). */
let local: TestGatehouse;
let port: number;

beforeAll(async () => {
  gh = await startGatehouse({ config: { issuer: `https://${ISSUER_HOST}` } });
  port = (gh.server.server.address() as { port: number }).port;
  local = { ...gh, url: `http://127.0.0.1:${port}` };
});
afterAll(async () => {
  await gh?.close();
});

/** GET `path` with `Host: host`, as Android's and Apple's verifiers fetch association files. */
function getOnHost(host: string, pathname: string): Promise<{ status: number; type: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: JSON.parse(text) });
        } catch (err) {
          reject(new Error(`${pathname} on ${host} answered ${res.statusCode}: ${text.slice(0, 300)}`, { cause: err }));
        }
      });
    });
    req.on('error', reject);
  });
}

interface Associations {
  packages: string[];
  relations: string[];
  appLinks: string[];
  webcredentials: string[];
}

/** Both association files of one host, reduced to what they grant. */
async function associations(host: string): Promise<Associations> {
  const android = await getOnHost(host, '/.well-known/assetlinks.json');
  const apple = await getOnHost(host, '/.well-known/apple-app-site-association');
  expect(android.status).toBe(200);
  expect(apple.status).toBe(200);
  expect(android.type).toMatch(/^application\/json/);
  expect(apple.type).toMatch(/^application\/json/);
  const statements = android.body as Array<{ relation: string[]; target: { package_name: string } }>;
  const aasa = apple.body as { applinks: { details: Array<{ appID: string }> }; webcredentials: { apps: string[] } };
  return {
    packages: statements.map((s) => s.target.package_name).sort(),
    relations: [...new Set(statements.flatMap((s) => s.relation))],
    appLinks: aasa.applinks.details.map((d) => d.appID).sort(),
    webcredentials: [...aasa.webcredentials.apps].sort(),
  };
}

const perAppHost = (clientId: string) => `yx${clientId}.${ISSUER_HOST}`;

/** A form's CSRF token, from a page of the console or /admin the user can open. */
async function csrfOf(user: HttpUser, pathname: string): Promise<string> {
  const res = await user.get(pathname);
  expect(res.status, pathname).toBe(200);
  return hiddenFields(await res.text()).csrf!;
}

/** `gatehouse …` (the built CLI) on this Gatehouse's database, as an operator runs it. */
function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['dist/cli/main.js', ...args], {
    cwd: ROOT, encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '', GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_ISSUER: `https://${ISSUER_HOST}`,
      GATEHOUSE_DATABASE_URL: gh.ctx.config.databaseUrl, GATEHOUSE_LOG_LEVEL: 'silent',
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A mobile app registered by a developer on /console, as anyone who signs up may; its client_id. */
async function registerOnConsole(dev: HttpUser, name: string, pkg: string, appId: string, extra: Record<string, string> = {}): Promise<string> {
  const csrf = await csrfOf(dev, '/console/apps/new');
  const res = await dev.post('/console/apps/new', {
    csrf, name, platform: 'ios android', 'scope:login:info': 'required', ttl: '3600', id_token_alg: 'ES256',
    ios_app_id: appId, android_package: pkg, android_fingerprints: FP, ...extra,
  });
  expect(res.status, (await res.text()).slice(0, 500)).toBe(303);
  const clientId = /^\/console\/apps\/([0-9a-f]{32})\?done=created$/.exec(res.headers.get('location') ?? '')?.[1];
  expect(clientId).toBeDefined();
  return clientId!;
}

describe('app links on the issuer host', () => {
  let mallory: HttpUser;
  let operator: HttpUser;
  let phish: string;
  let other: string;
  let official: string;

  beforeAll(async () => {
    await gh.createUser('mallory', PASSWORD);
    await gh.ctx.users.create({ login: 'opal', password: PASSWORD, isAdmin: true });
    mallory = new HttpUser(local, 'mallory', PASSWORD);
    operator = new HttpUser(local, 'opal', PASSWORD);
    await Promise.all([mallory.signIn(), operator.signIn()]);
    phish = await registerOnConsole(mallory, 'Totally Gatehouse', 'org.evil.phish', 'EVILTEAM99.org.evil.phish');
    other = await registerOnConsole(mallory, 'Another app', 'org.evil.other', 'EVILTEAM99.org.evil.other');
    official = (await gh.createApp({
      name: 'Gatehouse for Android and iOS', redirectUris: [],
      platforms: [{ type: 'android', packageName: 'org.example.official', sha256Fingerprints: [FP] }, { type: 'ios', appId: 'ABCDE12345.org.example.official' }],
    })).clientId;
  }, 120_000);

  test('a self-registered app is listed on neither association file of the issuer host (no handle_all_urls, no webcredentials)', async () => {
    expect(await associations(ISSUER_HOST)).toEqual({ packages: [], relations: [], appLinks: [], webcredentials: [] });
    // Any other Host (the loopback address, a name nobody configured) answers like the issuer host.
    expect(await associations(`127.0.0.1:${port}`)).toEqual({ packages: [], relations: [], appLinks: [], webcredentials: [] });
  });

  test('the per-app host yx<client_id>.<issuer host> lists that app alone, and never in webcredentials', async () => {
    expect(await associations(perAppHost(phish))).toEqual({
      packages: ['org.evil.phish'], relations: ['delegate_permission/common.handle_all_urls'],
      appLinks: ['EVILTEAM99.org.evil.phish'], webcredentials: [],
    });
    // The Host header's letter case does not matter; an unknown or malformed client_id lists nothing.
    expect((await associations(perAppHost(other).toUpperCase())).packages).toEqual(['org.evil.other']);
    expect(await associations(perAppHost('0'.repeat(32)))).toEqual({ packages: [], relations: [], appLinks: [], webcredentials: [] });
    expect(await associations(`yx${phish}x.${ISSUER_HOST}`)).toEqual({ packages: [], relations: [], appLinks: [], webcredentials: [] });
    expect(await associations(`yx${phish}.evil.${ISSUER_HOST}`)).toEqual({ packages: [], relations: [], appLinks: [], webcredentials: [] });
  });

  test('a developer\'s forged console POST with first_party=1 is ignored, on create and on edit', async () => {
    const forged = await registerOnConsole(mallory, 'Forged', 'org.evil.forged', 'EVILTEAM99.org.evil.forged', { first_party: '1', firstParty: 'true' });
    const csrf = await csrfOf(mallory, `/console/apps/${phish}/edit`);
    const edit = await mallory.post(`/console/apps/${phish}/edit`, {
      csrf, name: 'Totally Gatehouse', platform: 'ios android', 'scope:login:info': 'required', ttl: '3600', id_token_alg: 'ES256',
      ios_app_id: 'EVILTEAM99.org.evil.phish', android_package: 'org.evil.phish', android_fingerprints: FP, first_party: '1', firstParty: 'true',
    });
    expect(edit.status).toBe(303);
    expect((await gh.ctx.storage.findApp(forged as ClientId))!.firstParty).toBe(false);
    expect((await gh.ctx.storage.findApp(phish as ClientId))!.firstParty).toBe(false);
    expect(await associations(ISSUER_HOST)).toEqual({ packages: [], relations: [], appLinks: [], webcredentials: [] });
    // /admin's form is not the developer's either: the same 404 as a missing page.
    const adminForm = await mallory.post(`/admin/apps/${phish}/first-party`, { csrf, confirmed: 'yes' });
    expect(adminForm.status).toBe(404);
    expect((await gh.ctx.storage.findApp(phish as ClientId))!.firstParty).toBe(false);
  });

  test('an operator marks an app first-party with gatehouse app update --first-party: it alone is listed on the issuer host, webcredentials included; --no-first-party takes it back', async () => {
    const marked = cli(['app', 'update', official, '--first-party', '--json']);
    expect(marked.stderr).toBe('');
    expect(marked.status).toBe(0);
    expect(JSON.parse(marked.stdout)).toMatchObject({ client_id: official, first_party: true });
    expect(await associations(ISSUER_HOST)).toEqual({
      packages: ['org.example.official'], relations: ['delegate_permission/common.handle_all_urls'],
      appLinks: ['ABCDE12345.org.example.official'], webcredentials: ['ABCDE12345.org.example.official'],
    });
    // On its own host too, webcredentials included; the third-party apps stay on theirs.
    expect((await associations(perAppHost(official))).webcredentials).toEqual(['ABCDE12345.org.example.official']);
    expect((await associations(perAppHost(phish))).webcredentials).toEqual([]);
    const audit = await gh.ctx.storage.listAudit({ clientId: official as ClientId, action: 'app_updated', limit: 1 });
    expect(audit[0]).toMatchObject({ actorType: 'operator', details: { fields: ['firstParty'] } });

    const unmarked = cli(['app', 'update', official, '--no-first-party', '--json']);
    expect(unmarked.status).toBe(0);
    expect(JSON.parse(unmarked.stdout)).toMatchObject({ first_party: false });
    expect(await associations(ISSUER_HOST)).toEqual({ packages: [], relations: [], appLinks: [], webcredentials: [] });
  });

  test('an operator marks an app first-party on /admin through a CSRF-protected form, audited, and takes the mark back', async () => {
    const csrf = await csrfOf(operator, '/admin/apps');
    expect((await operator.post(`/admin/apps/${official}/first-party`, { confirmed: 'yes' })).status).toBe(403);
    expect((await gh.ctx.storage.findApp(official as ClientId))!.firstParty).toBe(false);
    // Asked first: the mark hands the provider's own domain to the app.
    const asked = await operator.post(`/admin/apps/${official}/first-party`, { csrf });
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('name="confirmed" value="yes"');
    expect((await gh.ctx.storage.findApp(official as ClientId))!.firstParty).toBe(false);
    const done = await operator.post(`/admin/apps/${official}/first-party`, { csrf, confirmed: 'yes' });
    expect(done.status).toBe(303);
    expect((await associations(ISSUER_HOST)).packages).toEqual(['org.example.official']);
    const page = await (await operator.get(`/admin/apps?q=${official}`)).text();
    expect(page).toContain('First-party');
    const opal = (await gh.ctx.storage.findUserByLogin('opal'))!;
    const audit = await gh.ctx.storage.listAudit({ clientId: official as ClientId, action: 'app_updated', limit: 1 });
    expect(audit[0]).toMatchObject({ actorType: 'user', actorId: opal.id, details: { firstParty: true, by: 'operator' } });

    expect((await operator.post(`/admin/apps/${official}/third-party`, { csrf })).status).toBe(303);
    expect((await gh.ctx.storage.findApp(official as ClientId))!.firstParty).toBe(false);
    expect(await associations(ISSUER_HOST)).toEqual({ packages: [], relations: [], appLinks: [], webcredentials: [] });
  });
});

describe('an operator\'s block', () => {
  let owner: HttpUser;
  let operator: HttpUser;
  let clientId: string;
  let secret: string;

  beforeAll(async () => {
    const olga = await gh.ctx.users.create({ login: 'olga', password: PASSWORD, isDeveloper: true });
    await gh.ctx.users.create({ login: 'oscar', password: PASSWORD, isAdmin: true });
    owner = new HttpUser(local, 'olga', PASSWORD);
    operator = new HttpUser(local, 'oscar', PASSWORD);
    await Promise.all([owner.signIn(), operator.signIn()]);
    const created = await gh.createApp({ name: 'Olga’s Shop', ownerId: olga.id });
    clientId = created.clientId;
    secret = created.clientSecret!;
  }, 120_000);

  /** The app's own credentials at /token: `unauthorized_client` while it is blocked. */
  async function tokenError(): Promise<string> {
    const res = await postForm(`${local.url}/token`, { grant_type: 'authorization_code', code: 'no-such-code' }, { authorization: basicAuth(clientId, secret) });
    return ((await res.json()) as { error: string }).error;
  }

  async function ownerPost(action: 'block' | 'unblock'): Promise<Response> {
    const csrf = await csrfOf(owner, `/console/apps/${clientId}`);
    return owner.post(`/console/apps/${clientId}/${action}`, { csrf, confirmed: 'yes' });
  }

  async function operatorPost(action: 'block' | 'unblock'): Promise<Response> {
    const csrf = await csrfOf(operator, '/admin/apps');
    return operator.post(`/admin/apps/${clientId}/${action}`, { csrf, confirmed: 'yes' });
  }

  const status = async () => (await gh.ctx.storage.findApp(clientId as ClientId))!;

  test('an owner who blocks after an operator\'s block, then unblocks, leaves the app blocked (the console says an operator blocked it)', async () => {
    expect((await operatorPost('block')).status).toBe(303);
    expect(await status()).toMatchObject({ status: 'blocked', blockedBy: 'operator' });
    // The owner blocks too (their latest action is now a block of their own)...
    expect((await ownerPost('block')).status).toBe(303);
    expect(await status()).toMatchObject({ status: 'blocked', blockedBy: 'operator' });
    // ...and then tries to lift it.
    const refused = await ownerPost('unblock');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('The operator blocked this app; only the operator can unblock it.');
    expect(await status()).toMatchObject({ status: 'blocked', blockedBy: 'operator' });
    expect(await tokenError()).toBe('unauthorized_client');
    const page = await (await owner.get(`/console/apps/${clientId}`)).text();
    expect(page).toContain('The operator blocked this app');
    expect(page).not.toContain(`action="/console/apps/${clientId}/unblock"`);
  });

  test('an operator\'s block is lifted by an operator', async () => {
    expect((await operatorPost('unblock')).status).toBe(303);
    expect(await status()).toMatchObject({ status: 'active', blockedBy: null });
    expect(await tokenError()).toBe('invalid_grant');
  });

  test('the owner\'s own block is lifted by the owner, and by an operator', async () => {
    expect((await ownerPost('block')).status).toBe(303);
    expect(await status()).toMatchObject({ status: 'blocked', blockedBy: 'owner' });
    expect(await (await owner.get(`/console/apps/${clientId}`)).text()).toContain(`action="/console/apps/${clientId}/unblock"`);
    expect((await ownerPost('unblock')).status).toBe(303);
    expect(await status()).toMatchObject({ status: 'active', blockedBy: null });

    expect((await ownerPost('block')).status).toBe(303);
    // The operator sees whose block they would lift.
    expect(await (await operator.get(`/admin/apps?q=${clientId}`)).text()).toContain('blocked by its owner');
    expect((await operatorPost('unblock')).status).toBe(303);
    expect(await status()).toMatchObject({ status: 'active', blockedBy: null });
  });

  test('an operator who blocks after the owner\'s block makes it the operator\'s, which the owner cannot lift', async () => {
    expect((await ownerPost('block')).status).toBe(303);
    expect((await operatorPost('block')).status).toBe(303);
    expect(await status()).toMatchObject({ status: 'blocked', blockedBy: 'operator' });
    expect((await ownerPost('unblock')).status).toBe(403);
    expect(await status()).toMatchObject({ status: 'blocked', blockedBy: 'operator' });
  });

  test('gatehouse app update --status blocks as an operator and lifts any block', async () => {
    expect(cli(['app', 'update', clientId, '--status', 'active']).status).toBe(0);
    expect(await status()).toMatchObject({ status: 'active', blockedBy: null });
    expect(cli(['app', 'update', clientId, '--status', 'blocked']).status).toBe(0);
    expect(await status()).toMatchObject({ status: 'blocked', blockedBy: 'operator' });
    expect((await ownerPost('unblock')).status).toBe(403);
    expect(await status()).toMatchObject({ status: 'blocked', blockedBy: 'operator' });
    expect(cli(['app', 'update', clientId, '--status', 'active']).status).toBe(0);
    expect(await status()).toMatchObject({ status: 'active', blockedBy: null });
  });
});
