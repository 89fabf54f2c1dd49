/**
 * Headers and cookies on every page and endpoint (issue 10, docs/protocol.md §12): every
 * GET route the router knows, anonymous and signed in, answers with nosniff,
 * Referrer-Policy no-referrer and a Content-Security-Policy; pages allow no
 * inline script or style (and have none), cannot be framed except the
 * instant-login frames, and are not cached; pages that carry codes or tokens
 * (verification code, form_post, consent) say no-referrer in the page too.
 * Cookies are HttpOnly and SameSite=Lax, Secure and `__Host-` prefixed when
 * the issuer is https (with HSTS), and signing in always starts a new session.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser, postForm } from '../helpers/http-client.js';

let gh: TestGatehouse;
let admin: HttpUser;
let clientId: string;
let userId: string;

beforeAll(async () => {
  gh = await startGatehouse();
  const created = await gh.createApp({ name: 'Headers app', scopes: ['login:info', 'openid'], redirectUris: ['https://app.example/callback'] });
  clientId = created.clientId;
  const operator = await gh.ctx.users.create({ login: 'headeradmin', password: 'correct horse battery', isAdmin: true, isDeveloper: true });
  userId = operator.id;
  await gh.ctx.apps.update(created.app.clientId, { ownerId: operator.id });
  admin = new HttpUser(gh, 'headeradmin', 'correct horse battery');
  await admin.signIn();
});
afterAll(async () => {
  await gh?.close();
});

/** Every GET route of the router, with its parameters filled with real values where one exists. */
function getPaths(): string[] {
  const tree = gh.server.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = Math.round(m[1]!.length / 4);
    stack.length = depth;
    stack[depth] = m[2]!;
    if (!m[3]!.split(', ').includes('GET')) continue;
    const fill: Record<string, string> = { name: 'gatehouse.css', id: clientId, version: '0', action: 'block' };
    let path = stack.join('').replace('*', 'no-such-page');
    if (path.startsWith('/admin/users/')) path = path.replace(':id', userId);
    out.push(path.replace(/:([a-z]+)/gi, (_, p: string) => fill[p] ?? 'x'));
  }
  return out;
}

function checkCommon(res: Response, what: string): void {
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(res.headers.get('referrer-policy'), what).toBe('no-referrer');
  expect(res.headers.get('content-security-policy'), what).toBeTruthy();
  expect(res.headers.get('strict-transport-security'), `${what}: no HSTS on http`).toBeNull();
}

/** CSP directives by name. */
function csp(res: Response): Map<string, string> {
  return new Map((res.headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...values] = d.split(/\s+/);
    return [name!, values.join(' ')];
  }));
}

