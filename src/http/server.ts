/**
 * The HTTP server: Fastify with Gatehouse's parsers, headers, error handling
 * and routes. Protocol rules live in `oauth/`; this layer only translates.
 */
import cookie from '@fastify/cookie';
import { destination as pinoDestination, type DestinationStream } from 'pino';
import { AccessLogWriter } from './access-log.js';
import Fastify, { LogController, type FastifyInstance, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import { InvalidRequest, OAuthError } from '../oauth/errors.js';
import { isDatabaseUnavailable } from '../storage/open.js';
import { Metrics } from './metrics.js';
import { isStaticAsset, prettyStream } from './terminal.js';
import { parseUrlEncoded } from './params.js';
import { catalogue } from '../pages/messages/index.js';
import { LANG_COOKIE, messagesFor, sendErrorPage, sendOAuthError, sendPage, SERVER_ERROR, UNAVAILABLE, wantsPage } from './render.js';
import { messagePage } from '../pages/account-pages.js';
import { registerCors } from './cors.js';
import { DEFAULT_CSP, HSTS, wantsHsts } from './headers.js';
import { HotLane } from './hot-lane.js';
import { finishHeadAnswers, restoreHeadMethod, routeHeadAsGet } from './head.js';
import { accountRoutes } from './routes/accounts.js';
import { addressConfirmationRoutes } from './routes/address-confirmation.js';
import { passwordResetRoutes } from './routes/password-reset.js';
import { twoStepAccountRoutes } from './routes/two-step-account.js';
import { twoStepSignInRoutes } from './routes/two-step-sign-in.js';
import { passkeyRoutes } from './routes/passkeys.js';
import { securityKeyStepRoutes } from './routes/security-key-step.js';
import { completeSecondStep, pendingSignIn, stepUpStillValid } from './pending-sign-in.js';
import { accountPageRoutes } from './routes/account.js';
import { adminRoutes } from './routes/admin.js';
import { appLinkRoutes } from './routes/app-links.js';
import { assetRoutes } from './routes/assets.js';
import { authorizeRoutes } from './routes/authorize.js';
import { confirmationRoutes } from './routes/confirmation.js';
import { consoleRoutes } from './routes/console.js';
import { healthRoutes } from './routes/health.js';
import { hotInfo, infoRoutes } from './routes/info.js';
import { logoutRoutes } from './routes/logout.js';
import { hotIntrospect, hotUserinfo, oidcRoutes } from './routes/oidc.js';
import { pictureRoutes } from './routes/pictures.js';
import { revokeRoutes } from './routes/revoke.js';
import { sdkRoutes } from './routes/sdk.js';
import { suggestRoutes } from './routes/suggest.js';
import { buttonGeneratorRoutes } from './routes/button-generator.js';
import { hotToken, tokenRoutes } from './routes/token.js';
import { parRoutes } from './routes/par.js';
import { upstreamRoutes } from './routes/upstreams.js';
import { adminUpstreamRoutes } from './routes/admin-upstreams.js';
import { adminWebhookRoutes } from './routes/admin-webhooks.js';
import { organisationRoutes } from './routes/organisation.js';
import { registrationRoutes } from './routes/registration.js';
import { setupRoutes } from './routes/setup.js';
import { apiRoutes } from './routes/api.js';

/**
 * One access-log line per request, written when it completes, with method,
 * path, status and time — instead of Fastify's two (received, completed):
 * logging is a visible share of a hot endpoint's cost (docs/benchmarks.md).
 */
class AccessLog extends LogController {
  /** The completed line, by hand (access-log.ts), as the hot lane writes it. */
  private lines: AccessLogWriter | null = null;

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    this.lines ??= new AccessLogWriter(request.server.log);
    // Pictures, styles and scripts are noise at `info`; a failed one is still worth a line.
    const level = reply.statusCode < 400 && isStaticAsset(request.url) ? 'debug' : 'info';
    this.lines.write(level, {
      reqId: request.id, method: request.method, path: request.url.split('?')[0]!, ip: request.ip, status: reply.statusCode, responseTime: reply.elapsedTime,
    });
  }
}

/**
 * GATEHOUSE_TRUST_PROXY as Fastify takes it. A hop count becomes a function
 * trusting the nearest `n` hops: Fastify itself trusts nobody for a bare number.
 */
