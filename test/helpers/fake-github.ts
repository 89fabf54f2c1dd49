/**
 * GitHub, as far as a sign-in needs it: the one upstream of Gatehouse's tests
 * that cannot be run here (github.com is not software one can start). This
 * server speaks what GitHub documents for OAuth apps, and nothing more:
 *
 * - `GET /login/oauth/authorize` (client_id, redirect_uri, state, scope,
 *   code_challenge S256): GitHub's own page asks the user to authorize the
 *   app; here the user the test chose authorizes at once, or says no
 *   (`error=access_denied`, as GitHub redirects).
 * - `POST /login/oauth/access_token`: a form with client_id, client_secret,
 *   code, redirect_uri, code_verifier; JSON when asked with
 *   `Accept: application/json`, errors as `200 OK` with `error` and
 *   `error_description`, as GitHub answers them.
 * - `GET /user` and `GET /user/emails` with the token (`Authorization: Bearer`
 *   or `token`), `401 {"message":"Bad credentials"}` without one.
 *
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps,
 * https://docs.github.com/en/rest/users/users, https://docs.github.com/en/rest/users/emails
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
  emails: { email: string; primary: boolean; verified: boolean; visibility: string | null }[];
}

export interface FakeGitHub {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Who authorizes next; null: the user says no. */
  next: GitHubUser | null;
  /** Every token request's form, to check what Gatehouse sent. */
  tokenRequests: Record<string, string>[];
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export async function startFakeGitHub(redirectUri: () => string): Promise<FakeGitHub> {
  const codes = new Map<string, { user: GitHubUser; challenge: string; redirectUri: string }>();
  const tokens = new Map<string, GitHubUser>();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const fake: FakeGitHub = {
    url,
    clientId: `Iv1.${randomBytes(8).toString('hex')}`,
    clientSecret: randomBytes(20).toString('hex'),
    next: null,
    tokenRequests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const json = (res: import('node:http').ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
  };
  server.on('request', (req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', url);
      if (req.method === 'GET' && u.pathname === '/login/oauth/authorize') {
        const q = u.searchParams;
        if (q.get('client_id') !== fake.clientId || q.get('redirect_uri') !== redirectUri()) return json(res, 400, { message: 'The redirect_uri is not associated with this application.' });
        const back = new URL(q.get('redirect_uri')!);
        if (q.get('state')) back.searchParams.set('state', q.get('state')!);
        if (!fake.next) {
          back.searchParams.set('error', 'access_denied');
          back.searchParams.set('error_description', 'The user has denied your application access.');
        } else {
          const code = randomBytes(10).toString('hex');
          codes.set(code, { user: fake.next, challenge: q.get('code_challenge') ?? '', redirectUri: q.get('redirect_uri')! });
          back.searchParams.set('code', code);
        }
        return res.writeHead(302, { location: back.toString() }).end();
      }
      if (req.method === 'POST' && u.pathname === '/login/oauth/access_token') {
        const form = Object.fromEntries(new URLSearchParams(await body(req)));
        fake.tokenRequests.push(form);
        const issued = codes.get(form.code ?? '');
        codes.delete(form.code ?? '');
        const bad = (error: string, description: string) => json(res, 200, { error, error_description: description });
        if (form.client_id !== fake.clientId || form.client_secret !== fake.clientSecret) return bad('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
        if (!issued || issued.redirectUri !== form.redirect_uri) return bad('bad_verification_code', 'The code passed is incorrect or expired.');
        if (issued.challenge && createHash('sha256').update(form.code_verifier ?? '').digest('base64url') !== issued.challenge) return bad('bad_verification_code', 'The code passed is incorrect or expired.');
        const token = `gho_${randomBytes(18).toString('hex')}`;
        tokens.set(token, issued.user);
        return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      }
      const auth = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const user = auth ? tokens.get(auth) : undefined;
      if (req.method === 'GET' && (u.pathname === '/user' || u.pathname === '/user/emails')) {
        if (!user) return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
        if (u.pathname === '/user') return json(res, 200, { login: user.login, id: user.id, name: user.name, email: user.email, type: 'User' });
        return json(res, 200, user.emails);
      }
      json(res, 404, { message: 'Not Found' });
    })();
  });
  return fake;
}
