/**
 * The hot lane: the calls resource servers make on every request they serve —
 * `GET /info` and `GET /userinfo` with a bearer token — answered straight
 * from Node's request, without Fastify's per-request machinery (request and
 * reply objects, a child logger, the hook chains, cookie parsing). On those
 * two answers that machinery cost more than the token check itself
 * (docs/benchmarks.md).
 *
 * The lane takes only the plain, successful case, and hands everything else
 * to Fastify untouched, which answers it exactly as before: a query string or
 * a body, a DPoP or missing or malformed Authorization header, a token that is
 * unknown, refused or bound to a key, a failed read, a server shutting down.
 * Fastify then checks the token again, so a refusal is explained by the one
 * code that explains refusals (routes/info.ts, routes/oidc.ts).
 *
 * What the lane answers is built by the routes' own code (`HotRoute.answer`)
 * and carries the headers Fastify's hooks would add — the security headers
 * (headers.ts), CORS for the token's app (cors.ts) — and the same access-log
 * line and metrics. test/integration/hot-lane.test.ts holds each lane answer
 * against Fastify's answer to the same request.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import type { TokenWithOwners } from '../storage/storage.js';
import { corsHeaders } from './cors.js';
import { securityHeaders } from './headers.js';
import type { Metrics } from './metrics.js';

export interface HotRoute {
  path: string;
  /** The JSON answer for a token that may read this resource; null when it may not (Fastify's route then says why). */
  answer(found: TokenWithOwners): object | null;
}

const lanes = new WeakMap<FastifyInstance, HotLane>();

/** The lane in front of a server, if it has one. */
export const hotLaneOf = (app: FastifyInstance): HotLane | undefined => lanes.get(app);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The Authorization header the lane takes: the bearer schemes only, as `extractAccessToken` (bearer.ts) reads them. */
const BEARER = /^(?:OAuth|Bearer) +([\x21-\x7e]+) *$/i;

/** Where a request came from and over what, as Fastify works it out with the same trust setting (its `request.ip`, `request.protocol`). */
function addressing(trust: Config['trustProxy']): (req: IncomingMessage) => { ip: string | undefined; protocol: string } {
  const direct = (req: IncomingMessage) => ({ ip: req.socket.remoteAddress, protocol: 'encrypted' in req.socket && req.socket.encrypted === true ? 'https' : 'http' });
  if (trust === false || trust === 0) return direct;
  const trusted: (address: string, hop: number) => boolean =
    trust === true ? () => true
    : typeof trust === 'number' ? (_address, hop) => hop < trust
    : proxyAddr.compile(trust);
  return (req) => {
    const addresses = proxyAddr.all(req, trusted);
    const forwarded = req.headers['x-forwarded-proto'];
    const remote = req.socket.remoteAddress;
    let protocol = direct(req).protocol;
    if (forwarded && remote !== undefined && trusted(remote, 0)) {
      const value = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
      protocol = value.slice(value.lastIndexOf(',') + 1).trim();
    }
    return { ip: addresses[addresses.length - 1], protocol };
  };
}

export class HotLane {
  /** Requests the lane answered itself; tests read it to know the lane, not Fastify, answered. */
  served = 0;
  private closing = false;
  private readonly routes: Map<string, HotRoute>;
  private readonly addressOf: ReturnType<typeof addressing>;
  private readonly log: FastifyBaseLogger;

  constructor(
    private readonly ctx: Context,
    app: FastifyInstance,
    private readonly metrics: Metrics,
    routes: HotRoute[],
  ) {
    this.routes = new Map(routes.map((r) => [r.path, r]));
    this.addressOf = addressing(ctx.config.trustProxy);
    // As the access log (server.ts AccessLog): the line holds nothing that needs redacting.
    this.log = app.log.child({}, { redact: [] });
    // A server shutting down answers through Fastify, which refuses new requests with 503.
    app.addHook('preClose', (done) => {
      this.closing = true;
      done();
    });
  }

  /** Puts the lane in front of Fastify's request handler on `app.server`. */
  install(app: FastifyInstance): void {
    const server = app.server;
    const fastify = server.listeners('request') as Handler[];
    if (fastify.length !== 1) throw new Error('the hot lane expects Fastify as the only request listener');
    const next = fastify[0]!;
    server.removeAllListeners('request');
    lanes.set(app, this);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.take(req, res, next)) next(req, res);
    });
  }

  /** Whether the lane takes this request; if it does, it answers it or passes it on to `next` itself. */
  private take(req: IncomingMessage, res: ServerResponse, next: Handler): boolean {
    if (req.method !== 'GET' || this.closing) return false;
    const route = this.routes.get(req.url ?? '');
    if (route === undefined) return false;
    const headers = req.headers;
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined || headers.dpop !== undefined) return false;
    const authorization = headers.authorization;
    const match = authorization === undefined ? null : BEARER.exec(authorization);
    if (match === null) return false;
    const started = performance.now();
    this.ctx.tokens.resolveForOwnApis(match[1]!).then(
      (found) => {
        const body = found === null || found.token.jkt !== null ? null : route.answer(found);
        if (body === null) return next(req, res);
        this.send(req, res, route, found!, JSON.stringify(body), started);
      },
      // A failed read is Fastify's to answer (503 when the database is away), with its own log line.
      () => next(req, res),
    );
    return true;
  }

  private send(req: IncomingMessage, res: ServerResponse, route: HotRoute, found: TokenWithOwners, body: string, started: number): void {
    const { ip, protocol } = this.addressOf(req);
    const headers: Array<[string, string]> = [
      ['content-type', 'application/json; charset=utf-8'],
      ['content-length', String(Buffer.byteLength(body))],
      ...corsHeaders(found.app, req.headers.origin),
      ...securityHeaders(this.ctx.config, protocol),
    ];
    res.writeHead(200, headers.flat());
    res.end(body);
    this.served++;
    const elapsed = performance.now() - started;
    this.metrics.observe(route.path, 'GET', 200, elapsed / 1000);
    this.log.info({ reqId: randomUUID(), req: { method: 'GET', url: route.path, ip }, res: { statusCode: 200 }, responseTime: elapsed }, 'request completed');
  }
}
