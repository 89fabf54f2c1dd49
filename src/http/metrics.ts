/**
 * Prometheus metrics (docs/protocol.md §12) on `GET /metrics`: requests by route and
 * status, latency histograms, tokens issued by grant, sign-ins ok/failed,
 * limit refusals, and Node's own (event-loop lag, memory, GC). One registry
 * per server, so tests can run several servers in one process.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'gatehouse_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly tokensIssued = new Counter({ name: 'gatehouse_tokens_issued_total', help: 'Token responses by grant type', labelNames: ['grant'], registers: [this.registry] });
  readonly signIns = new Counter({ name: 'gatehouse_sign_ins_total', help: 'Password sign-ins by result (ok, failed, locked)', labelNames: ['result'], registers: [this.registry] });
  readonly limited = new Counter({ name: 'gatehouse_rate_limited_total', help: 'Requests refused by an abuse limit', labelNames: ['route'], registers: [this.registry] });

  /**
   * Each route's, method's and status's series, looked up once: prom-client
   * hashes a label object on every call, and a request's own bookkeeping
   * should cost next to nothing beside the request. Bounded by the routes.
   */
  private readonly series = new Map<string, { requests: { inc(): void }; latency: { observe(value: number): void } }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
  }

  private seriesOf(route: string, method: string, status: number) {
    const key = `${status} ${method} ${route}`;
    let found = this.series.get(key);
    if (found === undefined) {
      found = { requests: this.requests.labels(route, method, String(status)), latency: this.latency.labels(route) };
      this.series.set(key, found);
    }
    return found;
  }

  /**
   * Counts and times one answered request under its route pattern (never its raw URL, which may carry
   * codes); `body` is its parsed form, which names the grant of a token answer.
   */
  observe(route: string, method: string, status: number, seconds: number, body?: unknown): void {
    const series = this.seriesOf(route, method, status);
    series.requests.inc();
    series.latency.observe(seconds);
    if (status === 429) this.limited.inc({ route });
    if (route === '/token' && status === 200) {
      const grant = (body as Record<string, unknown> | undefined)?.grant_type;
      this.tokensIssued.inc({ grant: typeof grant === 'string' && grant.length < 60 ? grant : 'unknown' });
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
