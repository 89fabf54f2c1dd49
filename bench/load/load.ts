/**
 * Driving a server with load: the same request shape, concurrency and duration
 * for every server. wrk when it is installed (installed from Debian's packages
 * when missing and we are root), otherwise autocannon in a process of its own,
 * so the load generator never shares an event loop with the harness.
 */
import { spawnSync } from 'node:child_process';
import { runAutocannon } from './autocannon.js';
import { runWrk, wrkVersion } from './wrk.js';

/** One kind of request, repeated for the length of a run. */
export interface LoadSpec {
  /** Origin of the server, e.g. http://127.0.0.1:8080. */
  origin: string;
  method: 'GET' | 'POST';
  /** `{v}` in the path, a header value or the body is replaced by one of `values` per request. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  values?: string[];
  /** Each value is used once (authorization codes); otherwise the values are cycled. */
  once?: boolean;
  /** Anything else is counted as a failure: a fast error is not a result. */
  expectStatus: number;
  connections: number;
  durationSec: number;
  /**
   * Requests per second over all connections: a steady caller, not a flood.
   * wrk sends them on a fixed schedule (wrk.ts `schedule`); autocannon paces
   * each connection after its answer. Absent: every connection sends its
   * next request as soon as the last is answered.
   */
  ratePerSec?: number;
}

export interface LoadResult {
  tool: string;
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses whose status was not `expectStatus`. */
  bad: number;
  /** Connection errors and timeouts. */
  socketErrors: number;
  /**
   * At a steady rate on a fixed schedule: requests sent more than 1 ms after
   * their slot, because every connection was still waiting for an answer.
   * While it is 0 the latencies are the schedule's; above it they understate.
   */
  lateSends?: number;
  /** The first unexpected response, for the error message. */
  firstBad: string;
}

export interface LoadDriver {
  name: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function hasWrk(): boolean {
  return spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error === undefined;
}

/**
 * wrk if present; when missing and we are root (and installing is allowed),
 * `apt-get install -y wrk`; otherwise autocannon.
 */
export function chooseDriver(options: { prefer?: 'wrk' | 'autocannon'; install?: boolean; log?: (line: string) => void } = {}): LoadDriver {
  const log = options.log ?? (() => {});
  if (options.prefer !== 'autocannon') {
    if (!hasWrk() && options.install !== false && isRoot() && spawnSync('apt-get', ['-v'], { stdio: 'ignore' }).error === undefined) {
      log('wrk is missing: apt-get install -y wrk');
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      let result = spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'ignore', env });
      if (result.status !== 0) {
        spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
        result = spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'ignore', env });
      }
    }
    if (hasWrk()) return { name: `wrk ${wrkVersion()}`, run: runWrk };
    if (options.prefer === 'wrk') throw new Error('wrk is not installed (apt-get install -y wrk)');
  }
  return { name: 'autocannon', run: runAutocannon };
}

/** Splits a string at `{v}` placeholders. */
export function splitTemplate(s: string): string[] {
  return s.split('{v}');
}
