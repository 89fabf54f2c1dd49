/**
 * Passkeys over real HTTP, attacked as an outsider would (issue 16): a
 * software authenticator (test/helpers/soft-authenticator.ts) signs real
 * assertions, and lies where an attacker's browser would. Runs on SQLite and
 * PostgreSQL (the challenges' single use is the database's atomicity).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { sha256Hex } from '../../src/crypto/random.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import { SoftAuthenticator, type Lies } from '../helpers/soft-authenticator.js';
import { enrol } from '../helpers/two-step.js';

let gh: TestGatehouse;

beforeAll(async () => {
  // WebAuthn takes no IP address as an RP ID: the issuer is http://localhost:<port>.
  gh = await startGatehouse({ issuerHost: 'localhost' });
});
afterAll(async () => {
  await gh?.close();
});

/** A browser with nobody signed in. */
const anonymous = () => new HttpUser(gh, '', '');

async function signedIn(): Promise<HttpUser & { id: string }> {
  const user = await gh.createUser();
  const browser = new HttpUser(gh, user.login, user.password);
  await browser.signIn();
  return Object.assign(browser, { id: user.id });
}

async function csrfOf(browser: HttpUser, path: string): Promise<Record<string, string>> {
  const res = await browser.get(path);
  expect(res.status, path).toBe(200);
  return hiddenFields(await res.text());
}

async function registrationOptions(browser: HttpUser): Promise<{ csrf: string; options: PublicKeyCredentialCreationOptionsJSON }> {
  const { csrf } = await csrfOf(browser, '/account');
  const res = await browser.post('/account/passkeys/options', { csrf: csrf! });
  expect(res.status).toBe(200);
  return { csrf: csrf!, options: (await res.json()) as PublicKeyCredentialCreationOptionsJSON };
}

/** Adds a passkey on /account the way the page does; returns the redirect. */
async function addPasskey(browser: HttpUser, authenticator: SoftAuthenticator, name = 'Laptop', lies: Lies = {}): Promise<Response> {
  const { csrf, options } = await registrationOptions(browser);
  return browser.post('/account/passkeys', { csrf, name, response: JSON.stringify(authenticator.register(options, lies)) });
}

async function signInOptions(browser: HttpUser, returnTo = '/account'): Promise<{ fields: Record<string, string>; options: PublicKeyCredentialRequestOptionsJSON }> {
  const fields = await csrfOf(browser, `/login?return_to=${encodeURIComponent(returnTo)}`);
  const res = await browser.post('/login/passkey/options', { csrf: fields.csrf! });
  expect(res.status).toBe(200);
  return { fields, options: (await res.json()) as PublicKeyCredentialRequestOptionsJSON };
}

function postAssertion(browser: HttpUser, fields: Record<string, string>, assertion: unknown): Promise<Response> {
  return browser.post('/login/passkey', { csrf: fields.csrf!, return_to: fields.return_to!, display: 'page', response: JSON.stringify(assertion) });
}

/** Signs in with the authenticator's passkey in a fresh browser, no login typed. */
async function passkeySignIn(authenticator: SoftAuthenticator, lies: Lies = {}, browser = anonymous()): Promise<{ res: Response; browser: HttpUser }> {
  const { fields, options } = await signInOptions(browser);
  return { res: await postAssertion(browser, fields, authenticator.assert(options, lies)), browser };
}

async function isSignedIn(browser: HttpUser): Promise<boolean> {
  return (await browser.get('/account')).status === 200;
}

describe('where passkeys can work', () => {
  test('passkeys are not offered where browsers cannot use them: an issuer at an IP address', async () => {
    const atAddress = await startGatehouse();
    try {
      const page = await (await fetch(`${atAddress.url}/login`)).text();
      expect(page).not.toContain('/login/passkey');
      expect(page).toContain('autocomplete="username"');
    } finally {
      await atAddress.close();
    }
    const page = await (await fetch(`${gh.url}/login`)).text();
    expect(page).toContain('action="/login/passkey"');
    expect(page).toContain('autocomplete="username webauthn"');
  });
});

