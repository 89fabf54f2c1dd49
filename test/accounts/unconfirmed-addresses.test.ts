/**
 * An address nobody confirmed is never released. The attack: a relying party
 * that links accounts by email address trusts what Gatehouse hands out, so a
 * user who types `ceo@victim.example` into their own profile (or signs up
 * with it) must not see it in /info (`default_email`, `emails`, the JWT
 * `email` claim), in /userinfo or in the id_token, and `email_verified` is
 * true only for a confirmed address. Phone numbers the same. Everything over
 * real HTTP against a real Gatehouse.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exchangeCode, PASSWORD } from '../console/support.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';

let gh: TestGatehouse;
let app: { clientId: string; clientSecret: string };
const REDIRECT = 'http://127.0.0.1:9999/callback';
const SCOPES = 'openid email phone login:email login:default_phone';

beforeAll(async () => {
  gh = await startGatehouse();
  const created = await gh.createApp({
    name: 'Links accounts by email', redirectUris: [REDIRECT],
    scopes: ['openid', 'email', 'phone', 'login:info', 'login:email', 'login:default_phone'],
  });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
});
afterAll(async () => { await gh?.close(); });

/** Signs up on /signup as a person would; returns the signed-in browser. */
async function signUp(login: string, email: string): Promise<HttpUser> {
  const user = new HttpUser(gh, login, PASSWORD);
  const form = hiddenFields(await (await user.get('/signup')).text());
  const res = await user.post('/signup', { ...form, login, password: PASSWORD, email });
  expect(res.status).toBe(303);
  return user;
}

/** What an app gets for this user: /info as JSON and as a JWT, /userinfo, and the id_token's claims. */
async function released(user: HttpUser) {
  const code = await user.code({ response_type: 'code', client_id: app.clientId, scope: SCOPES, nonce: 'n', redirect_uri: REDIRECT });
  const tokens = await exchangeCode(gh, app.clientId, app.clientSecret, code, REDIRECT);
  const auth = { authorization: `OAuth ${tokens.access_token}` };
  const info = (await (await fetch(`${gh.url}/info?format=json`, { headers: auth })).json()) as Record<string, unknown>;
  const jwt = decodeJwt(await (await fetch(`${gh.url}/info?format=jwt`, { headers: auth })).text());
  const userinfo = (await (await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
  const idToken = decodeJwt(tokens.id_token!);
  return { info, jwt, userinfo, idToken };
}

describe('an unconfirmed address', () => {
  test('typed at sign-up is not released to apps: not in /info, its JWT, /userinfo or the id_token', async () => {
    const mallory = await signUp('mallory', 'ceo@victim.example');
    const got = await released(mallory);
    expect(got.info).toMatchObject({ default_email: null, emails: [] });
    expect(got.jwt.email).toBeNull();
    expect(got.userinfo).not.toHaveProperty('email');
    expect(got.userinfo).not.toHaveProperty('email_verified');
    expect(got.idToken).not.toHaveProperty('email');
    expect(JSON.stringify(got)).not.toContain('victim.example');
  });

  test('added on /account is not released, and a confirmed one stays the only one apps see', async () => {
    // The operator vouched for this one (test helpers create users as the operator does).
    await gh.createUser('trudy', PASSWORD, { email: 'trudy@example.org' });
    const trudy = new HttpUser(gh, 'trudy', PASSWORD);
    await trudy.signIn('/account');
    const page = hiddenFields(await (await trudy.get('/account')).text());
    const saved = await trudy.post('/account/profile', {
      csrf: page.csrf!, emails: 'trudy@example.org\nceo@victim.example', default_email: 'ceo@victim.example', phone: '+44 20 7946 0958',
      first_name: '', last_name: '', display_name: '', birthday: '', sex: '',
    });
    expect(saved.status).toBe(303);
    const got = await released(trudy);
    expect(got.info).toMatchObject({ default_email: 'trudy@example.org', emails: ['trudy@example.org'], default_phone: null });
    expect(got.jwt).toMatchObject({ email: 'trudy@example.org', number: null });
    expect(got.userinfo).toMatchObject({ email: 'trudy@example.org', email_verified: true });
    expect(got.userinfo).not.toHaveProperty('phone_number');
    expect(JSON.stringify(got)).not.toContain('victim.example');
  });

  test('is shown to its owner as not confirmed, with a way to send the confirmation again', async () => {
    const owner = await signUp('owner', 'owner@example.org');
    const page = await (await owner.get('/account')).text();
    expect(page).toMatch(/owner@example\.org[\s\S]{0,400}Not confirmed/);
    expect(page).toContain('action="/account/emails/confirm"');
  });
});

describe('the confirmation link', () => {
  test('is not accepted when made up, and the refusal is a page, not an error', async () => {
    const res = await fetch(`${gh.url}/confirm-email?token=made-up`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const posted = await postForm(`${gh.url}/confirm-email`, { token: 'made-up', csrf: 'x' });
    expect([400, 403]).toContain(posted.status);
  });
});