function fastifyTrustProxy(trust: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return trust === 0 ? false : (_address, hop) => hop < trust;
  return trust;
}

/**
 * Where JSON log lines go when no terminal reads them: standard output,
 * written asynchronously. pino's default writes each line with its own
 * blocking write(2) while the request waits; here a line joins the buffer and
 * the lines of a busy moment leave in one write, off the request's path
 * (access lines join it a turn of the event loop at a time: access-log.ts).
 * Nothing is held back when idle (a line is written as soon as the previous
 * write is done), and what is buffered is flushed when the process exits
 * normally or on a signal; a process killed outright (SIGKILL) can lose the
 * last few lines, never an audit entry (those are in the database).
 * One per process: servers in one process share it, so lines never interleave.
 */
let logDestination: DestinationStream | null = null;
const asyncStdout = (): DestinationStream => (logDestination ??= pinoDestination({ dest: 1, sync: false }));

/** Form bodies are small; anything larger is refused before parsing. */
const BODY_LIMIT = 64 * 1024;

export interface ServerOptions {
  logger?: boolean;
  /** Human-readable log lines for a terminal (terminal.ts) instead of JSON. */
  pretty?: boolean;
  /** Where JSON log lines go instead of standard output. */
  logStream?: DestinationStream;
  /** False: every request goes through Fastify, the hot lane's answers too (hot-lane.ts); tests compare the two. */
  hotLane?: boolean;
}

