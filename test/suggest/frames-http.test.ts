/**
 * The instant login over plain HTTP (docs/protocol.md §8): the SDK's files and their
 * cache headers, the bundle's size, who may frame the button, the
 * personalisation grant's whole life, and the pop-up's hand-over page.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClientId } from '../../src/types.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';

const SITE = 'https://shop.example';
const PASSWORD = 'correct horse battery';

let gh: TestGatehouse;
let clientId: string;

beforeAll(async () => {
  gh = await startGatehouse();
  ({ clientId } = await gh.createApp({
    name: 'Shop', redirectUris: [`${SITE}/token`], suggestHostnames: [SITE, 'http://localhost:3000'], scopes: ['login:info'],
  }));
});
afterAll(async () => {
  await gh?.close();
});

const frameUrl = (params: Record<string, string>, path = '/suggest/button') =>
  `${gh.url}${path}?${new URLSearchParams({ client_id: clientId, response_type: 'token', location: SITE, sid: 'abc123', ...params }).toString()}`;

describe('the SDK files (GET /sdk/…)', () => {
  test('suggest.js is at most 8 KB gzipped', async () => {
    const res = await fetch(`${gh.url}/sdk/suggest.js`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const gzipped = gzipSync(body, { level: 9 }).length;
    console.log(`suggest.js: ${body.length} bytes, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThanOrEqual(8 * 1024);
  });

  test('are JavaScript any site may load, cached for a day and revalidated by ETag', async () => {
    for (const name of ['suggest.js', 'suggest-token.js']) {
      const res = await fetch(`${gh.url}/sdk/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.headers.get('cache-control')).toMatch(/^public, max-age=86400/);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      const etag = res.headers.get('etag')!;
      expect(etag).toMatch(/^".+"$/);
      expect((await res.text()).trimEnd()).toMatch(new RegExp(`//# sourceMappingURL=${name}\\.map$`));
      const again = await fetch(`${gh.url}/sdk/${name}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }
  });

  test('have source maps naming the TypeScript sources', async () => {
    const res = await fetch(`${gh.url}/sdk/suggest.js.map`);
    expect(res.status).toBe(200);
    const map = (await res.json()) as { sources: string[]; sourcesContent: string[] };
    expect(map.sources.some((s) => s.endsWith('src/sdk/suggest.ts'))).toBe(true);
    expect(map.sourcesContent.length).toBe(map.sources.length);
  });

  test('a versioned URL never changes and is cached for a year; an unknown version is not found', async () => {
    const frame = await (await fetch(frameUrl({}))).text();
    const versioned = /<script src="(\/sdk\/v\/[0-9a-f]{12}\/frame\.js)">/.exec(frame)![1]!;
    const res = await fetch(gh.url + versioned.replace('frame.js', 'suggest.js'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${gh.url}/sdk/v/000000000000/suggest.js`)).status).toBe(404);
    expect((await fetch(`${gh.url}/sdk/nothing.js`)).status).toBe(404);
  });
});

describe('who may frame the button (docs/protocol.md §8: suggest hostnames)', () => {
  test('a page on a suggest hostname gets the button, framable by the suggest hostnames only, without X-Frame-Options', async () => {
    const res = await fetch(frameUrl({}));
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/frame-ancestors https:\/\/shop\.example http:\/\/localhost:3000$/);
    expect(csp).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBeNull();
    const page = await res.text();
    expect(page).toContain('Log in with Gatehouse');
    expect(page).toContain(`data-parent-origin="${SITE}"`);
    // The pop-up's address: the site's parameters, display=popup, the app's redirect URI by default.
    const authorize = new URLSearchParams(/data-authorize="\/authorize\?([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&'));
    expect(Object.fromEntries(authorize)).toMatchObject({ client_id: clientId, response_type: 'token', display: 'popup', redirect_uri: `${SITE}/token` });
    expect(authorize.has('location')).toBe(false);
  });

  test('the widget too', async () => {
    const res = await fetch(frameUrl({}, '/suggest'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors https:\/\/shop\.example http:\/\/localhost:3000$/);
    expect(await res.text()).toContain('Log in to Shop with your Gatehouse account');
  });

  test('Gatehouse’s own pages still refuse to be framed', async () => {
    const res = await fetch(`${gh.url}/login`);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  test('a page elsewhere gets bad_origin; an unknown app not_available; a blocked app blocked', async () => {
    const elsewhere = await fetch(frameUrl({ location: 'https://evil.example/login' }));
    const page = await elsewhere.text();
    expect(page).toContain('data-error="bad_origin"');
    expect(page).not.toContain('data-authorize');
    expect(elsewhere.headers.get('content-security-policy')).toMatch(/frame-ancestors \*$/);
    expect(await (await fetch(frameUrl({ location: 'not a url' }))).text()).toContain('data-error="bad_origin"');
    expect(await (await fetch(frameUrl({ client_id: '0'.repeat(32) }))).text()).toContain('data-error="not_available"');
    const { clientId: blocked } = await gh.createApp({ name: 'Blocked', suggestHostnames: [SITE] });
    await gh.ctx.storage.updateApp(blocked as ClientId, { status: 'blocked' });
    expect(await (await fetch(frameUrl({ client_id: blocked }))).text()).toContain('data-error="blocked"');
  });

  test('custom colours reach the page only when they are colours', async () => {
    const page = await (await fetch(frameUrl({ buttonView: 'iconBg', customBgColor: '#ffe8cc', customBorderColor: 'red;}body{display:none', buttonBorderRadius: '12' }))).text();
    expect(page).toContain('--gh-bg:#ffe8cc');
    expect(page).toContain('--gh-radius:12px');
    expect(page).not.toContain('display:none');
  });
});

describe('the personalisation grant', () => {
  /** Signs in and consents over HTTP, then runs the pop-up's hand-over page's request. */
  async function signedInWithConsent(login: string): Promise<{ user: HttpUser; csrf: string }> {
    await gh.createUser(login, PASSWORD, { firstName: login[0]!.toUpperCase() + login.slice(1) });
    const user = new HttpUser(gh, login, PASSWORD);
    const { location } = await user.authorize({ response_type: 'token', client_id: clientId, redirect_uri: `${SITE}/token` });
    expect(location.hash).toContain('access_token=');
    return { user, csrf: user.jar.get('gatehouse_csrf')! };
  }

  const grantRequest = (user: HttpUser, form: Record<string, string>, origin = gh.url) =>
    postForm(`${gh.url}/suggest/grant`, form, { cookie: user.jar.header(), origin });
  const keep = (grant: string, origin: string | null = gh.url) =>
    postForm(`${gh.url}/suggest/keep`, { grant, client_id: clientId, location: SITE }, origin ? { origin } : {});
  const frameWith = async (cookie: string) => (await fetch(frameUrl({}), { headers: { cookie } })).text();

  test('is minted for a signed-in user who allowed the app, for one of its sites, with the CSRF token', async () => {
    const { user, csrf } = await signedInWithConsent('grace');
    expect((await grantRequest(user, { client_id: clientId, location: SITE })).status).toBe(403);
    expect((await grantRequest(user, { csrf, client_id: clientId, location: SITE }, 'https://evil.example')).status).toBe(403);
    const elsewhere = await grantRequest(user, { csrf, client_id: clientId, location: 'https://evil.example' });
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { error: string }).error).toBe('access_denied');
    const anonymous = await postForm(`${gh.url}/suggest/grant`, { csrf, client_id: clientId, location: SITE }, { cookie: `gatehouse_csrf=${csrf}`, origin: gh.url });
    expect(anonymous.status).toBe(401);

    const res = await grantRequest(user, { csrf, client_id: clientId, location: SITE });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { grant } = (await res.json()) as { grant: string };
    expect(grant).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('is not minted for an app the user never allowed', async () => {
    await gh.createUser('heidi', PASSWORD);
    const user = new HttpUser(gh, 'heidi', PASSWORD);
    await user.signIn();
    const csrf = user.jar.get('gatehouse_csrf')!;
    expect((await grantRequest(user, { csrf, client_id: clientId, location: SITE })).status).toBe(403);
  });

  test('is kept as the frame’s partitioned cookie, makes the frame personal, and ends when the user signs out', async () => {
    const { user, csrf } = await signedInWithConsent('ivan');
    const { grant } = (await (await grantRequest(user, { csrf, client_id: clientId, location: SITE })).json()) as { grant: string };

    expect((await keep(grant, null)).status).toBe(403);
    expect((await keep('x'.repeat(43))).status).toBe(400);
    const kept = await keep(grant);
    expect(kept.status).toBe(204);
    const cookie = kept.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(new RegExp(`^gatehouse_suggest_${clientId}=${grant}; Max-Age=\\d+; Path=/suggest; HttpOnly; Secure; Partitioned; SameSite=None$`));

    const named = `gatehouse_suggest_${clientId}=${grant}`;
    expect(await frameWith(named)).toContain('Log in as Ivan');
    // For this site only: the same grant says nothing on another of the app's sites.
    const other = await (await fetch(frameUrl({ location: 'http://localhost:3000' }), { headers: { cookie: named } })).text();
    expect(other).toContain('Log in with Gatehouse');

    const logout = await user.get('/logout');
    await user.post('/logout', hiddenFields(await logout.text()));
    const res = await fetch(frameUrl({}), { headers: { cookie: named } });
    expect(await res.text()).toContain('Log in with Gatehouse');
    // The frame forgets the dead grant.
    expect(res.headers.getSetCookie().some((c) => c.startsWith(`gatehouse_suggest_${clientId}=;`) && c.includes('Partitioned'))).toBe(true);
  });

  test('ends when the user withdraws consent, and when the user is blocked', async () => {
    const { user, csrf } = await signedInWithConsent('judy');
    const { grant } = (await (await grantRequest(user, { csrf, client_id: clientId, location: SITE })).json()) as { grant: string };
    const named = `gatehouse_suggest_${clientId}=${grant}`;
    expect(await frameWith(named)).toContain('Log in as Judy');
    const judy = (await gh.ctx.storage.findUserByLogin('judy'))!;
    await gh.ctx.storage.deleteConsent(judy.id, clientId as ClientId);
    expect(await frameWith(named)).toContain('Log in with Gatehouse');

    const second = await signedInWithConsent('karl');
    const { grant: karls } = (await (await grantRequest(second.user, { csrf: second.csrf, client_id: clientId, location: SITE })).json()) as { grant: string };
    const karlsCookie = `gatehouse_suggest_${clientId}=${karls}`;
    expect(await frameWith(karlsCookie)).toContain('Log in as Karl');
    await gh.ctx.storage.updateUser((await gh.ctx.storage.findUserByLogin('karl'))!.id, { status: 'blocked' });
    expect(await frameWith(karlsCookie)).toContain('Log in with Gatehouse');
  });

  test('where the browser sends the session cookie (same-site sites), the frame is personal by it', async () => {
    const { user } = await signedInWithConsent('lena');
    expect(await frameWith(user.jar.header())).toContain('Log in as Lena');
    // With the user's picture when there is one, else her initial.
    expect(await frameWith(user.jar.header())).toMatch(/<span class="gh-avatar gh-avatar-s gh-c\d" aria-hidden="true">L<\/span>/);
    await gh.ctx.storage.updateUser((await gh.ctx.storage.findUserByLogin('lena'))!.id, { avatarId: 'abc123' });
    expect(await frameWith(user.jar.header())).toContain('<img src="/avatars/abc123/islands-retina-middle" alt="">');
  });
});

describe('the pop-up’s hand-over page', () => {
  test('ends an instant-login authorization with display=popup; other authorizations redirect as before', async () => {
    await gh.createUser('mallory', PASSWORD);
    const user = new HttpUser(gh, 'mallory', PASSWORD);
    const params = { response_type: 'token', client_id: clientId, redirect_uri: `${SITE}/token`, state: 's1' };
    await user.authorize(params);
    const popup = await user.get(`/authorize?${new URLSearchParams({ ...params, display: 'popup' }).toString()}`);
    expect(popup.status).toBe(200);
    expect(popup.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(popup.headers.get('x-frame-options')).toBe('DENY');
    const page = await popup.text();
    const redirect = /data-redirect="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&');
    expect(redirect).toMatch(new RegExp(`^${SITE}/token#access_token=gate_at_`));
    expect(new URLSearchParams(new URL(redirect).hash.slice(1)).get('state')).toBe('s1');
    expect(page).toMatch(/<script src="\/sdk\/v\/[0-9a-f]{12}\/handoff\.js">/);

    const plain = await user.get(`/authorize?${new URLSearchParams(params).toString()}`);
    expect(plain.status).toBe(302);
  });
});
