/**
 * Prometheus metrics (docs/protocol.md §12) on `GET /metrics`: requests by route and
 * status, latency histograms, tokens issued by grant, sign-ins ok/failed,
 * limit refusals, and Node's own (event-loop lag, memory, GC). One registry
 * per server, so tests can run several servers in one process.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Registry, type Metric } from 'prom-client';

/** The latency histogram's bucket bounds, in seconds. */
const LATENCY_BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One route's latencies: a count per bucket (not cumulative; above the last bound only `count`), their sum and count. */
class Latency {
  readonly buckets = new Float64Array(LATENCY_BOUNDS.length);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < LATENCY_BOUNDS.length; i++) {
      if (seconds <= LATENCY_BOUNDS[i]!) {
        this.buckets[i]!++;
        return;
      }
    }
  }
}

/** prom-client's way of writing a number in the exposition. */
const exposed = (value: number) => (Number.isNaN(value) ? 'Nan' : !Number.isFinite(value) ? (value > 0 ? '+Inf' : '-Inf') : value);

/**
 * `gatehouse_http_request_duration_seconds`, counted by hand (`Latency`) and
 * handed to the registry as a metric of prom-client's shape: what its
 * Histogram's `get` returns for the same observations, the same exposition
 * (test/integration/metrics.test.ts holds the two side by side). prom-client's
 * Histogram hashes the label object at every observation; here a request's
 * part is a map lookup and a few additions.
 */
class LatencyHistogram {
  readonly name = 'gatehouse_http_request_duration_seconds';
  readonly help = 'HTTP request latency by route';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly routes = new Map<string, Latency>();

  of(route: string): Latency {
    let latency = this.routes.get(route);
    if (latency === undefined) this.routes.set(route, (latency = new Latency()));
    return latency;
  }

  async get() {
    const values: Array<{ labels: Record<string, string | number>; value: number | string; metricName: string }> = [];
    for (const [route, latency] of this.routes) {
      let cumulative = 0;
      LATENCY_BOUNDS.forEach((le, i) => {
        cumulative += latency.buckets[i]!;
        values.push({ labels: { le, route }, value: exposed(cumulative), metricName: `${this.name}_bucket` });
      });
      values.push(
        { labels: { le: '+Inf', route }, value: exposed(latency.count), metricName: `${this.name}_bucket` },
        { labels: { route }, value: exposed(latency.sum), metricName: `${this.name}_sum` },
        { labels: { route }, value: exposed(latency.count), metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.routes.clear();
  }
}

/**
 * A counter whose values are counted elsewhere in plain numbers: `fill` hands
 * them to it each time the registry is read, and a reset (prom-client's
 * `resetMetrics`) clears them there too, so that counting starts again from
 * nothing, as a counter of prom-client's own does.
 */
class CountedElsewhere<T extends string> extends Counter<T> {
  private readonly clear: () => void;

  constructor(config: { name: string; help: string; labelNames: readonly T[]; registers: Registry[] }, fill: (counter: Counter<T>) => void, clear: () => void) {
    super({
      ...config,
      collect() {
        Counter.prototype.reset.call(this);
        fill(this);
      },
    });
    this.clear = clear;
  }

  override reset(): void {
    super.reset();
    // Unset while prom-client's constructor resets the new counter.
    this.clear?.();
  }
}

/** What one route, method and status has answered. */
interface Series {
  count: number;
}

export class Metrics {
  readonly registry = new Registry();
  /**
   * Requests and tokens issued are counted in plain numbers per series
   * (`observe`) and handed to these counters when the registry is read: a
   * request's own bookkeeping should cost next to nothing beside the request,
   * and prom-client hashes a label object on every `inc` (docs/benchmarks.md).
   */
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();
  private readonly issued = new Map<string, number>();
  private readonly latency = new LatencyHistogram();
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly tokensIssued: Counter<'grant'>;
  readonly signIns: Counter<'result'>;
  readonly limited: Counter<'route'>;

  constructor() {
    const series = this.series;
    this.requests = new CountedElsewhere(
      { name: 'gatehouse_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [this.registry] },
      (counter) => {
        for (const [route, methods] of series) {
          for (const [method, statuses] of methods) for (const [status, s] of statuses) counter.inc({ route, method, status: String(status) }, s.count);
        }
      },
      () => series.clear(),
    );
    // Registered between the two counters, where prom-client's histogram stood: the exposition keeps its order.
    this.registry.registerMetric(this.latency as unknown as Metric);
    const issued = this.issued;
    this.tokensIssued = new CountedElsewhere(
      { name: 'gatehouse_tokens_issued_total', help: 'Token responses by grant type', labelNames: ['grant'], registers: [this.registry] },
      (counter) => {
        for (const [grant, count] of issued) counter.inc({ grant }, count);
      },
      () => issued.clear(),
    );
    this.signIns = new Counter({ name: 'gatehouse_sign_ins_total', help: 'Password sign-ins by result (ok, failed, locked)', labelNames: ['result'], registers: [this.registry] });
    this.limited = new Counter({ name: 'gatehouse_rate_limited_total', help: 'Requests refused by an abuse limit', labelNames: ['route'], registers: [this.registry] });
    collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
  }

  /** The series of a route, method and status (bounded: routes are patterns, methods and statuses few). */
  private seriesOf(route: string, method: string, status: number): Series {
    let methods = this.series.get(route);
    if (methods === undefined) this.series.set(route, (methods = new Map()));
    let statuses = methods.get(method);
    if (statuses === undefined) methods.set(method, (statuses = new Map()));
    let found = statuses.get(status);
    if (found === undefined) statuses.set(status, (found = { count: 0 }));
    return found;
  }

  /**
   * Counts and times one answered request under its route pattern (never its raw URL, which may carry
   * codes); `body` is its parsed form, which names the grant of a token answer.
   */
  observe(route: string, method: string, status: number, seconds: number, body?: unknown): void {
    const series = this.seriesOf(route, method, status);
    series.count++;
    this.latency.of(route).observe(seconds);
    if (status === 429) this.limited.inc({ route });
    if (route === '/token' && status === 200) {
      const grant = (body as Record<string, unknown> | undefined)?.grant_type;
      const name = typeof grant === 'string' && grant.length < 60 ? grant : 'unknown';
      this.issued.set(name, (this.issued.get(name) ?? 0) + 1);
    }
    if (route === '/login' && method === 'POST') this.signIns.inc({ result: status === 303 ? 'ok' : status === 429 ? 'locked' : 'failed' });
  }

  /** Counts and times every request Fastify answers (the hot lane counts its own, hot-lane.ts). */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', (request, reply, done) => {
      this.observe(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000, request.body);
      done();
    });
    app.get('/metrics', async (_request, reply) => reply.type(this.registry.contentType).send(await this.registry.metrics()));
  }
}
