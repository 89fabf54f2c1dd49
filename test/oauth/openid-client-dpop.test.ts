/**
 * DPoP on the code flow with openid-client, the relying-party library many
 * Node apps use, as an independent peer (issue 19): discovery, the code
 * exchange bound to the app's key (openid-client answers the nonce
 * challenge itself), userinfo and refresh with proofs, and the bound token
 * refused as a bearer token.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';

let gh: TestGatehouse;
let user: HttpUser;

beforeAll(async () => {
  gh = await startGatehouse();
  const u = await gh.createUser('lena', 'correct horse battery', { firstName: 'Lena', lastName: 'Orlova' });
  user = new HttpUser(gh, u.login, u.password);
});
afterAll(async () => { await gh?.close(); });

test('openid-client: code flow with PKCE and DPoP, userinfo and refresh with proofs', async () => {
  const { clientId, clientSecret } = await gh.createApp({ redirectUris: [REDIRECT], scopes: ['openid', 'profile', 'login:info'], requireDpop: true });
  const config = await client.discovery(new URL(gh.url), clientId, clientSecret!, undefined, { execute: [client.allowInsecureRequests] });
  expect(config.serverMetadata().dpop_signing_alg_values_supported).toContain('ES256');
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid profile', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const { location } = await user.authorize(Object.fromEntries(url.searchParams));
  const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }, undefined, { DPoP });
  expect(tokens.token_type).toBe('dpop');
  const sub = tokens.claims()!.sub;

  const me = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP });
  expect(me).toMatchObject({ sub, name: 'Lena Orlova' });

  // The same token as a bearer token is refused with a DPoP challenge.
  const bearer = await fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(bearer.status).toBe(401);
  expect(bearer.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
  expect(refreshed.token_type).toBe('dpop');
  expect(await client.fetchUserInfo(config, refreshed.access_token, sub, { DPoP })).toMatchObject({ sub });
  // Without a proof, an app that requires DPoP gets nothing.
  await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_dpop_proof' });
});