describe('adding a passkey on /account', () => {
  test('asks for a discoverable credential for the issuer\'s host, with the user\'s id as the user handle, and lists it with its name', async () => {
    const ada = await signedIn();
    const { options } = await registrationOptions(ada);
    expect(options.rp.id).toBe('localhost');
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'preferred' });
    expect(Buffer.from(options.user.id, 'base64url').toString()).toBe(ada.id);
    const res = await addPasskey(ada, new SoftAuthenticator(gh.url), 'Work laptop');
    expect(res.headers.get('location')).toBe('/account?done=passkeyAdded');
    const page = await (await ada.get('/account')).text();
    expect(page).toContain('Work laptop');
    expect(page).toContain('Not used yet');
    const [entry] = await gh.ctx.audit.list({ userId: ada.id as never, action: 'passkey_added' });
    expect(entry).toMatchObject({ actorType: 'user', details: { name: 'Work laptop', method: 'hwk', verifiedUser: true } });
  });

  test('several passkeys, renamed and removed (confirmed first); an empty name is refused', async () => {
    const ada = await signedIn();
    const phone = new SoftAuthenticator(gh.url, { backupEligible: true });
    await addPasskey(ada, phone, 'Phone');
    await addPasskey(ada, new SoftAuthenticator(gh.url), 'Key');
    expect((await addPasskey(ada, new SoftAuthenticator(gh.url), '   ')).headers.get('location')).toBe('/account?problem=errName#passkeys');
    const keys = await gh.ctx.passkeys.list(ada.id as never);
    expect(keys.map((k) => [k.name, k.backupEligible])).toEqual([['Phone', true], ['Key', false]]);

    const { csrf } = await csrfOf(ada, '/account');
    expect((await ada.post('/account/passkeys/rename', { csrf: csrf!, id: keys[0]!.id, name: 'Old phone' })).headers.get('location')).toBe('/account?done=passkeyRenamed');
    const ask = await ada.post('/account/passkeys/remove', { csrf: csrf!, id: keys[1]!.id });
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('Remove passkey “Key”?');
    expect((await gh.ctx.passkeys.list(ada.id as never)).map((k) => k.name)).toEqual(['Old phone', 'Key']);
    expect((await ada.post('/account/passkeys/remove', { csrf: csrf!, id: keys[1]!.id, confirmed: 'yes' })).headers.get('location')).toBe('/account?done=passkeyRemoved');
    expect((await gh.ctx.passkeys.list(ada.id as never)).map((k) => k.name)).toEqual(['Old phone']);
    const [removed] = await gh.ctx.audit.list({ userId: ada.id as never, action: 'passkey_removed' });
    expect(removed).toMatchObject({ actorType: 'user', details: { name: 'Key', by: 'user' } });
  });

  test('nobody renames or removes another user\'s passkey, even knowing its id', async () => {
    const ada = await signedIn();
    const eve = await signedIn();
    await addPasskey(ada, new SoftAuthenticator(gh.url), 'Ada\'s');
    const [key] = await gh.ctx.passkeys.list(ada.id as never);
    const { csrf } = await csrfOf(eve, '/account');
    expect((await eve.post('/account/passkeys/rename', { csrf: csrf!, id: key!.id, name: 'Eve\'s' })).status).toBe(404);
    expect((await eve.post('/account/passkeys/remove', { csrf: csrf!, id: key!.id, confirmed: 'yes' })).status).toBe(404);
    expect(await gh.ctx.passkeys.list(ada.id as never)).toEqual([key]);
  });

  test('refuses forms without the CSRF token, and options to anyone not signed in', async () => {
    const ada = await signedIn();
    expect((await ada.post('/account/passkeys/options', { csrf: 'wrong' })).status).toBe(403);
    expect((await ada.post('/account/passkeys/rename', { csrf: 'wrong', id: 'x', name: 'y' })).status).toBe(403);
    const visitor = anonymous();
    const { csrf } = await csrfOf(visitor, '/login');
    expect((await visitor.post('/account/passkeys/options', { csrf: csrf! })).status).toBe(401);
  });

  test('refuses a registration signed for another origin or RP ID, or answering a challenge given to another user', async () => {
    const ada = await signedIn();
    const eve = await signedIn();
    const problem = '/account?problem=errAddFailed#passkeys';
    expect((await addPasskey(ada, new SoftAuthenticator(gh.url), 'x', { origin: 'http://localhost:1' })).headers.get('location')).toBe(problem);
    expect((await addPasskey(ada, new SoftAuthenticator(gh.url), 'x', { rpId: 'evil.example' })).headers.get('location')).toBe(problem);
    // Eve's options answered in Ada's session, even from the same browser: the challenge was issued for Eve.
    const { options } = await registrationOptions(eve);
    ada.jar.set('gatehouse_webauthn', eve.jar.get('gatehouse_webauthn'));
    const { csrf } = await csrfOf(ada, '/account');
    const res = await ada.post('/account/passkeys', { csrf: csrf!, name: 'x', response: JSON.stringify(new SoftAuthenticator(gh.url).register(options)) });
    expect(res.headers.get('location')).toBe(problem);
    expect(await gh.ctx.passkeys.list(ada.id as never)).toEqual([]);
    expect(await gh.ctx.passkeys.list(eve.id as never)).toEqual([]);
  });
});