export async function buildServer(ctx: Context, options: ServerOptions = {}): Promise<FastifyInstance> {
  const secureIssuer = ctx.config.secureCookies;
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: ctx.config.logLevel,
            ...(options.pretty ? {
              stream: await prettyStream(),
              // The start-up block (terminal.ts) says where Gatehouse answers, as its issuer.
              hooks: {
                logMethod(args: unknown[], method: (...a: unknown[]) => void) {
                  if (typeof args[0] === 'string' && args[0].startsWith('Server listening at')) return;
                  method.apply(this, args);
                },
              },
            } : { stream: options.logStream ?? asyncStdout() }),
            // Never log query strings or credentials: they carry codes, tokens and secrets.
            serializers: {
              req: (req) => ({ method: req.method, path: req.url.split('?')[0], remoteAddress: req.ip }),
            },
            // Nothing logs bodies or headers; should anything ever log one of these, it is censored.
            redact: {
              paths: [
                'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.client_secret',
                '*.access_token', '*.refresh_token', '*.id_token', '*.code_verifier', '*.device_code', '*.jwt_secret', '*.oauth_token',
              ],
              censor: '[redacted]',
            },
          },
    logController: new AccessLog(),
    bodyLimit: BODY_LIMIT,
    trustProxy: fastifyTrustProxy(ctx.config.trustProxy),
    routerOptions: { querystringParser: (s: string) => parseUrlEncoded(s) },
    genReqId: () => crypto.randomUUID(),
    // HEAD is answered by the GET routes themselves, without a HEAD twin of each (head.ts).
    exposeHeadRoutes: false,
    rewriteUrl: routeHeadAsGet,
    // A request Node cannot parse (headers too large, bad framing) is answered without a body,
    // which a HEAD request must not get either, and the connection closed.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      else socket.destroy();
    },
    // A URL that cannot be decoded is refused before routing; Fastify's own answer would echo it.
    frameworkErrors: (_error, _request, reply) => {
      void (reply as unknown as FastifyReply).code(400).header('Cache-Control', 'no-store')
        .send({ error: 'invalid_request', error_description: 'the request is malformed' });
    },
  });

  restoreHeadMethod(app);
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    done(null, parseUrlEncoded(body as string));
  });
  await app.register(cookie);
  // Pages read the organisation's look without waiting (render.ts messagesFor): read it once before serving.
  await ctx.organisation.look();
  app.decorate('organisation', ctx.organisation);

  // `?lang=` on any page is remembered, so the next pages keep the language.
  // Hooks on every request take a callback, not a promise: one promise and one turn of the microtask queue less each.
  app.addHook('onRequest', (request, reply, done) => {
    const lang = (request.query as Record<string, unknown>).lang;
    if (typeof lang === 'string' && catalogue(lang) && request.cookies[LANG_COOKIE] !== lang) {
      reply.setCookie(LANG_COOKIE, lang, { path: '/', sameSite: 'lax', httpOnly: true, secure: secureIssuer, maxAge: 365 * 24 * 3600 });
    }
    done();
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    const csp = reply.getHeader('Content-Security-Policy');
    // Responses meant to be framed (the instant-login frames, docs/protocol.md §8) name their ancestors in the CSP instead.
    if (csp === undefined) reply.header('Content-Security-Policy', DEFAULT_CSP).header('X-Frame-Options', 'DENY');
    else if (!/frame-ancestors (?!'none')/.test(String(csp))) reply.header('X-Frame-Options', 'DENY');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    if (wantsHsts(ctx.config, request.protocol)) reply.header('Strict-Transport-Security', HSTS);
    done(null, payload);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof OAuthError) {
      // The description never carries input (OAuthError), so it is safe to log: operators debugging an app see why it was refused.
      request.log.debug({ error: error.code, description: error.description }, 'refused with an OAuth error');
      return sendOAuthError(reply, error);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Parser and framework errors (bad content type, body too large): say so without echoing input.
      const description =
        status === 413 ? 'the request body is too large'
        : status === 415 ? 'unsupported content type: send application/x-www-form-urlencoded'
        : 'the request is malformed';
      if (wantsPage(request)) return sendErrorPage(request, reply, new InvalidRequest(description), status);
      return reply.code(status).header('Cache-Control', 'no-store').send({ error: 'invalid_request', error_description: description });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      for (const [name, value] of UNAVAILABLE.headers) reply.header(name, value);
      return reply.code(UNAVAILABLE.status).send(UNAVAILABLE.body);
    }
    request.log.error({ err: error }, 'unhandled error');
    if (wantsPage(request)) {
      const msgs = messagesFor(request);
      return sendPage(reply.header('Cache-Control', 'no-store'), messagePage(msgs, msgs.serverErrorTitle, msgs.serverErrorText), 500);
    }
    for (const [name, value] of SERVER_ERROR.headers) reply.header(name, value);
    return reply.code(SERVER_ERROR.status).send(SERVER_ERROR.body);
  });

  // A browser that mistyped an address gets a page in its language; programs get JSON.
  app.setNotFoundHandler((request, reply) => {
    if (!wantsPage(request)) return reply.code(404).send({ error: 'not_found', error_description: 'there is nothing at this address' });
    const msgs = messagesFor(request);
    return sendPage(reply, messagePage(msgs, msgs.notFoundTitle, msgs.notFound), 404);
  });

  const metrics = new Metrics();
  metrics.instrument(app);

  registerCors(app);
  finishHeadAnswers(app);
  for (const routes of [healthRoutes, assetRoutes, accountRoutes, authorizeRoutes, confirmationRoutes, tokenRoutes, parRoutes, infoRoutes, revokeRoutes, oidcRoutes, logoutRoutes, appLinkRoutes, sdkRoutes, suggestRoutes, buttonGeneratorRoutes, accountPageRoutes, consoleRoutes, adminRoutes, pictureRoutes, passwordResetRoutes, addressConfirmationRoutes, twoStepSignInRoutes, twoStepAccountRoutes, passkeyRoutes, upstreamRoutes, adminUpstreamRoutes, adminWebhookRoutes, setupRoutes, organisationRoutes, apiRoutes, registrationRoutes]) {
    await app.register(routes(ctx));
  }
  // A security key as the second step: the half-done sign-in, held by the two-step framework, and still this
  // browser's own when it is a step-up of a session.
  await app.register(securityKeyStepRoutes(ctx, {
    pending: async (c, request) => {
      const pending = await pendingSignIn(c, request);
      return pending && (await stepUpStillValid(c, request, pending)) ? pending : null;
    },
    complete: completeSecondStep,
  }));
  if (options.hotLane !== false) new HotLane(ctx, app, metrics, { tokens: [hotInfo(ctx), hotUserinfo(ctx)], forms: [hotIntrospect(ctx), hotToken(ctx)], bodyLimit: BODY_LIMIT }).install(app);
  return app;
}
