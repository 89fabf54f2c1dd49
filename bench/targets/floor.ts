/** The node:http floor as a target: every endpoint's request, answered with a constant. */
import { randomBytes } from 'node:crypto';
import { bundled } from '../bundle-path.js';
import { SIGN_IN_FLOOR } from '../report.js';
import { spawnReady } from './child.js';
import { basic, expectJson, type EndpointId, type Scenario, type Target } from './target.js';

const dummy = (n: number) => Array.from({ length: n }, () => randomBytes(32).toString('base64url'));

/** The same request shapes as the real servers get (headers, bodies, a fresh value where they get one). */
export function floorScenario(endpoint: EndpointId, fresh: number): Scenario {
  const check = expectJson(200, ['ok']);
  const auth = basic('0123456789abcdef0123456789abcdef', 'x'.repeat(64));
  const form = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth };
  switch (endpoint) {
    case 'info':
    case 'userinfo':
      return { method: 'GET', path: `/${endpoint}`, headers: { Authorization: 'OAuth {v}' }, values: dummy(64), expectStatus: 200, check };
    case 'introspect':
      return { method: 'POST', path: '/introspect', headers: form, body: 'token={v}', values: dummy(64), expectStatus: 200, check };
    case 'client_credentials':
      return { method: 'POST', path: '/token', headers: form, body: 'grant_type=client_credentials', expectStatus: 200, check };
    case 'refresh':
      return { method: 'POST', path: '/token', headers: form, body: 'grant_type=refresh_token&refresh_token={v}', values: dummy(64), expectStatus: 200, check };
    case 'code':
      return { method: 'POST', path: '/token', headers: form, body: 'grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code={v}', values: dummy(fresh), once: true, expectStatus: 200, check };
  }
}

/** A peer server from its bundle (`peers/<name>`), as a target answering with `scenario`. */
async function startPeer(name: string, id: string, label: string, scenario: Target['scenario']): Promise<Target> {
  const child = await spawnReady<{ port: number }>([bundled(`peers/${name}`)]);
  return {
    id,
    label,
    origin: `http://127.0.0.1:${child.ready.port}`,
    pid: child.child.pid!,
    scenario,
    exited: () => child.exited(),
    stop: () => child.stop(),
  };
}

export function startFloor(): Promise<Target> {
  return startPeer('floor-server', 'node-http', 'node:http floor', async (endpoint, fresh) => floorScenario(endpoint, fresh));
}

/**
 * The sign-in floor (peers/sign-in-floor-server.ts): sign-ins that only hash,
 * measured as Gatehouse's are; its `info` answers a constant.
 */
export function startSignInFloor(): Promise<Target> {
  return startPeer('sign-in-floor-server', SIGN_IN_FLOOR, 'sign-in floor (node:http and the same argon2id hashing, nothing else)',
    async (endpoint, fresh) => (endpoint === 'info' ? floorScenario(endpoint, fresh) : null));
}