describe('signing in with a passkey, no login typed', () => {
  test('an assertion with user verification signs in and goes on to return_to; the audit log records it', async () => {
    const ada = await signedIn();
    const phone = new SoftAuthenticator(gh.url);
    await addPasskey(ada, phone);
    const { fields, options } = await signInOptions(anonymous());
    expect(options.rpId).toBe('localhost');
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(fields.return_to).toBe('/account');

    const { res, browser } = await passkeySignIn(phone);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account');
    expect(await isSignedIn(browser)).toBe(true);
    const [session] = await gh.ctx.storage.listSessionsOfUser(ada.id as never, gh.ctx.clock());
    expect(new Set((await gh.ctx.storage.listSessionsOfUser(ada.id as never, gh.ctx.clock())).map((s) => s.amr.join(' ')))).toContain('hwk user mfa');
    expect(session).toBeDefined();
    const [entry] = await gh.ctx.audit.list({ userId: ada.id as never, action: 'sign_in' });
    expect(entry).toMatchObject({ outcome: 'ok', details: { method: 'passkey', name: 'Laptop', amr: ['hwk', 'user'] } });
    expect((await gh.ctx.passkeys.list(ada.id as never))[0]!.lastUsedAt).not.toBeNull();
  });

  test('a synced passkey (backup eligible) counts as a software key: swk', async () => {
    const ada = await signedIn();
    const synced = new SoftAuthenticator(gh.url, { backupEligible: true });
    await addPasskey(ada, synced);
    const { res } = await passkeySignIn(synced);
    expect(res.status).toBe(303);
    const amrs = (await gh.ctx.storage.listSessionsOfUser(ada.id as never, gh.ctx.clock())).map((s) => s.amr.join(' '));
    expect(amrs).toContain('swk user mfa');
  });

  test('refuses an assertion replayed: the same challenge twice (WebAuthn §7.2 step 12)', async () => {
    const ada = await signedIn();
    const phone = new SoftAuthenticator(gh.url);
    await addPasskey(ada, phone);
    const browser = anonymous();
    const { fields, options } = await signInOptions(browser);
    const assertion = phone.assert(options);
    expect((await postAssertion(browser, fields, assertion)).status).toBe(303);
    const thief = anonymous();
    thief.jar.set('gatehouse_webauthn', browser.jar.get('gatehouse_webauthn'));
    const { csrf } = await csrfOf(thief, '/login');
    const again = await postAssertion(thief, { ...fields, csrf: csrf! }, assertion);
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('That passkey could not sign you in');
    expect(await isSignedIn(thief)).toBe(false);
  });

  test('of two racing uses of one challenge, exactly one signs in', async () => {
    const ada = await signedIn();
    const phone = new SoftAuthenticator(gh.url);
    await addPasskey(ada, phone);
    const browser = anonymous();
    const { fields, options } = await signInOptions(browser);
    const assertion = phone.assert(options);
    const results = await Promise.all(Array.from({ length: 6 }, () => postAssertion(browser, fields, assertion)));
    expect(results.map((r) => r.status).sort()).toEqual([303, 401, 401, 401, 401, 401]);
  });

  test('refuses a challenge issued to one browser and answered from another', async () => {
    const ada = await signedIn();
    const phone = new SoftAuthenticator(gh.url);
    await addPasskey(ada, phone);
    const victim = anonymous();
    const { options } = await signInOptions(victim);
    const attacker = anonymous();
    const { fields } = await signInOptions(attacker);
    const res = await postAssertion(attacker, fields, phone.assert(options));
    expect(res.status).toBe(401);
    expect(await isSignedIn(attacker)).toBe(false);
  });

  test('refuses an assertion by a passkey removed since the challenge was issued', async () => {
    const ada = await signedIn();
    const phone = new SoftAuthenticator(gh.url);
    await addPasskey(ada, phone);
    const browser = anonymous();
    const { fields, options } = await signInOptions(browser);
    const [key] = await gh.ctx.passkeys.list(ada.id as never);
    await gh.ctx.passkeys.remove(ada.id as never, key!.id, { type: 'operator' }, null);
    const res = await postAssertion(browser, fields, phone.assert(options));
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('not registered with this account any more');
    expect(await isSignedIn(browser)).toBe(false);
  });

  test('a passkey registered by A never signs in as B, whatever user handle it claims', async () => {
    const ada = await signedIn();
    const bob = await signedIn();
    const adas = new SoftAuthenticator(gh.url);
    await addPasskey(ada, adas);
    const { res, browser } = await passkeySignIn(adas, { userHandle: Buffer.from(bob.id).toString('base64url') });
    expect(res.status).toBe(401);
    expect(await isSignedIn(browser)).toBe(false);
    expect(await gh.ctx.storage.listSessionsOfUser(bob.id as never, gh.ctx.clock())).toHaveLength(1);
  });

  test('refuses an assertion signed for another origin or another RP ID (WebAuthn §7.2 steps 13, 15)', async () => {
    const ada = await signedIn();
    const phone = new SoftAuthenticator(gh.url);
    await addPasskey(ada, phone);
    for (const lies of [{ origin: 'http://localhost.evil.example' }, { origin: `http://127.0.0.1:${new URL(gh.url).port}` }, { rpId: 'evil.example' }]) {
      const { res, browser } = await passkeySignIn(phone, lies);
      expect(res.status, JSON.stringify(lies)).toBe(401);
      expect(await isSignedIn(browser)).toBe(false);
    }
    // The same key, telling the truth, still works.
    expect((await passkeySignIn(phone)).res.status).toBe(303);
  });

  test('a key that did not verify its user does not sign in by itself', async () => {
    const ada = await signedIn();
    const key = new SoftAuthenticator(gh.url);
    await addPasskey(ada, key, 'Security key', { userVerified: false });
    const { res, browser } = await passkeySignIn(key, { userVerified: false });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('cannot sign you in by itself');
    expect(await isSignedIn(browser)).toBe(false);
    const [entry] = await gh.ctx.audit.list({ userId: ada.id as never, action: 'sign_in' });
    expect(entry).toMatchObject({ outcome: 'refused', details: { method: 'passkey', reason: 'no_user_verification' } });
  });

  test('refuses a blocked user\'s passkey', async () => {
    const ada = await signedIn();
    const phone = new SoftAuthenticator(gh.url);
    await addPasskey(ada, phone);
    await gh.ctx.storage.updateUser(ada.id as never, { status: 'blocked' });
    const { res, browser } = await passkeySignIn(phone);
    expect(res.status).toBe(401);
    expect(await isSignedIn(browser)).toBe(false);
  });

  test('refuses an options request or a sign-in without the CSRF token', async () => {
    const browser = anonymous();
    expect((await browser.post('/login/passkey/options', { csrf: 'nope' })).status).toBe(403);
    expect((await browser.post('/login/passkey', { csrf: 'nope', response: '{}' })).status).toBe(403);
  });

  test('malformed answers get the sign-in page again, never a 500', async () => {
    const browser = anonymous();
    const { fields } = await signInOptions(browser);
    for (const response of ['', 'not json', '{}', '{"id":"x","rawId":"x","type":"public-key","response":{},"clientExtensionResults":{}}', JSON.stringify({ id: 'a', rawId: 'a', type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: Buffer.from('{"challenge":7}').toString('base64url'), authenticatorData: '', signature: '' } })]) {
      const res = await browser.post('/login/passkey', { csrf: fields.csrf!, return_to: '/', response });
      expect(res.status, response).toBe(401);
    }
  });
});

