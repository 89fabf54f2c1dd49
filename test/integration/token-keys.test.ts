/**
 * Tokens are kept under a key that starts with the time they were issued
 * (`tokenKey` in src/oauth/tokens.ts), so that a grant's row lands beside the
 * ones issued just before it. Over HTTP, on the engine under test: tokens
 * minted before that form (kept under their bare SHA-256) go on working
 * everywhere a token is taken, and a token whose visible issue time is
 * changed is a token nobody issued.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomToken, sha256Hex } from '../../src/crypto/random.js';
import { tokenKey } from '../../src/oauth/tokens.js';
import type { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, postForm } from '../helpers/http-client.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';

let gh: TestGatehouse;
let user: HttpUser;
let app: { clientId: string; clientSecret: string };

beforeAll(async () => {
  gh = await startGatehouse();
  const u = await gh.createUser('ines');
  user = new HttpUser(gh, u.login, u.password);
  const created = await gh.createApp({ name: 'Keys app', redirectUris: [REDIRECT] });
  app = { clientId: created.clientId, clientSecret: created.clientSecret! };
});
afterAll(async () => { await gh?.close(); });

const auth = () => ({ authorization: basicAuth(app.clientId, app.clientSecret) });

async function tokens(): Promise<{ access_token: string; refresh_token: string }> {
  const code = await user.code({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT });
  const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, auth());
  expect(res.status).toBe(200);
  return (await res.json()) as { access_token: string; refresh_token: string };
}

const info = (token: string) => fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${token}` } });
const userinfo = (token: string) => fetch(`${gh.url}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
const introspect = async (token: string) => (await (await postForm(`${gh.url}/introspect`, { token }, auth())).json()) as { active: boolean; sub?: string };
const refresh = (token: string) => postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: token }, auth());

/**
 * A token of the earlier form (prefix and 43 random characters) for the row
 * `raw` names: the row is moved to the bare SHA-256 of the new token, as a
 * token issued before the issue time was carried was stored.
 */
async function asEarlierForm(raw: string): Promise<string> {
  const earlier = raw.slice(0, 8) + randomToken(32);
  const moved = await (gh.ctx.storage as SqlStorage).db.updateTable('tokens').set({ hash: sha256Hex(earlier) })
    .where('hash', '=', tokenKey(raw)).executeTakeFirst();
  expect(Number(moved.numUpdatedRows)).toBe(1);
  return earlier;
}

describe('keys in the order tokens are issued', () => {
  test('tokens minted before the issue time was carried still answer /info, /userinfo and /introspect, refresh, and are revoked', async () => {
    const issued = await tokens();
    const access = await asEarlierForm(issued.access_token);
    const refreshToken = await asEarlierForm(issued.refresh_token);
    expect(tokenKey(access)).toBe(sha256Hex(access));
    // The rows' new keys: what the tokens of today resolve under is gone.
    expect((await info(issued.access_token)).status).toBe(401);

    expect((await info(access)).status).toBe(200);
    expect((await userinfo(access)).status).toBe(200);
    expect(await introspect(access)).toMatchObject({ active: true });
    const refreshed = await refresh(refreshToken);
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { access_token: string };
    expect(next.access_token).toMatch(/^gate_at_[0-9a-f]{12}/);
    expect((await info(next.access_token)).status).toBe(200);

    expect((await postForm(`${gh.url}/revoke`, { token: access }, auth())).status).toBe(200);
    expect((await info(access)).status).toBe(401);
    expect(await introspect(access)).toEqual({ active: false });
    // Revoking one token ends its whole family, the token refreshed from it included.
    expect((await info(next.access_token)).status).toBe(401);
  });

  test('a token whose issue time is changed is refused everywhere, and the real one is untouched', async () => {
    const issued = await tokens();
    const shifted = (raw: string) => raw.slice(0, 8) + (parseInt(raw.slice(8, 20), 16) - 1).toString(16).padStart(12, '0') + raw.slice(20);
    const access = shifted(issued.access_token);
    expect((await info(access)).status).toBe(401);
    expect((await userinfo(access)).status).toBe(401);
    expect(await introspect(access)).toEqual({ active: false });
    const refused = await refresh(shifted(issued.refresh_token));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await postForm(`${gh.url}/revoke`, { token: access }, auth())).status).toBe(200);
    expect((await info(issued.access_token)).status).toBe(200);
    expect(await introspect(issued.refresh_token)).toMatchObject({ active: true });
  });
});
