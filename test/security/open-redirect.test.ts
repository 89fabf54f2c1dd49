/**
 * No open redirector (RFC 9700 §4.11, RFC 6749 §4.1.2.1, OIDC RP-Initiated
 * Logout §3): every parameter that ends in a redirect — `redirect_uri` on
 * /authorize (answer, error and form_post), `return_to` on /login and
 * /signup, `post_logout_redirect_uri` on /logout — sends the browser only to
 * an address registered for the app (compared exactly) or to a path on
 * Gatehouse itself, whatever tricks the value plays.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';

const REGISTERED = 'https://app.example/callback';
const LOGOUT = 'https://app.example/signed-out';
let gh: TestGatehouse;
let clientId: string;
let user: HttpUser;

/** Look-alikes of the registered URI, and addresses elsewhere. */
const FOREIGN_URIS = [
  'https://evil.example/callback', 'https://app.example.evil.example/callback', 'https://app.example@evil.example/callback',
  'https://evil.example\\@app.example/callback', '//evil.example/callback', 'https://app.example/callback/../../evil', 'https://app.example/callback/extra',
  'https://app.example/callback?x=1', 'https://app.example/callback#x', 'https://APP.example/callback', 'http://app.example/callback',
  'https://app.example:444/callback', 'https://app.example/Callback', 'https://app.example/callback%2F..%2Fevil', 'https://app.example/callback ',
  'javascript:alert(1)//https://app.example/callback', 'data:text/html,<script>alert(1)</script>', 'https://app.example\r\nLocation: https://evil.example/',
];

/** Values of return_to that would leave Gatehouse if taken as they are. */
const FOREIGN_PATHS = [
  'https://evil.example/', '//evil.example/', '/\\evil.example/', '\\\\evil.example/', '/\t/evil.example/', 'https:evil.example', '///evil.example',
  'javascript:alert(1)', '%2F%2Fevil.example', ' //evil.example', '/\r\nLocation: https://evil.example/', 'http://localhost@evil.example/',
];

beforeAll(async () => {
  gh = await startGatehouse();
  const created = await gh.createApp({ name: 'Redirected app', redirectUris: [REGISTERED], postLogoutRedirectUris: [LOGOUT] });
  clientId = created.clientId;
  const u = await gh.createUser('traveller');
  user = new HttpUser(gh, u.login, u.password);
  await user.signIn();
});
afterAll(async () => {
  await gh?.close();
});

/** Where a redirect answer sends the browser; null when it is no redirect. */
function target(res: Response): URL | null {
  const location = res.headers.get('location');
  return res.status >= 300 && res.status < 400 && location !== null ? new URL(location, gh.url) : null;
}

function staysHome(res: Response, what: string): void {
  const to = target(res);
  if (to !== null) expect(to.origin, `${what} → ${res.headers.get('location')}`).toBe(new URL(gh.url).origin);
}

describe('redirect_uri on /authorize', () => {
  test.each(FOREIGN_URIS)('%s: an error page, never a redirect or a form posting there', async (uri) => {
    for (const extra of [{}, { response_mode: 'form_post' }, { response_type: 'token' }, { scope: 'no-such-scope' }, { prompt: 'none' }]) {
      const res = await user.get(`/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: uri, state: 's', ...extra })}`);
      expect(target(res), `${uri} ${JSON.stringify(extra)}`).toBeNull();
      expect(res.status).toBe(400);
      const page = await res.text();
      expect(page).not.toContain('action="https://evil');
      expect(page).not.toContain('<form method="post" action="http');
    }
  });

  test('the registered URI gets the answer and the errors; the consent form cannot be replayed to another URI', async () => {
    const ok = await user.authorize({ response_type: 'code', client_id: clientId, redirect_uri: REGISTERED, state: 's' });
    expect(ok.location.origin + ok.location.pathname).toBe(REGISTERED);
    const error = await user.get(`/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REGISTERED, scope: 'no-such-scope' })}`);
    expect(target(error)?.toString()).toMatch(/^https:\/\/app\.example\/callback\?error=invalid_scope/);
    // A consent decision posted with another redirect_uri is validated again.
    const consent = await user.get(`/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REGISTERED, force_confirm: 'yes' })}`);
    const fields = hiddenFields(await consent.text());
    for (const uri of FOREIGN_URIS.slice(0, 6)) {
      const res = await user.post('/authorize', { ...fields, redirect_uri: uri, decision: 'allow' });
      expect(target(res), uri).toBeNull();
    }
  });

  test('state cannot add parameters or change where the answer goes', async () => {
    const state = 'x&code=forged#https://evil.example/?a=b';
    const { location } = await user.authorize({ response_type: 'code', client_id: clientId, redirect_uri: REGISTERED, state });
    expect(location.origin + location.pathname).toBe(REGISTERED);
    expect(location.searchParams.get('state')).toBe(state);
    expect(location.searchParams.getAll('code')).toHaveLength(1);
    expect(location.hash).toBe('');
  });
});

describe('return_to on /login and /signup', () => {
  test.each(FOREIGN_PATHS)('%s: after sign-in, sign-up, or for a signed-in visitor, the browser stays on Gatehouse', async (returnTo) => {
    // Already signed in: /login sends the visitor on at once.
    staysHome(await user.get(`/login?return_to=${encodeURIComponent(returnTo)}`), 'GET /login');
    // Signing in.
    const fresh = new HttpUser(gh, 'traveller', 'correct horse battery');
    const page = await fresh.get(`/login?return_to=${encodeURIComponent(returnTo)}`);
    const fields = hiddenFields(await page.text());
    const signedIn = await fresh.post('/login', { ...fields, return_to: returnTo, login: 'traveller', password: 'correct horse battery' });
    expect(signedIn.status).toBe(303);
    staysHome(signedIn, 'POST /login');
    // Signing up.
    const newcomer = new HttpUser(gh, 'x', 'x');
    const form = hiddenFields(await (await newcomer.get('/signup')).text());
    const login = `new${Math.random().toString(36).slice(2, 10)}`;
    const signedUp = await newcomer.post('/signup', { ...form, return_to: returnTo, login, password: 'a long enough password' });
    expect(signedUp.status).toBe(303);
    staysHome(signedUp, 'POST /signup');
  });
});

describe('post_logout_redirect_uri on /logout', () => {
  test.each([...FOREIGN_URIS, LOGOUT + '/'])('%s: refused with an error page, before and after the click', async (uri) => {
    const get = await user.get(`/logout?${new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: uri })}`);
    expect(target(get)).toBeNull();
    expect(get.status).toBe(400);
    const page = hiddenFields(await (await user.get('/logout')).text());
    const post = await user.post('/logout', { ...page, client_id: clientId, post_logout_redirect_uri: uri });
    expect(target(post)).toBeNull();
  });

  test('without client_id or id_token_hint even a registered URI is refused; with it, it is followed', async () => {
    expect(target(await user.get(`/logout?post_logout_redirect_uri=${encodeURIComponent(LOGOUT)}`))).toBeNull();
    const page = hiddenFields(await (await user.get('/logout')).text());
    const res = await user.post('/logout', { ...page, client_id: clientId, post_logout_redirect_uri: LOGOUT, state: 'bye' });
    expect(target(res)?.toString()).toBe(`${LOGOUT}?state=bye`);
    await user.signIn();
  });
});