describe('a security key as the second step after the password (the ceremony the two-step page uses)', () => {
  test('options name only the user\'s own keys; an assertion without user verification is accepted as hwk', async () => {
    const ada = await signedIn();
    const key = new SoftAuthenticator(gh.url);
    await addPasskey(ada, key, 'Security key', { userVerified: false });
    const user = (await gh.ctx.storage.findUserById(ada.id as never))!;
    const browser = sha256Hex('a browser');
    const options = (await gh.ctx.passkeys.secondFactorOptions(user, browser))!;
    expect(options.allowCredentials?.map((c) => c.id)).toEqual((await gh.ctx.passkeys.list(user.id)).map((k) => k.id));
    expect(options.userVerification).toBe('discouraged');
    const result = await gh.ctx.passkeys.verifySecondFactor(user, browser, JSON.stringify(key.assert(options, { userVerified: false })));
    expect(result).toMatchObject({ ok: true, amr: ['hwk'] });
  });

  test('refuses another user\'s key, a challenge issued for another user, and a replay', async () => {
    const ada = await signedIn();
    const eve = await signedIn();
    const adasKey = new SoftAuthenticator(gh.url);
    const evesKey = new SoftAuthenticator(gh.url);
    await addPasskey(ada, adasKey);
    await addPasskey(eve, evesKey);
    const adaUser = (await gh.ctx.storage.findUserById(ada.id as never))!;
    const eveUser = (await gh.ctx.storage.findUserById(eve.id as never))!;
    const browser = sha256Hex('the same browser');
    const forAda = (await gh.ctx.passkeys.secondFactorOptions(adaUser, browser))!;
    expect(await gh.ctx.passkeys.verifySecondFactor(adaUser, browser, JSON.stringify(evesKey.assert(forAda)))).toMatchObject({ ok: false });
    const forEve = (await gh.ctx.passkeys.secondFactorOptions(eveUser, browser))!;
    expect(await gh.ctx.passkeys.verifySecondFactor(adaUser, browser, JSON.stringify(adasKey.assert(forEve)))).toMatchObject({ ok: false });
    const fresh = (await gh.ctx.passkeys.secondFactorOptions(adaUser, browser))!;
    const assertion = JSON.stringify(adasKey.assert(fresh));
    expect(await gh.ctx.passkeys.verifySecondFactor(adaUser, browser, assertion)).toMatchObject({ ok: true, amr: ['hwk', 'user'] });
    expect(await gh.ctx.passkeys.verifySecondFactor(adaUser, browser, assertion)).toMatchObject({ ok: false });
  });

  test('over HTTP: after the password the two-step page offers the key; a key without user verification finishes the sign-in as pwd hwk mfa', async () => {
    const user = await gh.createUser();
    const owner = new HttpUser(gh, user.login, user.password);
    await owner.signIn();
    const key = new SoftAuthenticator(gh.url);
    expect((await addPasskey(owner, key, 'Security key', { userVerified: false })).status).toBe(303);

    const browser = new HttpUser(gh, user.login, user.password);
    const login = hiddenFields(await (await browser.get('/login?return_to=%2Faccount')).text());
    const first = await browser.post('/login', { ...login, login: user.login, password: user.password });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toMatch(/^\/login\/two-step/);
    expect(await isSignedIn(browser)).toBe(false);
    const page = await browser.get('/login/two-step?method=security_key');
    const fields = hiddenFields(await page.text());
    // A browser without the half-done sign-in gets no options.
    expect((await anonymous().post('/login/two-step/key/options', { csrf: fields.csrf! })).status).toBe(403);
    const optionsRes = await browser.post('/login/two-step/key/options', { csrf: fields.csrf! });
    expect(optionsRes.status).toBe(200);
    const options = (await optionsRes.json()) as PublicKeyCredentialRequestOptionsJSON;
    const done = await browser.post('/login/two-step/key', { csrf: fields.csrf!, return_to: '/account', display: 'page', response: JSON.stringify(key.assert(options, { userVerified: false })) });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/account');
    expect(await isSignedIn(browser)).toBe(true);
    const sessions = await gh.ctx.storage.listSessionsOfUser(user.id, gh.ctx.clock());
    expect(sessions.map((s) => s.amr)).toContainEqual(['pwd', 'hwk', 'mfa']);
  });

  test('over HTTP: a user with an authenticator app who signs in with a passkey is not asked for a code', async () => {
    const user = await gh.createUser();
    const owner = new HttpUser(gh, user.login, user.password);
    await owner.signIn();
    await enrol(owner, gh.ctx.clock);
    const key = new SoftAuthenticator(gh.url);
    expect((await addPasskey(owner, key)).status).toBe(303);
    const { res, browser } = await passkeySignIn(key);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account');
    expect(await isSignedIn(browser)).toBe(true);
  });
});

