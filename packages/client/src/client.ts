/**
 * `GatehouseClient`: one app's view of one Gatehouse. It builds authorization
 * requests, checks redirects, talks to the token, device, revocation and user
 * info endpoints, and keeps the tokens in a `TokenStore`, refreshing them
 * shortly before they expire.
 */
import { abortError, ClientErrorCode, GatehouseError, OAuthError, RedirectMismatchError } from './errors.js';
import { codeChallengeS256, generateCodeVerifier, randomString } from './pkce.js';
import { renderQr, type QrCode } from './qr.js';
import { MemoryTokenStore, type TokenSet, type TokenStore } from './token-store.js';

export interface ClientOptions {
  /** Gatehouse's issuer URL, e.g. `https://id.example.org` (no trailing slash). */
  issuer: string;
  clientId: string;
  /** Only for a confidential client running on a server (the web platform); never in an app or a page. */
  clientSecret?: string;
  /** Default redirect URI for `authorize()`. */
  redirectUri?: string;
  /** Default scopes, space-separated. Omitted: the app's registered scopes. */
  scope?: string;
  /** Where tokens are kept; memory by default. */
  store?: TokenStore;
  /** Refresh this many seconds before the access token expires. Default: 60, or a quarter of the token's lifetime if that is shorter. */
  refreshMarginSeconds?: number;
  /** Refresh in the background on a timer, not only when `getAccessToken()` is called. Default false. */
  autoRefresh?: boolean;
  /** Called whenever new tokens are stored (sign-in, refresh). */
  onTokens?: (tokens: TokenSet) => void;
  /** fetch to use; the platform's by default. */
  fetch?: typeof fetch;
  /** The current time in milliseconds; `Date.now` by default (for tests and clocks that drift). */
  now?: () => number;
}

export interface AuthorizeOptions {
  redirectUri?: string;
  scope?: string;
  /** Scopes the user may decline (Gatehouse's `optional_scope`). */
  optionalScope?: string;
  loginHint?: string;
  /** Ask for consent again even when it was given before. */
  forceConfirm?: boolean;
  deviceId?: string;
  deviceName?: string;
  /** Any other /authorize parameter (docs/protocol.md §3), e.g. `prompt`, `nonce`, `ui_locales`. */
  extraParams?: Record<string, string>;
}

/** What `authorize()` returns: the URL to open and what `handleRedirect()` needs to finish. */
export interface PendingAuthorization {
  url: string;
  state: string;
  codeVerifier: string;
  redirectUri: string;
}

export interface DeviceCode {
  userCode: string;
  /** Where the user types the code. */
  verificationUri: string;
  /** The same with the code filled in: what the QR code encodes. */
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
  /** The QR code of `verificationUriComplete`, as terminal text and SVG. */
  qr: QrCode;
}

export interface DeviceLoginOptions {
  scope?: string;
  optionalScope?: string;
  deviceId?: string;
  deviceName?: string;
  /** Shows the code to the user. */
  onCode: (code: DeviceCode) => void | Promise<void>;
  signal?: AbortSignal;
  /** Waits between polls; a timer by default (replace it to drive polling from a test or your own scheduler). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The user info API's answer: Gatehouse's `/info` fields (docs/protocol.md §6) or OpenID Connect `/userinfo` claims. */
export type UserInfo = Record<string, unknown>;

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class GatehouseClient {
  readonly issuer: string;
  readonly clientId: string;
  readonly store: TokenStore;
  private readonly options: ClientOptions;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private pending: PendingAuthorization | null = null;
  private refreshing: Promise<TokenSet> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: ClientOptions) {
    let issuer: URL;
    try {
      issuer = new URL(options.issuer);
    } catch {
      throw new TypeError(`issuer is not a URL: ${options.issuer}`);
    }
    if (issuer.search || issuer.hash) throw new TypeError('issuer must not have a query or fragment');
    this.issuer = options.issuer.replace(/\/+$/, '');
    this.clientId = options.clientId;
    this.options = options;
    this.store = options.store ?? new MemoryTokenStore();
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.now = options.now ?? Date.now;
  }

  private endpoint(path: string): string {
    return this.issuer + path;
  }

