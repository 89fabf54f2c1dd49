/**
 * Yandex ID and GitHub as upstreams: plain OAuth 2.0 (RFC 6749 §4.1) with
 * `state` and PKCE (RFC 7636), no id_token, and a profile endpoint of each
 * provider's own (src/upstreams/presets.ts).
 *
 * A small fetch-based client rather than openid-client's: neither provider
 * publishes discovery or issues id_tokens, Yandex's profile endpoint takes
 * its own `Authorization: OAuth` scheme and GitHub's wants its media type, a
 * User-Agent and a second request for verified addresses, and GitHub answers
 * a refused code with `200 OK` and an `error` field. The PKCE values come
 * from openid-client all the same (federation.ts), so there is one
 * implementation of those.
 */
import { PRESETS, githubProfile, yandexProfile } from './presets.js';
import { UpstreamError, type UpstreamProfile } from './profile.js';
import { FETCH_TIMEOUT_MS, type AuthorizationRequest, type CallbackCheck, type UpstreamClient, type UpstreamSettings } from './upstream-client.js';

/** A profile or token answer larger than this is not read. */
const MAX_BODY = 256 * 1024;

function endpoints(u: UpstreamSettings): { authorization: string; token: string; userinfo: string } {
  const preset = PRESETS[u.kind as 'yandex' | 'github'];
  return {
    authorization: u.authorizationEndpoint ?? preset.authorizationEndpoint,
    token: u.tokenEndpoint ?? preset.tokenEndpoint,
    userinfo: u.userinfoEndpoint ?? preset.userinfoEndpoint,
  };
}

async function fetchJson(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch {
    throw new UpstreamError('unreachable', `${new URL(url).host} could not be reached`);
  }
  if (res.status >= 500) throw new UpstreamError('unreachable', `${new URL(url).host} answered ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_BODY) throw new UpstreamError('invalid_response', 'the answer was too large');
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    throw new UpstreamError('invalid_response', `${new URL(url).host} answered with something other than JSON (status ${res.status})`);
  }
}

/** The access token for the code, or why not. GitHub reports errors with 200 and an `error` field; Yandex with 400. */
async function redeem(u: UpstreamSettings, check: CallbackCheck, code: string): Promise<string> {
  const { token } = endpoints(u);
  const { status, body } = await fetchJson(token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'Gatehouse' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: check.redirectUri, code_verifier: check.codeVerifier,
      client_id: u.clientId, client_secret: u.clientSecret,
    }),
  });
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (status !== 200 || typeof b.error === 'string' || typeof b.access_token !== 'string' || b.access_token === '') {
    throw new UpstreamError('invalid_response', `the code was refused: ${typeof b.error === 'string' ? b.error.slice(0, 60) : `status ${status}`}`);
  }
  return b.access_token;
}

async function profile(u: UpstreamSettings, accessToken: string): Promise<UpstreamProfile> {
  const { userinfo } = endpoints(u);
  if (u.kind === 'yandex') {
    const { status, body } = await fetchJson(userinfo, { headers: { authorization: `OAuth ${accessToken}`, accept: 'application/json' } });
    if (status !== 200) throw new UpstreamError('invalid_response', `the profile was refused (status ${status})`);
    return yandexProfile(body);
  }
  const headers = { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json', 'user-agent': 'Gatehouse', 'x-github-api-version': '2022-11-28' };
  const user = await fetchJson(userinfo, { headers });
  if (user.status !== 200) throw new UpstreamError('invalid_response', `the profile was refused (status ${user.status})`);
  // Without the user:email scope GitHub answers 403 or 404 here: then there is no verified address, and that is all.
  const emails = await fetchJson(`${userinfo.replace(/\/$/, '')}/emails`, { headers });
  return githubProfile(user.body, emails.status === 200 ? emails.body : []);
}

export const oauthUpstream: UpstreamClient = {
  async authorizationUrl(u: UpstreamSettings, request: AuthorizationRequest): Promise<URL> {
    const url = new URL(endpoints(u).authorization);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', u.clientId);
    url.searchParams.set('redirect_uri', request.redirectUri);
    url.searchParams.set('scope', u.scope);
    url.searchParams.set('state', request.state);
    url.searchParams.set('code_challenge', request.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    return url;
  },

  async finish(u: UpstreamSettings, check: CallbackCheck): Promise<UpstreamProfile> {
    const q = check.callbackUrl.searchParams;
    // RFC 9207: an answer naming another issuer is a mix-up, whatever else it says.
    const iss = q.get('iss');
    if (iss !== null && iss !== u.issuer) throw new UpstreamError('wrong_issuer', 'the answer names another issuer (RFC 9207)');
    const error = q.get('error');
    if (error !== null) throw new UpstreamError(error === 'access_denied' ? 'denied' : 'invalid_response', `the upstream answered ${error.slice(0, 60)}`);
    if (q.get('state') !== check.state) throw new UpstreamError('bad_state', 'the state does not match');
    const code = q.get('code');
    if (!code) throw new UpstreamError('invalid_response', 'the answer carries no code');
    return profile(u, await redeem(u, check, code));
  },
};
