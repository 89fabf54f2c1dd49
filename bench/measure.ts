/**
 * One measurement: check a server's answer to the scenario once (a fast error
 * is not a result), then load it for the warm-up and the measured run.
 */
import type { LoadDriver, LoadResult } from './load/load.js';
import type { EndpointId, Scenario, Target } from './targets/target.js';

export class BenchFailure extends Error {}

/** One request of the scenario, with its first value; the answer must pass the scenario's check. */
export async function probe(target: Target, scenario: Scenario): Promise<void> {
  const v = scenario.values?.[0] ?? '';
  const fill = (s: string) => s.split('{v}').join(v);
  const response = await fetch(target.origin + fill(scenario.path), {
    method: scenario.method,
    headers: Object.fromEntries(Object.entries(scenario.headers).map(([k, h]) => [k, fill(h)])),
    ...(scenario.body === undefined ? {} : { body: fill(scenario.body) }),
    redirect: 'manual',
  });
  const problem = scenario.check(response.status, await response.text());
  if (problem) throw new BenchFailure(`${target.id} ${scenario.method} ${scenario.path}: ${problem}`);
}

export interface Measured extends LoadResult {
  target: string;
  endpoint: EndpointId | 'login' | 'info-during-login' | 'info-alone' | 'login-beside-info-flood' | 'info-flood-during-login';
  servedBy: string;
  round: number;
}

/**
 * Checks the answers of a load run: every response had the expected status and
 * no connection failed. A warm-up may end before any answer (a slow endpoint,
 * a short warm-up); a measured run may not.
 */
export function assertClean(what: string, result: LoadResult, scenario: Scenario, options: { warmup?: boolean } = {}): void {
  if (scenario.once && scenario.values && result.requests > scenario.values.length) {
    throw new BenchFailure(`${what}: ran out of fresh values (${scenario.values.length} minted, ${result.requests} requests)`);
  }
  if (result.bad > 0) throw new BenchFailure(`${what}: ${result.bad} of ${result.requests} responses were not ${scenario.expectStatus}; first: ${result.firstBad}`);
  if (result.socketErrors > 0) throw new BenchFailure(`${what}: ${result.socketErrors} connection errors or timeouts`);
  if (result.requests === 0 && !options.warmup) throw new BenchFailure(`${what}: no response at all`);
}

/** One load run; a server that died, or a load generator that failed, is a failure of the benchmark with the reason. */
export async function loadRun(driver: LoadDriver, target: Target, scenario: Scenario, connections: number, durationSec: number, ratePerSec?: number): Promise<LoadResult> {
  const { check: _check, servedBy: _servedBy, ...spec } = scenario;
  const before = target.exited();
  if (before) throw new BenchFailure(`${target.id} ${before}`);
  try {
    return await driver.run({ ...spec, origin: target.origin, connections, durationSec, ...(ratePerSec === undefined ? {} : { ratePerSec }) });
  } catch (err) {
    const ended = target.exited();
    throw new BenchFailure(`${target.id} ${scenario.method} ${scenario.path}: ${ended ?? (err as Error).message}`);
  }
}