async function checkPage(res: Response, what: string): Promise<void> {
  const policy = csp(res);
  expect(policy.get('default-src'), what).toBe("'none'");
  const scripts = policy.get('script-src') ?? policy.get('default-src')!;
  const styles = policy.get('style-src') ?? policy.get('default-src')!;
  expect(scripts, what).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*|data:/);
  expect(styles, what).not.toMatch(/'unsafe-inline'|\*/);
  expect(policy.get('base-uri'), what).toBe("'none'");
  expect(res.headers.get('cache-control'), what).toMatch(/no-store/);
  const html = await res.text();
  const framed = new URL(res.url).pathname.startsWith('/suggest');
  if (!framed) {
    expect(policy.get('frame-ancestors'), what).toBe("'none'");
    expect(res.headers.get('x-frame-options'), what).toBe('DENY');
  } else if (policy.get('frame-ancestors') === '*') {
    // The instant-login frame's error answer (bad_origin, not_available) may be framed by any page: it has nothing to click.
    expect(html, what).not.toMatch(/<(form|button|a|input)[\s>]/i);
  }
  // Nothing inline unless the policy names its nonce: every script has a src, no style element without
  // the nonce, no style attribute, no event handler, no javascript: URL.
  const nonced = (directive: string) => (element: string) => {
    const nonce = /\snonce="([^"]+)"/.exec(element)?.[1];
    return nonce === undefined || !directive.includes(`'nonce-${nonce}'`);
  };
  expect((html.match(/<script(?![^>]*\ssrc=)[^>]*>/gi) ?? []).filter(nonced(scripts)), what).toEqual([]);
  expect((html.match(/<style[^>]*>/gi) ?? []).filter(nonced(styles)), what).toEqual([]);
  expect(html.match(/\sstyle\s*=/gi) ?? [], what).toEqual([]);
  expect(html.match(/\son[a-z]+\s*=/gi) ?? [], what).toEqual([]);
  expect(html.match(/(?:href|src|action)\s*=\s*["']?\s*javascript:/gi) ?? [], what).toEqual([]);
}

describe('every GET route, anonymous and signed in', () => {
  test('security headers on every answer; pages without inline script or style', async () => {
    const paths = getPaths();
    expect(paths.length).toBeGreaterThan(25);
    let pages = 0;
    for (const path of paths) {
      for (const who of ['anonymous', 'operator'] as const) {
        const res = who === 'operator' ? await admin.get(path) : await fetch(gh.url + path, { redirect: 'manual' });
        const what = `${who} GET ${path} → ${res.status}`;
        expect(res.status, what).toBeLessThan(500);
        checkCommon(res, what);
        if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
          await checkPage(res, what);
          pages++;
        } else {
          await res.arrayBuffer();
        }
      }
    }
    expect(pages).toBeGreaterThan(15);
  });

  test('POST endpoints and errors carry the same headers; token answers are not cached', async () => {
    for (const path of ['/token', '/revoke', '/revoke_token', '/introspect', '/device/code', '/login', '/authorize', '/userinfo', '/info']) {
      const res = await postForm(gh.url + path, { grant_type: 'nonsense' });
      checkCommon(res, `POST ${path}`);
      expect(res.headers.get('cache-control'), `POST ${path}`).toMatch(/no-store/);
    }
    const tokens = await postForm(gh.url + '/token', { grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong' });
    expect(tokens.headers.get('cache-control')).toBe('no-store');
  });
});

describe('CORS (RFC 9700 §2.6)', () => {
  test('no CORS on the authorization endpoint or pages; the token and metadata endpoints answer any origin without credentials', async () => {
    const origin = { origin: 'https://elsewhere.example' };
    for (const path of ['/authorize?response_type=code&client_id=' + clientId, '/login', '/device', '/logout', '/']) {
      const res = await fetch(gh.url + path, { headers: origin, redirect: 'manual' });
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const preflight = await fetch(`${gh.url}/authorize`, { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      const res = await fetch(gh.url + path, { headers: origin });
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(res.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
    const token = await postForm(gh.url + '/token', { grant_type: 'client_credentials' }, origin);
    expect(token.headers.get('access-control-allow-origin')).toBe('*');
    expect(token.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('pages that carry codes or tokens', () => {
  test('the verification code page, the form_post page and the consent page say no-referrer in the header and the page', async () => {
    const code = await admin.get(`/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: `${gh.url}/verification_code`, force_confirm: 'yes' })}`);
    const consentPage = await code.text();
    expect(code.headers.get('referrer-policy')).toBe('no-referrer');
    expect(consentPage).toContain('<meta name="referrer" content="no-referrer">');
    const shown = await admin.post('/authorize', { ...hiddenFields(consentPage), decision: 'allow' });
    const landing = await admin.get(shown.headers.get('location')!);
    expect(landing.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await landing.text()).toContain('<meta name="referrer" content="no-referrer">');
    const posted = await admin.get(`/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: 'https://app.example/callback', response_mode: 'form_post' })}`);
    expect(posted.status).toBe(200);
    expect(posted.headers.get('referrer-policy')).toBe('no-referrer');
    const form = await posted.text();
    expect(form).toContain('<meta name="referrer" content="no-referrer">');
    expect(form).toMatch(/name="code"/);
  });
});

describe('cookies', () => {
  test('on http: HttpOnly, SameSite=Lax, Path=/, no Secure; a new session id at every sign-in, the old one dead', async () => {
    const person = new HttpUser(gh, 'headeradmin', 'correct horse battery');
    // A planted session id (fixation) is replaced at sign-in.
    const planted = 'A'.repeat(43);
    person.jar.store(new Response(null, { headers: { 'set-cookie': `gatehouse_session=${planted}; Path=/` } }));
    const page = await person.get('/login');
    for (const line of page.headers.getSetCookie()) expect(line).toMatch(/; HttpOnly/i);
    const res = await person.post('/login', { ...hiddenFields(await page.text()), login: 'headeradmin', password: 'correct horse battery' });
    const session = res.headers.getSetCookie().find((c) => c.startsWith('gatehouse_session='))!;
    expect(session).toMatch(/; HttpOnly/i);
    expect(session).toMatch(/; SameSite=Lax/i);
    expect(session).toMatch(/; Path=\//i);
    expect(session).not.toMatch(/; Secure/i);
    expect(session).not.toMatch(/; Domain=/i);
    const first = person.jar.get('gatehouse_session')!;
    expect(first).not.toBe(planted);
    // Signing in again (switch account) rotates the id and ends the old session.
    const again = await person.get('/login?switch=1');
    await person.post('/login', { ...hiddenFields(await again.text()), login: 'headeradmin', password: 'correct horse battery' });
    const second = person.jar.get('gatehouse_session')!;
    expect(second).not.toBe(first);
    const withOld = await fetch(`${gh.url}/login`, { redirect: 'manual', headers: { cookie: `gatehouse_session=${first}` } });
    expect(withOld.status).toBe(200); // the sign-in form again: the old id is no session
  });

  test('on https: Secure and __Host- prefixed, with HSTS', async () => {
    const secure = await startGatehouse({ config: { issuer: 'https://gatehouse.example' } });
    try {
      await secure.createUser('secureuser', 'correct horse battery');
      const base = `http://127.0.0.1:${(secure.server.server.address() as { port: number }).port}`;
      const page = await fetch(`${base}/login`);
      expect(page.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
      const csrfCookie = page.headers.getSetCookie().find((c) => c.startsWith('__Host-gatehouse_csrf='))!;
      expect(csrfCookie).toMatch(/; Secure/i);
      const csrf = /=([^;]+)/.exec(csrfCookie)![1]!;
      const res = await postForm(`${base}/login`, { ...hiddenFields(await page.text()), login: 'secureuser', password: 'correct horse battery' }, { cookie: `__Host-gatehouse_csrf=${csrf}` });
      expect(res.status).toBe(303);
      const session = res.headers.getSetCookie().find((c) => c.startsWith('__Host-gatehouse_session='))!;
      for (const attribute of [/; Secure/i, /; HttpOnly/i, /; SameSite=Lax/i, /; Path=\//i]) expect(session).toMatch(attribute);
      expect(session).not.toMatch(/; Domain=/i);
      expect(res.headers.get('strict-transport-security')).toBeTruthy();
    } finally {
      await secure.close();
    }
  });
});
