/**
 * A user's rights over their data (GDPR articles 15, 17 and 20): the copy of
 * everything kept about them from /account, and the erasure of their account
 * with the password and a ticked box — tokens dead, personal data gone, the
 * audit entries kept without it. Over real HTTP, on both engines.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomToken, sha256Hex } from '../../src/crypto/random.js';
import type { UserId } from '../../src/types.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';
import { gatehouseCli } from '../cli/support.js';

const PASSWORD = 'correct horse battery';
const REDIRECT = 'http://127.0.0.1:9999/callback';
const clock = testClock();
let gh: TestGatehouse;
let app: { clientId: string; clientSecret: string | null };

beforeAll(async () => {
  gh = await startGatehouse({ clock });
  app = await gh.createApp({ name: 'Notes', redirectUris: [REDIRECT], scopes: ['login:info', 'login:email'] });
});
afterAll(async () => { await gh?.close(); });

/** A user signed in on a browser who gave the app access: the tokens it got. */
async function userWithTokens(login: string) {
  const created = await gh.createUser(login, PASSWORD, { email: `${login}@mail.example`, firstName: 'Vera' });
  const person = new HttpUser(gh, login, PASSWORD);
  const code = await person.code({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT });
  const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { authorization: basicAuth(app.clientId, app.clientSecret!) });
  const tokens = (await res.json()) as { access_token: string; refresh_token: string };
  expect(res.status).toBe(200);
  return { id: created.id, person, ...tokens };
}

async function csrfOf(person: HttpUser): Promise<string> {
  return hiddenFields(await (await person.get('/account')).text()).csrf!;
}

describe('the copy of a user\'s data', () => {
  test('holds the profile, the apps with access, sessions and the audit entries, and no secret', async () => {
    const vera = await userWithTokens('vera');
    const res = await vera.person.post('/account/data', { csrf: await csrfOf(vera.person) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="account-vera-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    const data = JSON.parse(text) as Record<string, any>;
    expect(data.account).toMatchObject({ id: vera.id, login: 'vera', first_name: 'Vera', emails: [{ address: 'vera@mail.example', confirmed: true, default: true }] });
    expect(data.apps_with_access).toEqual([expect.objectContaining({ client_id: app.clientId, name: 'Notes', scopes: ['login:info', 'login:email'] })]);
    expect(data.sessions).toHaveLength(1);
    expect(data.audit_log.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['sign_in', 'consent', 'token_issued']));
    // Nothing that would let the file's reader act as the user.
    for (const secret of [vera.access_token, vera.refresh_token, PASSWORD, '$argon2']) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/password_hash|passwordHash/);
    // Downloading it is itself recorded.
    expect((await gh.ctx.storage.listAudit({ userId: vera.id as UserId, action: 'data_exported' }))).toHaveLength(1);
  });

  test('is given only to the signed-in user, and only through the page\'s own form (CSRF)', async () => {
    const wanda = await userWithTokens('wanda');
    const forged = await wanda.person.post('/account/data', {});
    expect(forged.status).toBe(403);
    expect(await forged.text()).not.toContain('wanda@mail.example');
    const stranger = await postForm(`${gh.url}/account/data`, { csrf: 'x' });
    expect(stranger.status).toBeGreaterThanOrEqual(300);
    expect(stranger.status).toBeLessThan(500);
    expect(await stranger.text()).not.toContain('wanda');
  });
});

