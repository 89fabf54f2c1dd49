/** Command-line options of `npm run bench` (after `--`), with their defaults. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENDPOINTS, type EndpointId } from './targets/target.js';

export interface BenchOptions {
  /** Seconds of measured load per endpoint, server and round. */
  duration: number;
  /** Seconds of unmeasured load before each measured run (JIT, caches, connection set-up). */
  warmup: number;
  /** Each endpoint and server is measured this many times, servers interleaved; the median round is reported. */
  rounds: number;
  /** Open connections, the same for every server. */
  connections: number;
  endpoints: EndpointId[];
  /** Measure password sign-in against the raw argon2 rate. */
  login: boolean;
  /** /info requests per second, steady, beside the sign-ins of the login measurement. */
  loginInfoRate: number;
  /**
   * Seconds of unmeasured sign-ins before they are measured. At ~150 a second
   * the sign-in path takes ~15 s to be compiled whole (docs/benchmarks.md),
   * where the token endpoints get there within `warmup`.
   */
  loginWarmup: number;
  /** Also Gatehouse on PostgreSQL (a throwaway cluster, or GATEHOUSE_TEST_DATABASE_URL). */
  postgres: boolean;
  driver: 'wrk' | 'autocannon' | 'auto';
  /** Allow `apt-get install wrk` when it is missing. */
  install: boolean;
  /** Turn Linux's autogroup scheduling off for the run (machine.ts), and back on after. */
  autogroupOff: boolean;
  /** Gatehouse's log level; its default (`info`) logs every request, to a file here. */
  logLevel: string;
  out: string;
  smoke: boolean;
  /** Re-render the table, Markdown and chart of a saved bench.json instead of measuring. */
  fromJson: string | null;
  /** GATEHOUSE_WORKERS of each Gatehouse measured, per engine: 1 and 2 by default (2 cores). */
  workers: number[];
  /** A Gatehouse built elsewhere (its `dist/main.js`), measured on SQLite in the same run: before and after, paired. */
  baseline: string | null;
}

export const USAGE = `npm run bench -- [options]
  --duration S       measured seconds per endpoint, server and round (default 5)
  --warmup S         unmeasured seconds before each run (default 1)
  --rounds N         rounds, servers interleaved; the median is reported (default 3)
  --connections N    concurrent connections for every server (default 32)
  --endpoints a,b    subset of ${ENDPOINTS.join(',')}
  --no-login         skip password sign-in and the argon2 rate
  --login-info-rate N   /info requests/s beside the sign-ins, steady (default 1000); a flood is measured too
  --login-warmup S   unmeasured seconds of sign-ins before they are measured (default 15)
  --no-postgres      skip Gatehouse on PostgreSQL
  --driver wrk|autocannon   force a load generator (default: wrk when installed)
  --no-install       never apt-get install wrk
  --no-autogroup     turn Linux's autogroup scheduling off for the run, and back on after (root; docs/benchmarks.md)
  --log-level L      Gatehouse's GATEHOUSE_LOG_LEVEL (default info, its own default)
  --out DIR          where the JSON, Markdown and SVG go (default bench/results/<time>)
  --smoke            one second per endpoint, 8 connections, one round: checks the harness
  --from-json FILE   re-render the table and chart of a saved bench.json (no measuring)
  --workers 1,2      GATEHOUSE_WORKERS of the Gatehouse servers measured on each engine (default 1,2)
  --baseline FILE    also a Gatehouse built elsewhere (its dist/main.js), on SQLite, one process: before/after in one run`;

function workers(list: string): number[] {
  const counts = list.split(',').map((w) => Number(w.trim()));
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) throw new Error('--workers is a list of process counts, e.g. 1,2');
  return [...new Set(counts)];
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      endpoints: { type: 'string' },
      'no-login': { type: 'boolean' },
      'login-info-rate': { type: 'string' },
      'login-warmup': { type: 'string' },
      'no-postgres': { type: 'boolean' },
      driver: { type: 'string' },
      'no-install': { type: 'boolean' },
      'no-autogroup': { type: 'boolean' },
      'log-level': { type: 'string' },
      out: { type: 'string' },
      smoke: { type: 'boolean' },
      'from-json': { type: 'string' },
      workers: { type: 'string' },
      baseline: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const smoke = values.smoke ?? false;
  const number = (name: string, value: string | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const endpoints = values.endpoints === undefined ? [...ENDPOINTS] : values.endpoints.split(',').map((e) => e.trim());
  for (const e of endpoints) if (!(ENDPOINTS as readonly string[]).includes(e)) throw new Error(`unknown endpoint ${e}: use ${ENDPOINTS.join(', ')}`);
  const driver = values.driver ?? 'auto';
  if (driver !== 'wrk' && driver !== 'autocannon' && driver !== 'auto') throw new Error('--driver must be wrk or autocannon');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return {
    duration: number('duration', values.duration, smoke ? 1 : 5, 1),
    warmup: number('warmup', values.warmup, smoke ? 0 : 1, 0),
    rounds: Math.round(number('rounds', values.rounds, smoke ? 1 : 3, 1)),
    connections: Math.round(number('connections', values.connections, smoke ? 8 : 32, 1)),
    endpoints: endpoints as EndpointId[],
    login: !values['no-login'],
    loginInfoRate: number('login-info-rate', values['login-info-rate'], 1000, 1),
    loginWarmup: number('login-warmup', values['login-warmup'], smoke ? 0 : 15, 0),
    postgres: !values['no-postgres'],
    driver,
    install: !values['no-install'],
    autogroupOff: values['no-autogroup'] ?? false,
    logLevel: values['log-level'] ?? 'info',
    out: path.resolve(values.out ?? path.join('bench', 'results', stamp)),
    smoke,
    fromJson: values['from-json'] ?? null,
    workers: workers(values.workers ?? (smoke ? '1,2' : '1,2')),
    baseline: values.baseline === undefined ? null : path.resolve(values.baseline),
  };
}
