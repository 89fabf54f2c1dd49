/**
 * An OpenID Connect upstream, spoken to with openid-client (panva), the
 * certified relying party: discovery, the authorization URL with `state`,
 * `nonce` and PKCE (S256), and at the callback the checks OIDC Core §3.1.3.7
 * asks for (id_token signature against the discovered JWKS, `iss`, `aud`,
 * `exp`, `nonce`), the `iss` of the authorization response (RFC 9207) and
 * userinfo read for the same `sub` (§5.3.2).
 */
import * as client from 'openid-client';
import { profileFromClaims, UpstreamError, type UpstreamProfile } from './profile.js';
import { FETCH_TIMEOUT_MS, isLoopbackHttp, type AuthorizationRequest, type CallbackCheck, type UpstreamClient, type UpstreamSettings } from './upstream-client.js';

/** Discovered metadata is kept this long per upstream (and per change of its settings). */
const DISCOVERY_TTL_MS = 10 * 60_000;
const discovered = new Map<string, { at: number; config: Promise<client.Configuration> }>();

async function discover(u: UpstreamSettings): Promise<client.Configuration> {
  const options: client.DiscoveryRequestOptions = { timeout: FETCH_TIMEOUT_MS / 1000 };
  // Plain http only for a provider on this machine (development, tests); openid-client refuses it otherwise.
  if (isLoopbackHttp(u.issuer)) options.execute = [client.allowInsecureRequests];
  const found = await client.discovery(new URL(u.issuer), u.clientId, undefined, client.ClientSecretBasic(u.clientSecret), options);
  const { supportsPKCE: _helper, ...metadata } = found.serverMetadata();
  const server: client.ServerMetadata = {
    ...metadata,
    ...(u.authorizationEndpoint ? { authorization_endpoint: u.authorizationEndpoint } : {}),
    ...(u.tokenEndpoint ? { token_endpoint: u.tokenEndpoint } : {}),
    ...(u.userinfoEndpoint ? { userinfo_endpoint: u.userinfoEndpoint } : {}),
  };
  const config = new client.Configuration(server, u.clientId, undefined, client.ClientSecretBasic(u.clientSecret));
  config.timeout = FETCH_TIMEOUT_MS / 1000;
  if (options.execute) client.allowInsecureRequests(config);
  return config;
}

function configurationOf(u: UpstreamSettings, now: number): Promise<client.Configuration> {
  const key = `${u.name}\n${u.updatedAt}\n${u.issuer}\n${u.clientId}`;
  const cached = discovered.get(key);
  if (cached && now - cached.at < DISCOVERY_TTL_MS) return cached.config;
  const config = discover(u);
  discovered.set(key, { at: now, config });
  // A failed discovery is not kept: the next sign-in tries again.
  config.catch(() => discovered.delete(key));
  return config;
}

/** Sorts what openid-client threw into the failures the pages tell apart. */
export function classify(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof client.AuthorizationResponseError) {
    return new UpstreamError(err.error === 'access_denied' ? 'denied' : 'invalid_response', `the upstream answered ${err.error}`);
  }
  if (err instanceof client.ResponseBodyError) {
    return new UpstreamError(err.status >= 500 ? 'unreachable' : 'invalid_response', `the upstream refused: ${err.error}`);
  }
  const e = err as Error & { code?: string; cause?: unknown };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || (e instanceof TypeError && /fetch failed/.test(e.message))) {
    return new UpstreamError('unreachable', 'the upstream could not be reached');
  }
  if (e?.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || e?.code === 'OAUTH_RESPONSE_IS_NOT_JSON') {
    const status = (e.cause as { status?: number } | undefined)?.status;
    if (typeof status === 'number' && status >= 500) return new UpstreamError('unreachable', `the upstream answered ${status}`);
  }
  return new UpstreamError('invalid_response', `the upstream's answer was not valid: ${e?.message ?? String(err)}`);
}

export const oidcUpstream: UpstreamClient = {
  async authorizationUrl(u: UpstreamSettings, request: AuthorizationRequest, now: number): Promise<URL> {
    let config: client.Configuration;
    try {
      config = await configurationOf(u, now);
    } catch (err) {
      throw classify(err).failure === 'invalid_response' ? new UpstreamError('unreachable', 'the upstream\'s discovery document could not be read') : classify(err);
    }
    return client.buildAuthorizationUrl(config, {
      redirect_uri: request.redirectUri,
      scope: u.scope,
      state: request.state,
      nonce: request.nonce,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    });
  },

  async finish(u: UpstreamSettings, check: CallbackCheck, now: number): Promise<UpstreamProfile> {
    try {
      const config = await configurationOf(u, now);
      const expectedIssuer = config.serverMetadata().issuer;
      const iss = check.callbackUrl.searchParams.get('iss');
      if (iss !== null && iss !== expectedIssuer) throw new UpstreamError('wrong_issuer', 'the answer names another issuer (RFC 9207)');
      const tokens = await client.authorizationCodeGrant(config, check.callbackUrl, {
        pkceCodeVerifier: check.codeVerifier,
        expectedState: check.state,
        expectedNonce: check.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new UpstreamError('invalid_response', 'no id_token');
      let userinfo: Record<string, unknown> = {};
      if (config.serverMetadata().userinfo_endpoint) userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      // The id_token's claims win over userinfo's where both speak: they are signed.
      return profileFromClaims({ ...userinfo, ...claims });
    } catch (err) {
      throw classify(err);
    }
  },
};
