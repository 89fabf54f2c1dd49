/**
 * A second Gatehouse as the upstream of the first: the app the first one is
 * at the second (its redirect URI is the first's `/upstream/{name}/callback`),
 * the upstream added as an operator adds it, and a browser over fetch that
 * walks a sign-in through both.
 */
import type { TestGatehouse } from './gatehouse.js';
import { HttpUser } from './http-client.js';
import type { UpstreamInput } from '../../src/upstreams/upstreams.js';
import type { UpstreamRecord } from '../../src/storage/upstream-store.js';

const OPERATOR = { type: 'operator' } as const;

/** Registers `downstream` as an app at the Gatehouse `upstream`, then adds `upstream` to `downstream` under `name`. */
export async function addGatehouseUpstream(
  downstream: TestGatehouse, upstream: TestGatehouse, name: string,
  options: { preset?: 'yandex'; input?: Partial<UpstreamInput>; extraRedirectUris?: string[] } = {},
): Promise<{ record: UpstreamRecord; clientId: string; clientSecret: string }> {
  const yandex = options.preset === 'yandex';
  const app = await upstream.createApp({
    name: `Gatehouse at ${downstream.url} (${name})`,
    redirectUris: [`${downstream.url}/upstream/${name}/callback`, ...(options.extraRedirectUris ?? [])],
    scopes: yandex ? ['login:info', 'login:email'] : ['openid', 'profile', 'email'],
  });
  const record = await downstream.ctx.upstreams.add({
    name,
    kind: yandex ? 'yandex' : 'oidc',
    issuer: upstream.url,
    clientId: app.clientId,
    clientSecret: app.clientSecret!,
    ...(yandex ? { authorizationEndpoint: `${upstream.url}/authorize`, tokenEndpoint: `${upstream.url}/token`, userinfoEndpoint: `${upstream.url}/info?format=json` } : {}),
    ...options.input,
  }, OPERATOR);
  return { record, clientId: app.clientId, clientSecret: app.clientSecret! };
}

/** A browser at `gh` (cookie jar and all), who can start a sign-in through an upstream and come back. */
export class Visitor extends HttpUser {
  constructor(gh: TestGatehouse) {
    super(gh, '', '');
  }

  /** Clicks "Continue with …": the upstream's authorization URL. */
  async start(name: string, returnTo = '/account'): Promise<URL> {
    const res = await this.get(`/upstream/${name}/start?return_to=${encodeURIComponent(returnTo)}`);
    if (res.status !== 303) throw new Error(`start answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return new URL(res.headers.get('location')!);
  }
}

/** The user at the upstream Gatehouse signs in and allows: where the upstream sends the browser back (the callback URL). */
export async function authorizeAt(upstream: TestGatehouse, user: { login: string; password: string }, authorizationUrl: URL, decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
  const person = new HttpUser(upstream, user.login, user.password);
  const { location } = await person.authorize(Object.fromEntries(authorizationUrl.searchParams), decision);
  return location;
}

/** The path and query of a URL of `gh`, for Visitor.get. */
export const pathOf = (url: URL): string => `${url.pathname}${url.search}`;
