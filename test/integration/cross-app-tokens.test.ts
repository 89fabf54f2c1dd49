/**
 * One app's tokens as another app sees them (RFC 7662 §4, RFC 7009 §2.1–2.2):
 * an app that is handed a token issued to someone else learns nothing from
 * /introspect, /revoke or /revoke_token — not whether the token exists, not
 * whose it is — and cannot revoke it. Only the token's own app, or a resource
 * server an operator designated for that app, introspects it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClientId } from '../../src/types.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { basicAuth, HttpUser, postForm } from '../helpers/http-client.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';

interface Client { clientId: string; clientSecret: string }

let gh: TestGatehouse;
let user: HttpUser;
/** The app the user signed in to. */
let owner: Client;
/** Someone else's app, registered by anyone who may register apps. */
let intruder: Client;

async function confidential(name: string): Promise<Client> {
  const created = await gh.createApp({ name, redirectUris: [REDIRECT] });
  return { clientId: created.clientId, clientSecret: created.clientSecret! };
}

async function tokensOf(app: Client): Promise<{ access_token: string; refresh_token: string }> {
  const code = await user.code({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT });
  const res = await postForm(`${gh.url}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { authorization: basicAuth(app.clientId, app.clientSecret) });
  expect(res.status).toBe(200);
  return (await res.json()) as { access_token: string; refresh_token: string };
}

const as = (app: Client) => ({ authorization: basicAuth(app.clientId, app.clientSecret) });
const introspect = (app: Client, token: string) => postForm(`${gh.url}/introspect`, { token }, as(app));
const infoStatus = async (token: string) => (await fetch(`${gh.url}/info`, { headers: { authorization: `OAuth ${token}` } })).status;

/** What a client can observe of an answer: status, content type, caching and body. */
async function observed(res: Response): Promise<{ status: number; type: string | null; cache: string | null; body: string }> {
  return { status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control'), body: await res.text() };
}

beforeAll(async () => {
  gh = await startGatehouse();
  const u = await gh.createUser('vera');
  user = new HttpUser(gh, u.login, u.password);
  owner = await confidential('Owner app');
  intruder = await confidential('Intruder app');
});
afterAll(async () => { await gh?.close(); });

/**
 * Introspection and a refresh read the token together with the app the caller claims to be
 * (Storage.findTokenForClient). Whatever the request names, the app that authenticates is the one
 * whose secret was checked, and naming an app is never taken for proving to be it.
 */
describe('the app a request claims, read beside the token', () => {
  test('a wrong secret for the token\'s own app is refused, on /introspect and on a refresh, and the token is untouched', async () => {
    const tokens = await tokensOf(owner);
    const forged = { authorization: basicAuth(owner.clientId, `${owner.clientSecret}x`) };
    const asked = await postForm(`${gh.url}/introspect`, { token: tokens.access_token }, forged);
    expect(asked.status).toBe(401);
    expect(((await asked.json()) as { error: string }).error).toBe('invalid_client');
    const refreshed = await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, forged);
    expect(refreshed.status).toBe(401);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_client');
    expect(((await (await introspect(owner, tokens.access_token)).json()) as { active: boolean }).active).toBe(true);
    expect((await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, as(owner))).status).toBe(200);
  });

  test('an app naming the token\'s own app in the body, with its own Basic credentials, is still itself: it learns nothing and refreshes nothing', async () => {
    const tokens = await tokensOf(owner);
    const claimingOwner = { ...as(intruder) };
    const asked = await postForm(`${gh.url}/introspect`, { token: tokens.access_token, client_id: owner.clientId }, claimingOwner);
    expect(await asked.json()).toEqual({ active: false });
    const refreshed = await postForm(`${gh.url}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: owner.clientId }, claimingOwner);
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
    // And the owner's secret in the body beside the intruder's Basic header is ignored (RFC 6749 §2.3.1: Basic wins).
    const withSecret = await postForm(`${gh.url}/introspect`, { token: tokens.access_token, client_id: owner.clientId, client_secret: owner.clientSecret }, claimingOwner);
    expect(await withSecret.json()).toEqual({ active: false });
  });
});

