/**
 * The hot lane: the calls apps and resource servers make most — `GET /info`
 * and `GET /userinfo` with a bearer token, `POST /introspect` and `POST
 * /token` with a form — answered straight from Node's request, without
 * Fastify's per-request machinery (request and reply objects, a child logger,
 * the hook chains, cookie parsing). On a token check that machinery cost more
 * than the check itself (docs/benchmarks.md).
 *
 * For the two token reads the lane takes only the plain, successful case and
 * hands everything else to Fastify untouched, which answers it exactly as
 * before: a query string or a body, a DPoP or missing or malformed
 * Authorization header, a token that is unknown, refused or bound to a key, a
 * failed read, a server shutting down. Fastify then checks the token again, so
 * a refusal is explained by the one code that explains refusals
 * (routes/info.ts, routes/oidc.ts).
 *
 * The forms carry their tokens in the body, and a body read cannot be handed
 * on, so the lane answers every form request it takes, refusals included —
 * with the routes' own functions (`introspect`, `handleTokenRequest`) and the
 * error answers Fastify's error handler gives (render.ts). It takes only a
 * form of known length within the body limit, from a caller that does not ask
 * for a page, and no token request with a DPoP proof (its nonce and check stay
 * in routes/token.ts).
 *
 * The requests the lane takes in one turn of the event loop are checked and
 * answered together once the turn has read every socket (`later`).
 *
 * Whatever the lane answers carries the headers Fastify's hooks would add —
 * the security headers (headers.ts), CORS for the request's app (cors.ts) —
 * and the same access-log line and metrics. test/integration/hot-lane.test.ts
 * holds each lane answer against Fastify's answer to the same request.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import type { AppRecord, TokenWithOwners } from '../storage/storage.js';
import { AccessLogWriter } from './access-log.js';
import { AUTHORIZATION } from './bearer.js';
import { corsHeaders } from './cors.js';
import { securityHeaders } from './headers.js';
import type { Metrics } from './metrics.js';
import { OwnerAnswers } from './owner-answers.js';
import { isDatabaseUnavailable } from '../storage/open.js';
import { OAuthError } from '../oauth/errors.js';
import { parseUrlEncoded, type RawParams } from './params.js';
import { oauthErrorHeaders, SERVER_ERROR, UNAVAILABLE, wantsPage } from './render.js';

export interface HotRoute {
  path: string;
  /** The JSON answer for a token that may read this resource; null when it may not (Fastify's route then says why). */
  answer(found: TokenWithOwners): object | null;
  /**
   * True when the answer depends on the token's user and app records and its scopes alone: the lane then keeps
   * its JSON for them (owner-answers.ts) rather than building it at every request.
   */
  byOwnersAndScopes?: boolean;
}

export interface HotFormRoute {
  path: string;
  /** Whether its answers carry CORS headers for the client they name (cors.ts CORS_PATHS). */
  cors: boolean;
  /** Whether a request with these headers is the lane's: decided before its body is read. */
  takes(headers: IncomingHttpHeaders): boolean;
  /** Headers of a successful answer (a refusal's are the error's own). */
  answerHeaders: Array<[string, string]>;
  /**
   * The JSON answer to a form (and the Authorization header, if any); a
   * refusal is thrown as an OAuthError. Returned as it is when it was had
   * without waiting (an introspection on SQLite), then sent at once.
   */
  answer(authorization: string | undefined, form: RawParams, meta: { ip: string; onClient(app: AppRecord): void }): object | Promise<object>;
}

export interface HotRoutes {
  tokens: HotRoute[];
  forms: HotFormRoute[];
  /** The largest body the lane reads; a larger one is Fastify's to refuse. */
  bodyLimit: number;
}

const lanes = new WeakMap<FastifyInstance, HotLane>();

/** The lane in front of a server, if it has one. */
export const hotLaneOf = (app: FastifyInstance): HotLane | undefined => lanes.get(app);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;