  /**
   * Builds an authorization request (RFC 6749 §4.1.1) with PKCE S256
   * (RFC 7636 §4.1–4.3) and a fresh random `state` (RFC 6749 §10.12), and
   * remembers it for `handleRedirect()`. Returns the URL to open in the
   * system browser; keep the returned object yourself (e.g. sessionStorage)
   * when the page or process may restart before the redirect arrives.
   */
  async authorize(options: AuthorizeOptions = {}): Promise<PendingAuthorization> {
    const redirectUri = options.redirectUri ?? this.options.redirectUri;
    if (!redirectUri) throw new TypeError('authorize() needs a redirectUri (in the client options or the call)');
    const state = randomString(32);
    const codeVerifier = generateCodeVerifier();
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: redirectUri,
      state,
      code_challenge: await codeChallengeS256(codeVerifier),
      code_challenge_method: 'S256',
    });
    const scope = options.scope ?? this.options.scope;
    if (scope) params.set('scope', scope);
    if (options.optionalScope) params.set('optional_scope', options.optionalScope);
    if (options.loginHint) params.set('login_hint', options.loginHint);
    if (options.forceConfirm) params.set('force_confirm', 'yes');
    if (options.deviceId) params.set('device_id', options.deviceId);
    if (options.deviceName) params.set('device_name', options.deviceName);
    for (const [k, v] of Object.entries(options.extraParams ?? {})) params.set(k, v);
    this.pending = { url: `${this.endpoint('/authorize')}?${params.toString()}`, state, codeVerifier, redirectUri };
    return this.pending;
  }

  /**
   * Finishes a sign-in from the URL the browser was sent back to. Checks, in
   * order: that `state` is the one sent (RFC 6749 §10.12); that `iss` names
   * this issuer (RFC 9207 §2.4: Gatehouse always sends it, so a missing one
   * is refused too); then an `error` is thrown as an `OAuthError`
   * (RFC 6749 §4.1.2.1), and a `code` is exchanged with the PKCE verifier
   * (RFC 6749 §4.1.3, RFC 7636 §4.5). The tokens are stored and returned.
   */
  async handleRedirect(url: string | URL, pending: PendingAuthorization | null = this.pending): Promise<TokenSet> {
    if (!pending) throw new GatehouseError(ClientErrorCode.NoPendingRequest, 'no authorization request is pending: call authorize() first or pass what it returned');
    const parsed = new URL(url);
    // Gatehouse answers `code` in the query; an error of the implicit flow would be in the fragment.
    const params = parsed.searchParams.has('state') || parsed.searchParams.has('error') ? parsed.searchParams : new URLSearchParams(parsed.hash.slice(1));
    if (params.get('state') !== pending.state) {
      throw new RedirectMismatchError(ClientErrorCode.StateMismatch, 'the redirect does not answer this client\'s authorization request (state differs)');
    }
    const iss = params.get('iss');
    if (iss !== this.issuer) {
      throw new RedirectMismatchError(ClientErrorCode.IssuerMismatch, iss === null
        ? 'the redirect carries no iss parameter (RFC 9207)'
        : `the redirect comes from ${iss}, not ${this.issuer} (RFC 9207)`);
    }
    if (this.pending === pending) this.pending = null;
    const error = params.get('error');
    if (error !== null) throw new OAuthError(error, params.get('error_description') ?? 'the authorization request was refused');
    const code = params.get('code');
    if (!code) throw new GatehouseError(ClientErrorCode.MissingCode, 'the redirect carries neither a code nor an error');
    return this.exchangeCode(code, pending.codeVerifier, pending.redirectUri);
  }

  /**
   * Exchanges an authorization code at /token (RFC 6749 §4.1.3) with its PKCE
   * verifier (RFC 7636 §4.5) and stores the tokens. `handleRedirect()` calls
   * it; call it directly for a code the user typed (docs/protocol.md §5.2, `redirectUri`
   * being `{issuer}/verification_code`).
   */
  async exchangeCode(code: string, codeVerifier: string | null, redirectUri: string): Promise<TokenSet> {
    const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: redirectUri };
    if (codeVerifier !== null) form.code_verifier = codeVerifier;
    return this.save(await this.tokenRequest(form));
  }

  /**
   * Signs in with the device flow (RFC 8628): asks /device/code for a user
   * code (§3.1–3.2), hands it to `onCode` with a QR code of the complete
   * verification URI (§3.3.1), then polls /token no faster than `interval`,
   * adding 5 seconds on every `slow_down` (§3.5), until the user decides.
   * Resolves with the stored tokens; rejects with an `OAuthError`
   * (`access_denied`, `expired_token`) or, when `signal` fires, `aborted`.
   */
  async deviceLogin(options: DeviceLoginOptions): Promise<TokenSet> {
    const { signal } = options;
    const sleep = options.sleep ?? sleepFor;
    const form: Record<string, string> = { client_id: this.clientId };
    const scope = options.scope ?? this.options.scope;
    if (scope) form.scope = scope;
    if (options.optionalScope) form.optional_scope = options.optionalScope;
    if (options.deviceId) form.device_id = options.deviceId;
    if (options.deviceName) form.device_name = options.deviceName;
    const started = await this.post('/device/code', form, signal, false);
    const deviceCode = stringField(started, 'device_code');
    const verificationUri = stringField(started, 'verification_uri', 'verification_url');
    const userCode = stringField(started, 'user_code');
    const complete = typeof started.verification_uri_complete === 'string' ? started.verification_uri_complete : verificationUri;
    let interval = typeof started.interval === 'number' && started.interval > 0 ? started.interval : 5;
    const expiresIn = typeof started.expires_in === 'number' ? started.expires_in : 300;
    const deadline = this.now() + expiresIn * 1000;
    await options.onCode({ userCode, verificationUri, verificationUriComplete: complete, expiresIn, interval, qr: renderQr(complete) });

    for (;;) {
      await sleep(interval * 1000, signal);
      if (signal?.aborted) throw abortError(signal);
      try {
        return this.save(await this.tokenRequest({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode }, signal));
      } catch (err) {
        if (!(err instanceof OAuthError)) throw err;
        if (err.code === 'slow_down') interval += 5;
        else if (err.code !== 'authorization_pending') throw err;
      }
      if (this.now() >= deadline) throw new OAuthError('expired_token', 'the user code expired before the user decided');
    }
  }

  /**
   * Exchanges the stored refresh token for new tokens (RFC 6749 §6). A
   * public client's refresh token rotates (RFC 9700 §4.14.2), so concurrent
   * calls share one request: a second use of the old token would revoke them all.
   */
  refresh(): Promise<TokenSet> {
    this.refreshing ??= (async () => {
      try {
        const current = await this.store.get();
        if (!current?.refreshToken) throw new GatehouseError(ClientErrorCode.NotSignedIn, 'there is no refresh token: sign in first');
        return this.save(await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: current.refreshToken }), current);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /**
   * A valid access token: the stored one, or a refreshed one when it expires
   * within the refresh margin (RFC 6749 §6). Throws `not_signed_in` without tokens.
   */
  async getAccessToken(): Promise<string> {
    const tokens = await this.store.get();
    if (!tokens) throw new GatehouseError(ClientErrorCode.NotSignedIn, 'no tokens: sign in first');
    if (this.needsRefresh(tokens)) return (await this.refresh()).accessToken;
    return tokens.accessToken;
  }

  /**
   * Revokes the tokens at /revoke (RFC 7009 §2.1): the refresh token when
   * there is one (which revokes its access tokens too), else the access token;
   * then forgets them. Gatehouse revokes the whole authorization either way.
   */
  async revoke(): Promise<void> {
    this.stopTimer();
    const tokens = await this.store.get();
    if (!tokens) return;
    const [token, hint] = tokens.refreshToken ? [tokens.refreshToken, 'refresh_token'] : [tokens.accessToken, 'access_token'];
    await this.post('/revoke', { token, token_type_hint: hint }, undefined, true);
    await this.store.clear();
  }

  /**
   * The signed-in user: Gatehouse's login info API (`/info`, docs/protocol.md §6, the
   * fields of the granted `login:*` scopes) or, with `endpoint: 'userinfo'`,
   * OpenID Connect claims (OIDC Core §5.3). Sent as a form body
   * (RFC 6750 §2.2), so a browser needs no CORS preflight. Refreshes first if
   * the access token is about to expire.
   */
  async getUserInfo(options: { endpoint?: 'info' | 'userinfo' } = {}): Promise<UserInfo> {
    const accessToken = await this.getAccessToken();
    const path = options.endpoint === 'userinfo' ? '/userinfo' : '/info';
    const form: Record<string, string> = path === '/info' ? { format: 'json', oauth_token: accessToken } : { access_token: accessToken };
    return this.post(path, form, undefined, false);
  }

  /** Stops the background refresh timer (`autoRefresh`). */
  stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private refreshAt(tokens: TokenSet): number | null {
    if (tokens.expiresAt === null || !tokens.refreshToken) return null;
    return tokens.expiresAt - this.marginMs(tokens);
  }

  private marginMs(tokens: TokenSet): number {
    const lifetime = tokens.expiresIn === null ? Infinity : tokens.expiresIn * 1000;
    if (this.options.refreshMarginSeconds !== undefined) return Math.min(this.options.refreshMarginSeconds * 1000, lifetime);
    return Math.min(60_000, lifetime / 4);
  }

  private needsRefresh(tokens: TokenSet): boolean {
    const at = this.refreshAt(tokens);
    return at !== null && this.now() >= at;
  }

  private async save(body: Record<string, unknown>, previous?: TokenSet): Promise<TokenSet> {
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : null;
    const tokens: TokenSet = {
      accessToken: stringField(body, 'access_token'),
      tokenType: typeof body.token_type === 'string' ? body.token_type : 'bearer',
      // RFC 6749 §6: the server may keep the refresh token; then the old one stays valid.
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : (previous?.refreshToken ?? null),
      scope: typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : (previous?.scope ?? []),
      idToken: typeof body.id_token === 'string' ? body.id_token : null,
      expiresIn,
      expiresAt: expiresIn === null ? null : this.now() + expiresIn * 1000,
    };
    await this.store.set(tokens);
    this.options.onTokens?.(tokens);
    this.schedule(tokens);
    return tokens;
  }

  private schedule(tokens: TokenSet): void {
    if (!this.options.autoRefresh) return;
    this.stopTimer();
    const at = this.refreshAt(tokens);
    if (at === null) return;
    // setTimeout holds at most 2^31-1 ms; a year-long token is refreshed when the timer is re-armed.
    const delay = Math.min(Math.max(0, at - this.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.timer = null;
      void (async () => {
        const current = await this.store.get();
        if (current && this.needsRefresh(current)) await this.refresh();
        else if (current) this.schedule(current);
      })().catch(() => { /* the next getAccessToken() reports it */ });
    }, delay);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** POST /token with client authentication (RFC 6749 §2.3.1, §3.2). */
  private tokenRequest(form: Record<string, string>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.post('/token', form, signal, true);
  }

  /**
   * A form POST. With `authenticate`, a confidential client sends HTTP Basic
   * with both parts form-urlencoded first (RFC 6749 §2.3.1); a public client
   * sends `client_id` in the body (RFC 6749 §3.2.1).
   */
  private async post(path: string, form: Record<string, string>, signal: AbortSignal | undefined, authenticate: boolean): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const body = new URLSearchParams(form);
    if (authenticate) {
      if (this.options.clientSecret !== undefined) {
        const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
        headers.authorization = 'Basic ' + btoa(`${enc(this.clientId)}:${enc(this.options.clientSecret)}`);
      } else {
        body.set('client_id', this.clientId);
      }
    }
    let res: Response;
    try {
      res = await this.fetch(this.endpoint(path), { method: 'POST', headers, body, ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw new GatehouseError(ClientErrorCode.NetworkError, `cannot reach ${this.endpoint(path)}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.ok && text === '') return {};
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GatehouseError(ClientErrorCode.InvalidResponse, `${this.endpoint(path)} answered ${res.status} without JSON: is ${this.issuer} a Gatehouse?`, res.status);
    }
    const obj = (json ?? {}) as Record<string, unknown>;
    if (!res.ok || typeof obj.error === 'string') {
      const code = typeof obj.error === 'string' ? obj.error : 'server_error';
      throw new OAuthError(code, typeof obj.error_description === 'string' ? obj.error_description : `HTTP ${res.status}`, res.status);
    }
    return obj;
  }
}

function stringField(body: Record<string, unknown>, ...names: string[]): string {
  for (const name of names) if (typeof body[name] === 'string') return body[name] as string;
  throw new GatehouseError(ClientErrorCode.InvalidResponse, `the response has no ${names[0]}`);
}