describe('introspection of another app\'s token (RFC 7662 §4)', () => {
  test('answers only active: false to another app, for access and refresh tokens alike, exactly as for an unknown token', async () => {
    const tokens = await tokensOf(owner);
    const unknown = await observed(await introspect(intruder, 'gate_at_' + 'x'.repeat(43)));
    expect(JSON.parse(unknown.body)).toEqual({ active: false });
    for (const token of [tokens.access_token, tokens.refresh_token]) {
      expect(await observed(await introspect(intruder, token))).toEqual(unknown);
    }
    // The token's own app still sees it.
    const own = (await (await introspect(owner, tokens.access_token)).json()) as Record<string, unknown>;
    expect(own).toMatchObject({ active: true, client_id: owner.clientId, username: 'vera' });
  });

  test('answers active: false for a token of the app itself (client_credentials) asked by another app', async () => {
    const res = await postForm(`${gh.url}/token`, { grant_type: 'client_credentials' }, as(owner));
    const { access_token } = (await res.json()) as { access_token: string };
    expect(await (await introspect(intruder, access_token)).json()).toEqual({ active: false });
    expect(await (await introspect(owner, access_token)).json()).toMatchObject({ active: true, client_id: owner.clientId });
  });

  test('lets a resource server an operator designated introspect that app\'s tokens, and no other app\'s', async () => {
    const api = await confidential('Owner\'s API');
    const tokens = await tokensOf(owner);
    const elsewhere = await tokensOf(intruder);
    expect(await (await introspect(api, tokens.access_token)).json()).toEqual({ active: false });

    // What `gatehouse app update <api> --introspects <owner>` does.
    await gh.ctx.apps.setIntrospection(api.clientId as ClientId, [owner.clientId]);
    expect(await (await introspect(api, tokens.access_token)).json()).toMatchObject({ active: true, client_id: owner.clientId, username: 'vera' });
    expect(await (await introspect(api, elsewhere.access_token)).json()).toEqual({ active: false });
    // The designation goes one way: the owner app does not see the API's tokens.
    const apiTokens = await tokensOf(api);
    expect(await (await introspect(owner, apiTokens.access_token)).json()).toEqual({ active: false });

    await gh.ctx.apps.setIntrospection(api.clientId as ClientId, []);
    expect(await (await introspect(api, tokens.access_token)).json()).toEqual({ active: false });
  });

  test('shows the designation to operators on /admin/apps', async () => {
    const api = await confidential('Reports API');
    await gh.ctx.apps.setIntrospection(api.clientId as ClientId, [owner.clientId]);
    const op = await gh.createUser('olga');
    await gh.ctx.storage.updateUser(op.id, { isAdmin: true });
    const operator = new HttpUser(gh, op.login, op.password);
    await operator.signIn();
    const page = await (await operator.get(`/admin/apps?q=${api.clientId}`)).text();
    expect(page).toContain('Resource server of');
    expect(page).toContain(`<code>${owner.clientId}</code>`);
  });

  test('refuses to designate an app that does not exist', async () => {
    const api = await confidential('Another API');
    await expect(gh.ctx.apps.setIntrospection(api.clientId as ClientId, ['0'.repeat(32)])).rejects.toThrow(/no app with client_id/);
    expect((await gh.ctx.storage.findApp(api.clientId as ClientId))!.introspects).toEqual([]);
  });
});

describe('revoking another app\'s token (RFC 7009 §2.2)', () => {
  test('/revoke answers 200 exactly as for an unknown token and leaves the token working', async () => {
    const tokens = await tokensOf(owner);
    const unknown = await observed(await postForm(`${gh.url}/revoke`, { token: 'gate_at_' + 'y'.repeat(43) }, as(intruder)));
    expect(unknown.status).toBe(200);
    for (const token of [tokens.access_token, tokens.refresh_token]) {
      expect(await observed(await postForm(`${gh.url}/revoke`, { token }, as(intruder)))).toEqual(unknown);
    }
    expect(await infoStatus(tokens.access_token)).toBe(200);
    expect((await introspect(owner, tokens.refresh_token)).ok).toBe(true);
    expect(await (await introspect(owner, tokens.refresh_token)).json()).toMatchObject({ active: true });
  });

  test('/revoke_token (Yandex) answers {"status":"ok"} exactly as for an unknown token and leaves the token working', async () => {
    const tokens = await tokensOf(owner);
    const unknown = await observed(await postForm(`${gh.url}/revoke_token`, { access_token: 'gate_at_' + 'z'.repeat(43) }, as(intruder)));
    expect(JSON.parse(unknown.body)).toEqual({ status: 'ok' });
    expect(await observed(await postForm(`${gh.url}/revoke_token`, { access_token: tokens.access_token }, as(intruder)))).toEqual(unknown);
    expect(await infoStatus(tokens.access_token)).toBe(200);
  });

  test('the token\'s own app still revokes it', async () => {
    const tokens = await tokensOf(owner);
    expect((await postForm(`${gh.url}/revoke`, { token: tokens.access_token }, as(owner))).status).toBe(200);
    expect(await infoStatus(tokens.access_token)).toBe(401);
  });
});