/** The form type the lane reads, as Fastify's parser takes it (server.ts); any other is Fastify's. */
const FORM = /^application\/x-www-form-urlencoded(?: *; *charset=utf-8)? *$/i;

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
  private readonly tokens: Map<string, HotRoute>;
  private readonly forms: Map<string, HotFormRoute>;
  private readonly bodyLimit: number;
  private readonly addressOf: ReturnType<typeof addressing>;
  private readonly log: FastifyBaseLogger;
  private readonly accessLog: AccessLogWriter;
  private readonly answers = new Map<HotRoute, OwnerAnswers>();
  /** The requests taken in this turn of the event loop, to be answered once it has read every socket (`later`). */
  private turn: Array<() => void> = [];
  private readonly answerTurn = () => {
    const turn = this.turn;
    this.turn = [];
    for (const answer of turn) answer();
  };

  constructor(
    private readonly ctx: Context,
    app: FastifyInstance,
    private readonly metrics: Metrics,
    routes: HotRoutes,
  ) {
    this.tokens = new Map(routes.tokens.map((r) => [r.path, r]));
    this.forms = new Map(routes.forms.map((r) => [r.path, r]));
    this.bodyLimit = routes.bodyLimit;
    this.addressOf = addressing(ctx.config.trustProxy);
    // Refusals and failures (rare) through the server's logger and its redaction; the access line by hand, as Fastify's (server.ts AccessLog).
    this.log = app.log;
    this.accessLog = new AccessLogWriter(app.log);
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
    if (this.closing) return false;
    if (req.method === 'GET') {
      const route = this.tokens.get(req.url ?? '');
      return route !== undefined && this.takeToken(req, res, route, next);
    }
    if (req.method === 'POST') {
      const route = this.forms.get(req.url ?? '');
      return route !== undefined && this.takeForm(req, res, route);
    }
    return false;
  }

  private takeToken(req: IncomingMessage, res: ServerResponse, route: HotRoute, next: Handler): boolean {
    const headers = req.headers;
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined || headers.dpop !== undefined) return false;
    const authorization = headers.authorization;
    // The bearer schemes only, read as `extractAccessToken` reads them; a DPoP token needs its proof checked.
    const match = authorization === undefined ? null : AUTHORIZATION.exec(authorization);
    if (match === null || match[1]!.toLowerCase() === 'dpop') return false;
    const started = performance.now();
    const token = match[2]!;
    this.later(() => this.checkToken(req, res, route, next, token, started));
    return true;
  }

  /**
   * Runs `answer` once the event loop has read every socket that was ready in this turn (`setImmediate`),
   * with the other requests taken in it. Answering each request as soon as it was read cost half as much CPU
   * again per check (57 against 38 µs an `/info` on SQLite): with the reading, the answering and their writes
   * interleaved, every part of a check (the kernel's, SQLite's, V8's) ran slower, and every answer woke the
   * caller's side on its own (docs/benchmarks.md, "Answers after the turn's reading"). A request waits at
   * most for the rest of the turn's reading; its check reads the database then, never before the request
   * was read. `answer` must not throw: each answers its own failures (`abandon`).
   */
  private later(answer: () => void): void {
    if (this.turn.push(answer) === 1) setImmediate(this.answerTurn);
  }

  /** A token check: on SQLite, with the token's user and app in the cache, read and answered at once (`TokenService.resolveForOwnApisNow`). */
  private checkToken(req: IncomingMessage, res: ServerResponse, route: HotRoute, next: Handler, token: string, started: number): void {
    try {
      let now: TokenWithOwners | null | undefined;
      try {
        now = this.ctx.tokens.resolveForOwnApisNow(token);
      } catch {
        // A failed read is Fastify's to answer (503 when the database is away), with its own log line.
        return next(req, res);
      }
      if (now !== undefined) return this.answerToken(req, res, route, next, now, started);
      this.ctx.tokens.resolveForOwnApis(token).then(
        (found) => this.answerToken(req, res, route, next, found, started),
        () => next(req, res),
      ).catch((error: unknown) => this.abandon(res, error));
    } catch (error) {
      this.abandon(res, error);
    }
  }

  /** The answer to a token read for `route`, or Fastify's when the lane does not answer it (no token, a DPoP one, a refusal). */
  private answerToken(req: IncomingMessage, res: ServerResponse, route: HotRoute, next: Handler, found: TokenWithOwners | null, started: number): void {
    const body = found === null || found.token.jkt !== null ? null : this.answerOf(route, found);
    if (body === null) return next(req, res);
    const { ip, protocol } = this.addressOf(req);
    this.send(req, res, { path: route.path, status: 200, own: corsHeaders(found!.app, req.headers.origin), body, ip, protocol, started });
  }

  /** The route's answer for a token it read, as JSON; null when Fastify is to answer. */
  private answerOf(route: HotRoute, found: TokenWithOwners): string | null {
    if (!route.byOwnersAndScopes) {
      const answer = route.answer(found);
      return answer === null ? null : JSON.stringify(answer);
    }
    let answers = this.answers.get(route);
    if (answers === undefined) this.answers.set(route, (answers = new OwnerAnswers()));
    return answers.json(found.user, found.app, found.token.scopes, () => route.answer(found));
  }

  private takeForm(req: IncomingMessage, res: ServerResponse, route: HotFormRoute): boolean {
    const headers = req.headers;
    const length = Number(headers['content-length']);
    if (headers['transfer-encoding'] !== undefined || !(length <= this.bodyLimit) || !FORM.test(headers['content-type'] ?? '') || wantsPage(req)) return false;
    if (!route.takes(headers)) return false;
    const started = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A caller that goes away before its body has arrived gets no answer, as from Fastify. Whatever the
    // route throws, at once or later, is answered: nothing escapes into the event loop.
    req.on('end', () => this.later(() => {
      try {
        this.answerForm(req, res, route, Buffer.concat(chunks), started)?.catch((error: unknown) => this.abandon(res, error));
      } catch (error) {
        this.abandon(res, error);
      }
    }));
    return true;
  }

  /** Answers a form; a promise when the route's answer is still to come. */
  private answerForm(req: IncomingMessage, res: ServerResponse, route: HotFormRoute, raw: Buffer, started: number): Promise<void> | undefined {
    const form = parseUrlEncoded(raw.toString('utf8'));
    const { ip, protocol } = this.addressOf(req);
    let client: AppRecord | undefined;
    const answered = (status: number, own: Array<[string, string]>, body: object, reqId?: string) => {
      this.send(req, res, { path: route.path, status, own: route.cors ? own.concat(corsHeaders(client, req.headers.origin)) : own, body, form, ip, protocol, started, reqId });
    };
    let answer: object | Promise<object>;
    try {
      answer = route.answer(req.headers.authorization, form, { ip: ip ?? 'unknown', onClient: (app) => (client = app) });
    } catch (error) {
      this.refuse(error, answered);
      return undefined;
    }
    if (!(answer instanceof Promise)) {
      answered(200, route.answerHeaders, answer);
      return undefined;
    }
    return answer.then((body) => answered(200, route.answerHeaders, body), (error: unknown) => this.refuse(error, answered));
  }

  /** A failure in the lane's own answering (never expected): logged, and the request answered 500 if nothing was sent yet. */
  private abandon(res: ServerResponse, error: unknown): void {
    this.log.error({ err: error }, 'the hot lane failed to answer');
    if (res.headersSent) return void res.destroy();
    const body = JSON.stringify(SERVER_ERROR.body);
    res.writeHead(SERVER_ERROR.status, [...SERVER_ERROR.headers, ['content-type', 'application/json; charset=utf-8'], ['content-length', String(body.length)]].flat());
    res.end(body);
  }

  /** A failed form request, answered as Fastify's error handler answers it (server.ts). */
  private refuse(error: unknown, answered: (status: number, own: Array<[string, string]>, body: object, reqId: string) => void): void {
    const reqId = randomUUID();
    if (error instanceof OAuthError) {
      this.log.debug({ reqId, error: error.code, description: error.description }, 'refused with an OAuth error');
      return answered(error.status, oauthErrorHeaders(error), error.toJSON(), reqId);
    }
    const failure = isDatabaseUnavailable(error) ? UNAVAILABLE : SERVER_ERROR;
    if (failure === UNAVAILABLE) this.log.warn({ reqId, err: error }, 'database unavailable');
    else this.log.error({ reqId, err: error }, 'unhandled error');
    answered(failure.status, failure.headers, failure.body, reqId);
  }

  private send(req: IncomingMessage, res: ServerResponse, a: Answer): void {
    const body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    // As Node's flat list of names and values, filled by plain loops: spreading and `flat()` cost twenty
    // times as much (2.0 against 0.1 µs an answer). The answer's own headers first; the security headers
    // only where it set none of the same name, as the onSend hook does.
    const headers = ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body))];
    for (const [name, value] of a.own) headers.push(name, value);
    for (const [name, value] of securityHeaders(this.ctx.config, a.protocol)) if (!ownsHeader(a.own, name)) headers.push(name, value);
    res.writeHead(a.status, headers);
    res.end(body);
    this.served++;
    const elapsed = performance.now() - a.started;
    this.metrics.observe(a.path, req.method!, a.status, elapsed / 1000, a.form);
    this.accessLog.write('info', { reqId: a.reqId ?? randomUUID(), method: req.method!, path: a.path, ip: a.ip, status: a.status, responseTime: elapsed });
  }
}

function ownsHeader(own: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  for (const header of own) if (header[0] === name) return true;
  return false;
}

/** One answer the lane writes, and what its log line and metrics need. */
interface Answer {
  path: string;
  status: number;
  own: Array<[string, string]>;
  /** An object, or its JSON already. */
  body: object | string;
  form?: RawParams;
  ip: string | undefined;
  protocol: string;
  started: number;
  reqId?: string | undefined;
}
