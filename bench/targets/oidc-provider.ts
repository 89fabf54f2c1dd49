/** node-oidc-provider as a target (bench/peers/oidc-provider-server.ts), with tokens and codes minted in its process. */
import { bundled } from '../bundle-path.js';
import type { MintReply, MintRequest } from '../peers/oidc-provider-server.js';
import { spawnReady } from './child.js';
import { basic, expectJson, type EndpointId, type Scenario, type Target } from './target.js';

interface Ready {
  port: number;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/** How many tokens each reusable pool holds: requests cycle through them. */
export const POOL = 64;

export async function startOidcProvider(): Promise<Target> {
  const child = await spawnReady<Ready>([bundled('peers/oidc-provider-server')], { ipc: true });
  const { port, clientId, clientSecret, redirectUri } = child.ready;
  let nextId = 0;
  const waiting = new Map<number, (reply: MintReply) => void>();
  child.child.on('message', (reply: MintReply) => waiting.get(reply.id)?.(reply));
  const mint = (kind: MintRequest['kind'], count: number) =>
    new Promise<string[]>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (reply) => {
        waiting.delete(id);
        if (reply.values) resolve(reply.values);
        else reject(new Error(`oidc-provider could not mint ${kind}: ${reply.error}`));
      });
      child.child.send({ id, kind, count } satisfies MintRequest);
    });
  const access = await mint('access', POOL);
  const refresh = await mint('refresh', POOL);

  const form = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(clientId, clientSecret) };
  const scenario = async (endpoint: EndpointId, fresh: number): Promise<Scenario> => {
    switch (endpoint) {
      case 'info':
        // No Yandex-style login info API: its nearest equivalent is the userinfo endpoint.
        return { method: 'GET', path: '/me', servedBy: 'GET /me', headers: { Authorization: 'Bearer {v}' }, values: access, expectStatus: 200, check: expectJson(200, ['sub', 'email']) };
      case 'userinfo':
        return { method: 'GET', path: '/me', servedBy: 'GET /me', headers: { Authorization: 'Bearer {v}' }, values: access, expectStatus: 200, check: expectJson(200, ['sub', 'email']) };
      case 'introspect':
        return {
          method: 'POST', path: '/token/introspection', servedBy: 'POST /token/introspection', headers: form, body: 'token={v}', values: access, expectStatus: 200,
          check: expectJson(200, ['active'], (b) => (b.active === true ? null : 'active is not true')),
        };
      case 'client_credentials':
        return { method: 'POST', path: '/token', headers: form, body: 'grant_type=client_credentials', expectStatus: 200, check: expectJson(200, ['access_token']) };
      case 'refresh':
        return { method: 'POST', path: '/token', headers: form, body: 'grant_type=refresh_token&refresh_token={v}', values: refresh, expectStatus: 200, check: expectJson(200, ['access_token', 'id_token']) };
      case 'code':
        return {
          method: 'POST', path: '/token', headers: form, body: `grant_type=authorization_code&redirect_uri=${encodeURIComponent(redirectUri)}&code={v}`,
          values: await mint('code', fresh), once: true, expectStatus: 200, check: expectJson(200, ['access_token', 'refresh_token', 'id_token']),
        };
    }
  };
  return {
    id: 'oidc-provider',
    label: 'node-oidc-provider 8 (memory adapter)',
    origin: `http://127.0.0.1:${port}`,
    pid: child.child.pid!,
    scenario,
    exited: () => child.exited(),
    stop: () => child.stop(),
  };
}