describe('deleting an account', () => {
  test('needs the password and the ticked box; without either nothing is deleted', async () => {
    const xenia = await userWithTokens('xenia');
    const csrf = await csrfOf(xenia.person);
    const wrong = await xenia.person.post('/account/delete', { csrf, current_password: 'not it at all', understood: 'yes' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('The current password is incorrect.');
    const unticked = await xenia.person.post('/account/delete', { csrf, current_password: PASSWORD });
    expect(unticked.status).toBe(400);
    expect(await unticked.text()).toContain('Tick the box');
    const forged = await xenia.person.post('/account/delete', { current_password: PASSWORD, understood: 'yes' });
    expect(forged.status).toBe(403);
    expect(await gh.ctx.storage.findUserById(xenia.id as UserId)).not.toBeNull();
    const info = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${xenia.access_token}` } });
    expect(info.status).toBe(200);
  });

  test('ends every token and session, erases the account, and keeps the audit entries without personal data', async () => {
    const yana = await userWithTokens('yana');
    const elsewhere = new HttpUser(gh, 'yana', PASSWORD);
    await elsewhere.signIn();
    const res = await yana.person.post('/account/delete', { csrf: await csrfOf(yana.person), current_password: PASSWORD, understood: 'yes' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account/deleted');
    const done = await yana.person.get('/account/deleted');
    expect(await done.text()).toContain('Your account is deleted');

    // Tokens, sessions and the sign-in are gone.
    const info = await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${yana.access_token}` } });
    expect(info.status).toBe(401);
    const refresh = await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: yana.refresh_token }, { authorization: basicAuth(app.clientId, app.clientSecret!) });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await elsewhere.get('/account')).status).toBe(302);
    const again = new HttpUser(gh, 'yana', PASSWORD);
    await expect(again.signIn()).rejects.toThrow(/failed/);

    // The row and everything on it are gone; the audit entries stay, with nothing that names her.
    expect(await gh.ctx.storage.findUserById(yana.id as UserId)).toBeNull();
    expect(await gh.ctx.storage.mail.listMails({ userId: yana.id as UserId })).toEqual([]);
    const entries = await gh.ctx.storage.listAudit({ userId: yana.id as UserId, limit: 1000 });
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['sign_in', 'consent', 'token_issued', 'user_deleted']));
    const kept = JSON.stringify(entries);
    for (const personal of ['yana', 'yana@mail.example', '127.0.0.1']) expect(kept).not.toContain(personal);
    expect(entries.find((e) => e.action === 'user_deleted')!.details).toEqual({ by: 'user' });
  });

  test('an operator cannot delete their own account, and a developer not while they own apps', async () => {
    await gh.ctx.users.create({ login: 'olga', password: PASSWORD, isAdmin: true });
    const olga = new HttpUser(gh, 'olga', PASSWORD);
    await olga.signIn();
    const refused = await olga.post('/account/delete', { csrf: await csrfOf(olga), current_password: PASSWORD, understood: 'yes' });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('Operators cannot delete their own account');

    const dev = await gh.ctx.users.create({ login: 'dora', password: PASSWORD, isDeveloper: true });
    await gh.createApp({ name: 'Dora\'s Diary', ownerId: dev.id });
    const dora = new HttpUser(gh, 'dora', PASSWORD);
    await dora.signIn();
    const owns = await dora.post('/account/delete', { csrf: await csrfOf(dora), current_password: PASSWORD, understood: 'yes' });
    expect(owns.status).toBe(409);
    expect(await owns.text()).toContain('Dora&#39;s Diary');
    expect(await gh.ctx.storage.findUserByLogin('olga')).not.toBeNull();
    expect(await gh.ctx.storage.findUserById(dev.id)).not.toBeNull();
  });

  test('a stolen session cannot delete the account: the password goes through the sign-in limits', async () => {
    const zoe = await userWithTokens('zoe');
    const csrf = await csrfOf(zoe.person);
    let limited = 0;
    for (let i = 0; i < 40 && limited === 0; i++) {
      const res = await zoe.person.post('/account/delete', { csrf, current_password: `guess ${i}`, understood: 'yes' });
      if (res.status === 429) limited++;
      else expect(res.status).toBe(400);
    }
    expect(limited).toBe(1);
    expect(await gh.ctx.storage.findUserById(zoe.id as UserId)).not.toBeNull();
  });
});

describe('an account made through another identity provider, with no password', () => {
  /** A browser signed in `minutesAgo` (as the upstream's callback signs in), by a session made directly. */
  async function sessionOf(userId: UserId, minutesAgo: number): Promise<HttpUser> {
    const id = randomToken(32);
    const at = gh.ctx.clock() - minutesAgo * 60_000;
    await gh.ctx.storage.createSession({ hash: sha256Hex(id), userId, authTime: at, amr: ['fed'], createdAt: at, lastSeenAt: at, expiresAt: at + 86_400_000, userAgent: null, ip: null });
    const person = new HttpUser(gh, 'nobody', '');
    person.jar.set('gatehouse_session', id);
    return person;
  }

  test('is deleted only after a sign-in of the last ten minutes, which stands in for the password', async () => {
    const fed = await gh.ctx.users.create({ login: 'fed.erica', password: null });
    const stale = await sessionOf(fed.id, 30);
    const page = await (await stale.get('/account')).text();
    expect(page).toContain('Your account has no password');
    expect(page).not.toContain('id="delete_password"');
    const refused = await stale.post('/account/delete', { csrf: hiddenFields(page).csrf!, understood: 'yes' });
    expect(refused.status).toBe(403);
    expect(await gh.ctx.storage.findUserById(fed.id)).not.toBeNull();
    const fresh = await sessionOf(fed.id, 2);
    const done = await fresh.post('/account/delete', { csrf: await csrfOf(fresh), understood: 'yes' });
    expect(done.status).toBe(303);
    expect(await gh.ctx.storage.findUserById(fed.id)).toBeNull();
  });
});

describe('gatehouse user delete', () => {
  test('erases the account after --yes; the apps it owned stay, with no owner', { timeout: 120_000 }, async () => {
    await gh.close();
    gh = await startGatehouse({ clock });
    const dev = await gh.ctx.users.create({ login: 'ursula', password: PASSWORD, isDeveloper: true });
    const owned = await gh.createApp({ name: 'Ursula\'s Maps', ownerId: dev.id });
    const env: Record<string, string> = { GATEHOUSE_DATA_DIR: gh.dataDir, ...(gh.ctx.config.databaseUrl ? { GATEHOUSE_DATABASE_URL: gh.ctx.config.databaseUrl } : {}) };
    const without = await gatehouseCli(env, ['user', 'delete', 'ursula']);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('add --yes');
    const erased = await gatehouseCli(env, ['user', 'delete', 'ursula', '--yes', '--json']);
    expect(erased.code, erased.stderr).toBe(0);
    expect(JSON.parse(erased.stdout)).toEqual({ id: dev.id, login: 'ursula', apps_without_owner: ["Ursula's Maps"] });
    expect(await gh.ctx.storage.findUserByLogin('ursula')).toBeNull();
    expect((await gh.ctx.storage.findApp(owned.app.clientId))?.ownerId).toBeNull();
  });
});
