/**
 * A browser without a browser: plain fetch with a cookie jar, for tests that
 * need to sign in and consent but are about something else (the token
 * endpoint, a client library). Everything goes over real HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TestGatehouse } from './gatehouse.js';

/** The session and CSRF cookies Gatehouse sets, kept between requests. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Sets or (with undefined) forgets a cookie, as a user clearing or editing cookies would. */
  set(name: string, value: string | undefined): void {
    if (value === undefined) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** A PKCE pair (RFC 7636 §4.1, §4.2): a 43-character verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** `Authorization: Basic` with both parts form-urlencoded first (RFC 6749 §2.3.1). */
export function basicAuth(clientId: string, clientSecret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64');
}

/** POSTs a form body; a string body is sent as is, to test malformed input. */
export function postForm(url: string, body: Record<string, string> | string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body),
  });
}

/** The value of every `<input type="hidden">` of a page, unescaped. */
export function hiddenFields(page: string): Record<string, string> {
  const unescape = (s: string) =>
    s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return Object.fromEntries(
    [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)]),
  );
}

/** One user's browser session with a Gatehouse, over fetch. */
export class HttpUser {
  readonly jar = new CookieJar();

  constructor(
    private readonly gh: TestGatehouse,
    readonly login: string,
    readonly password: string,
  ) {}

  async get(pathOrUrl: string): Promise<Response> {
    const res = await fetch(new URL(pathOrUrl, this.gh.url), { redirect: 'manual', headers: { cookie: this.jar.header() } });
    this.jar.store(res);
    return res;
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    const res = await postForm(this.gh.url + path, form, { cookie: this.jar.header() });
    this.jar.store(res);
    return res;
  }

  /** Signs in through the login page, as a person would (CSRF token included). */
  async signIn(returnTo = '/'): Promise<void> {
    const page = await this.get(`/login?return_to=${encodeURIComponent(returnTo)}`);
    const fields = hiddenFields(await page.text());
    const res = await this.post('/login', { ...fields, login: this.login, password: this.password });
    if (res.status !== 303) throw new Error(`sign-in of ${this.login} failed with status ${res.status}`);
  }

  /**
   * Runs /authorize to its end: signs in when sent to the login page, answers
   * the consent page with `decision` when it is shown, and returns where
   * Gatehouse finally redirects (the app's redirect URI with the response).
   */
  async authorize(params: Record<string, string>, decision: 'allow' | 'deny' = 'allow'): Promise<{ location: URL; consentShown: boolean }> {
    const path = `/authorize?${new URLSearchParams(params).toString()}`;
    let res = await this.get(path);
    if (res.status === 302 && res.headers.get('location')!.startsWith('/login?')) {
      await this.signIn(path);
      res = await this.get(path);
    }
    if (res.status === 302) return { location: new URL(res.headers.get('location')!), consentShown: false };
    if (res.status !== 200) throw new Error(`/authorize answered ${res.status}: ${await res.text()}`);
    const consent = await res.text();
    if (!consent.includes('name="decision"')) throw new Error(`/authorize showed no consent page: ${consent.slice(0, 500)}`);
    res = await this.post('/authorize', { ...hiddenFields(consent), decision });
    if (res.status !== 303) throw new Error(`consent answered ${res.status}: ${await res.text()}`);
    return { location: new URL(res.headers.get('location')!), consentShown: true };
  }

  /** `authorize` that must succeed: returns the code from the redirect. */
  async code(params: Record<string, string>): Promise<string> {
    const { location } = await this.authorize(params);
    const code = location.searchParams.get('code');
    if (code === null) throw new Error(`no code in the redirect: ${location.toString()}`);
    return code;
  }
}
