/** A server under test, and the requests each endpoint is measured with. */
import type { LoadSpec } from '../load/load.js';

/** The hot endpoints of issue 11, in the order they are measured (token grants last: they add rows). */
export const ENDPOINTS = ['info', 'userinfo', 'introspect', 'client_credentials', 'refresh', 'code'] as const;
export type EndpointId = (typeof ENDPOINTS)[number];

export const ENDPOINT_LABELS: Record<EndpointId, string> = {
  info: 'GET /info (login info)',
  userinfo: 'GET /userinfo',
  introspect: 'POST /introspect',
  client_credentials: 'POST /token client_credentials',
  refresh: 'POST /token refresh_token',
  code: 'POST /token authorization_code',
};

/** The password of the benchmark's accounts (targets/gatehouse.ts), and of the sign-in floor's (peers/sign-in-floor-server.ts). */
export const BENCH_PASSWORD = 'bench-password-0123456789';

/** A load request plus a check of one answer: the benchmark only counts correct answers. */
export type Scenario = Omit<LoadSpec, 'connections' | 'durationSec' | 'origin'> & {
  /** The endpoint this server answers it with, when its name differs (node-oidc-provider's /me). */
  servedBy?: string;
  /** Null when the answer is right, else what is wrong with it. */
  check(status: number, body: string): string | null;
};

export interface Target {
  id: string;
  label: string;
  origin: string;
  pid: number;
  /** The scenario for `endpoint`, or null when this server has no such endpoint. `fresh` values are minted for single-use scenarios. */
  scenario(endpoint: EndpointId, fresh: number): Promise<Scenario | null>;
  /** Null while the server runs; else how it ended and the end of what it wrote. */
  exited(): string | null;
  stop(): Promise<void>;
}

export function json(body: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(body) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A check that the answer is `status` with JSON having every one of `fields` (and `active: true` for introspection). */
export function expectJson(status: number, fields: string[], extra?: (body: Record<string, unknown>) => string | null) {
  return (got: number, body: string): string | null => {
    if (got !== status) return `status ${got}, expected ${status}: ${body.slice(0, 200)}`;
    const parsed = json(body);
    if (!parsed) return `not JSON: ${body.slice(0, 200)}`;
    const missing = fields.filter((f) => parsed[f] === undefined);
    if (missing.length > 0) return `missing ${missing.join(', ')} in ${body.slice(0, 200)}`;
    return extra ? extra(parsed) : null;
  };
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