describe('operators', () => {
  test('see a user\'s passkeys on /admin (never key material) and remove one after confirming; the audit log says an operator did', async () => {
    const ada = await signedIn();
    await addPasskey(ada, new SoftAuthenticator(gh.url), 'Ada\'s phone');
    const [key] = await gh.ctx.passkeys.list(ada.id as never);
    await gh.ctx.users.create({ login: `op${ada.id}`, password: 'correct horse battery', isAdmin: true });
    const op = new HttpUser(gh, `op${ada.id}`, 'correct horse battery');
    await op.signIn();
    const page = await (await op.get(`/admin/users/${ada.id}`)).text();
    expect(page).toContain('Ada&#39;s phone');
    expect(page).not.toContain(key!.publicKey);
    const { csrf } = hiddenFields(page);
    const ask = await op.post(`/admin/users/${ada.id}/passkeys/remove`, { csrf: csrf!, passkey: key!.id });
    expect(ask.status).toBe(200);
    expect(await gh.ctx.passkeys.list(ada.id as never)).toHaveLength(1);
    const done = await op.post(`/admin/users/${ada.id}/passkeys/remove`, { csrf: csrf!, passkey: key!.id, confirmed: 'yes' });
    expect(done.headers.get('location')).toBe(`/admin/users/${ada.id}?done=passkeyRemoved`);
    expect(await gh.ctx.passkeys.list(ada.id as never)).toEqual([]);
    const [entry] = await gh.ctx.audit.list({ userId: ada.id as never, action: 'passkey_removed' });
    expect(entry).toMatchObject({ actorType: 'operator', details: { by: 'operator', name: 'Ada\'s phone' } });
    // Not an operator: the same 404 as for a page that does not exist.
    const { csrf: adaCsrf } = await csrfOf(ada, '/account');
    expect((await ada.post(`/admin/users/${ada.id}/passkeys/remove`, { csrf: adaCsrf!, passkey: key!.id, confirmed: 'yes' })).status).toBe(404);
  });
});
