/**
 * The rough edges a newcomer meets on the pages, over HTTP: an HTML 404 for a
 * browser, error pages in the reader's language, language links on pages that
 * do not know their own address (and never pointing elsewhere), the consent
 * page naming where the answer goes and who made the app, the console's
 * quickstart, and an operator's page for each app.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ERROR_DESCRIPTIONS } from '../../src/pages/messages/error-descriptions.js';
import { ru as russianCatalogue } from '../../src/pages/messages/index.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';

const ru = russianCatalogue();

const PASSWORD = 'correct horse battery';
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
let gh: TestGatehouse;

beforeAll(async () => {
  gh = await startGatehouse();
});
afterAll(async () => { await gh?.close(); });

const page = (path: string, headers: Record<string, string> = {}) => fetch(`${gh.url}${path}`, { redirect: 'manual', headers: { accept: BROWSER, ...headers } });

describe('pages for browsers, JSON for programs', () => {
  test('a mistyped address is an HTML page in the browser\'s language; a program gets JSON', async () => {
    const res = await page('/acount', { 'accept-language': 'ru-RU,ru;q=0.9' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await res.text();
    expect(body).toContain('<html lang="ru">');
    expect(body).toContain(ru.notFound);
    expect(body).toContain('hreflang="en"');
    const program = await fetch(`${gh.url}/acount`);
    expect(program.status).toBe(404);
    expect(await program.json()).toEqual({ error: 'not_found', error_description: 'there is nothing at this address' });
  });

  test('the error page says what went wrong in Russian, with no English description left', async () => {
    const res = await page(`/authorize?response_type=code&client_id=${'0'.repeat(32)}`, { cookie: 'gatehouse_lang=ru' });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain('Приложения с таким идентификатором (client_id) нет.');
    expect(body).not.toContain('there is no app');
    expect(body).not.toContain('<dd lang="en">');
    const twice = await (await page('/authorize?client_id=a&client_id=b', { cookie: 'gatehouse_lang=ru' })).text();
    expect(twice).toContain('Один из параметров передан несколько раз.');
  });

  test('every description a browser can meet on the error page has its Russian words', () => {
    // What reaches the error page: the authorization request's errors that are never redirected, and /logout's.
    const calls = (file: string, opener: string) => readFileSync(file, 'utf8').split(opener).slice(1).map((rest) => rest.slice(0, rest.indexOf(');')));
    const quoted = (call: string) => [...call.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
    const said = [
      // new UntrustedRedirectError('code', 'description' or a choice of descriptions)
      ...calls('src/oauth/authorize/request.ts', 'new UntrustedRedirectError(').flatMap((call) => quoted(call).slice(1)),
      ...calls('src/http/routes/logout.ts', 'new InvalidRequest(').flatMap(quoted),
    ];
    expect(said.length).toBeGreaterThan(8);
    expect(said.filter((d) => ERROR_DESCRIPTIONS.ru![d] === undefined)).toEqual([]);
  });
});

describe('language links', () => {
  test('the sign-in page links to itself in the other language, keeping where the sign-in leads', async () => {
    const returnTo = '/authorize?response_type=code&client_id=x';
    const body = await (await page(`/login?return_to=${encodeURIComponent(returnTo)}`)).text();
    const href = /<a href="([^"]+)" lang="ru" hreflang="ru">Русский<\/a>/.exec(body)?.[1]?.replace(/&amp;/g, '&');
    expect(href).toBeDefined();
    const url = new URL(href!, gh.url);
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('return_to')).toBe(returnTo);
    expect(url.searchParams.get('lang')).toBe('ru');
  });

  test('a link of the language switch never leads off this server, whatever the address looked like', async () => {
    for (const odd of ['//evil.example/x', '/\\evil.example/', '//x//evil.example/']) {
      const res = await fetch(`${gh.url}${odd}`, { headers: { accept: BROWSER } });
      const body = await res.text();
      expect(res.status, odd).toBeLessThan(500);
      for (const [, href] of body.matchAll(/<a href="([^"]+)" lang=/g)) {
        expect(href!.startsWith('/') && !href!.startsWith('//') && !href!.startsWith('/\\'), `${odd} → ${href}`).toBe(true);
      }
    }
  });
});

describe('what the consent page and the console say of an app', () => {
  test('consent names the site the answer goes to and the developer; an operator\'s app says so', async () => {
    const dev = await gh.ctx.users.create({ login: 'dana.dev', password: PASSWORD, isDeveloper: true });
    const owned = await gh.createApp({ name: 'Garden', redirectUris: ['https://garden.example/cb'], ownerId: dev.id });
    const operators = await gh.createApp({ name: 'Intranet', redirectUris: ['com.example.intranet:/cb'], platforms: ['ios'] });
    await gh.createUser('carol', PASSWORD);
    const carol = new HttpUser(gh, 'carol', PASSWORD);
    await carol.signIn();
    const consent = await (await carol.get(`/authorize?response_type=code&client_id=${owned.clientId}`)).text();
    expect(consent).toMatch(/<dd id="app-site"><span translate="no">garden\.example<\/span><\/dd>/);
    expect(consent).toMatch(/<dd id="app-developer"><span translate="no">dana\.dev<\/span><\/dd>/);
    const other = await (await carol.get(`/authorize?response_type=code&client_id=${operators.clientId}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`)).text();
    expect(other).toMatch(/<dd id="app-site"><span translate="no">com\.example\.intranet<\/span><\/dd>/);
    expect(other).toContain('<dd id="app-developer">the operator of this server</dd>');
  });

  test('the console\'s quickstart gives the issuer, the endpoints and a sign-in link that works', async () => {
    const dev = await gh.ctx.users.create({ login: 'quinn', password: PASSWORD, isDeveloper: true });
    const app = await gh.createApp({ name: 'Quick', redirectUris: ['http://127.0.0.1:9999/callback'], ownerId: dev.id });
    const quinn = new HttpUser(gh, 'quinn', PASSWORD);
    await quinn.signIn();
    const body = await (await quinn.get(`/console/apps/${app.clientId}`)).text();
    expect(body).toContain(`<code id="issuer" class="token-text" aria-label="Issuer">${gh.url}</code>`);
    expect(body).toContain(`<code>${gh.url}/.well-known/openid-configuration</code>`);
    expect(body).toContain(`href="/button-generator?client_id=${app.clientId}"`);
    const link = /<a class="button" href="([^"]+)" target="_blank" rel="noopener">Open the sign-in link<\/a>/.exec(body)?.[1]?.replace(/&amp;/g, '&');
    expect(link).toBeDefined();
    const { location } = await quinn.authorize(Object.fromEntries(new URL(link!).searchParams));
    expect(location.origin + location.pathname).toBe('http://127.0.0.1:9999/callback');
    expect(location.searchParams.get('code')).toMatch(/.+/);
  });
});

describe('an operator\'s page for each app', () => {
  test('the app list opens each app: owner, settings, use, its audit entries, and the switches, which lead back to it', async () => {
    await gh.ctx.users.create({ login: 'ops', password: PASSWORD, isAdmin: true });
    const dev = await gh.ctx.users.create({ login: 'otto', password: PASSWORD, isDeveloper: true });
    const app = await gh.createApp({ name: 'Otto’s Orchard', ownerId: dev.id });
    const ops = new HttpUser(gh, 'ops', PASSWORD);
    await ops.signIn();
    const list = await (await ops.get(`/admin/apps?q=${app.clientId}`)).text();
    expect(list).toContain(`href="/admin/apps/${app.clientId}"`);
    const res = await ops.get(`/admin/apps/${app.clientId}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(`<a href="/admin/users/${dev.id}" translate="no">otto</a>`);
    expect(body).toContain(`<code>${app.clientId}</code>`);
    const form = hiddenFields(body);
    const confirmPage = await (await ops.post(`/admin/apps/${app.clientId}/block`, { csrf: form.csrf!, back: 'app' })).text();
    const blocked = await ops.post(`/admin/apps/${app.clientId}/block`, hiddenFields(confirmPage));
    expect(blocked.status).toBe(303);
    expect(blocked.headers.get('location')).toBe(`/admin/apps/${app.clientId}?done=block`);
    expect((await gh.ctx.storage.findApp(app.clientId as never))!.status).toBe('blocked');
    expect(await (await ops.get(`/admin/apps/${app.clientId}`)).text()).toContain('app_blocked');
    expect((await ops.get(`/admin/apps/${'f'.repeat(32)}`)).status).toBe(404);
  });

  test('only operators see it: anyone else gets the page for an address with nothing at it', async () => {
    const app = await gh.createApp({ name: 'Hidden' });
    await gh.createUser('nosy', PASSWORD);
    const nosy = new HttpUser(gh, 'nosy', PASSWORD);
    await nosy.signIn();
    const res = await nosy.get(`/admin/apps/${app.clientId}`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('Hidden');
  });
});
