/**
 * One autocannon run described by a LoadSpec in a JSON file (argv[2]); prints
 * a LoadResult as one JSON line. The fallback driver when wrk is unavailable.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load.js';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
const values = spec.values ?? [];
let next = 0;
let exhausted = false;
const fill = (s: string, v: string) => s.split('{v}').join(v);

let bad = 0;
let firstBad = '';
const instance = autocannon({
  url: spec.origin,
  connections: spec.connections,
  duration: spec.durationSec,
  timeout: 10,
  ...(spec.ratePerSec === undefined ? {} : { overallRate: spec.ratePerSec }),
  requests: [{
    method: spec.method,
    path: spec.path,
    headers: spec.headers,
    ...(spec.body === undefined ? {} : { body: spec.body }),
    setupRequest: (request: Record<string, unknown>) => {
      if (values.length === 0) return request;
      if (next >= values.length) {
        if (spec.once) exhausted = true;
        next = 0;
      }
      const v = exhausted ? 'bench-ran-out-of-fresh-values' : values[next++]!;
      const headers = Object.fromEntries(Object.entries(spec.headers).map(([k, h]) => [k, fill(h, v)]));
      return { ...request, path: fill(spec.path, v), headers, ...(spec.body === undefined ? {} : { body: fill(spec.body, v) }) };
    },
    onResponse: (status: number, body: string) => {
      if (status !== spec.expectStatus) {
        bad++;
        if (firstBad === '') firstBad = `${status} ${String(body).slice(0, 300)}`;
      }
    },
  }],
});
instance.on('done', (result: { requests: { total: number }; duration: number; latency: { p50: number; p99: number; max: number }; errors: number; timeouts: number }) => {
  const out: LoadResult = {
    tool: 'autocannon',
    requests: result.requests.total,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    bad,
    socketErrors: result.errors + result.timeouts,
    firstBad,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
});
