/**
 * The access-log line, one per request when it completes, written by hand.
 *
 * It is the line pino writes for `log.info({ reqId, req, res, responseTime },
 * 'request completed')` with the server's serializers (server.ts), byte for
 * byte: the level, pino's time and bindings (pid, hostname) from the logger
 * itself, then the request's fields, each string escaped as JSON. pino builds
 * it generically — a walk over the object, a serializer call for `req` and
 * `res`, a stringify of each nested object — 4.7 µs a line measured alone, of the
 * 14 µs logging cost an 83 µs `/info` (docs/benchmarks.md). test/integration/access-log.test.ts holds it against pino's
 * own line for the same request, hostile addresses included.
 *
 * The lines of one turn of the event loop go to the log's stream together,
 * at its end: the stream (sonic-boom) measures the bytes of what it already
 * holds at every write, which per line cost more than the line itself. They
 * are made there too: a request leaves its fields (and pino's time, taken
 * then), and the turn's lines are built in one loop, which cost 4–11 µs less
 * a request than building each as its request ended (docs/benchmarks.md). So
 * an access line can follow another line logged in the same turn; each
 * carries its time. Lines a turn holds when the process exits are written
 * then.
 *
 * The hot lane and Fastify's requests (server.ts `AccessLog`) both log
 * through it, so that the two lines never differ. Error lines, with their
 * error, are pino's own.
 */
import { symbols, type Logger } from 'pino';
import type { FastifyBaseLogger } from 'fastify';

export interface AccessLine {
  reqId: string;
  method: string;
  /** The path, without its query string (which can carry codes and tokens). */
  path: string;
  /** The client's address as the trust setting has it; absent when the socket has none (it closed). */
  ip: string | undefined;
  status: number;
  responseTime: number;
}

/** pino's numeric levels of the two levels the access log uses. */
const LEVELS = { info: 30, debug: 20 } as const;

export class AccessLogWriter {
  /** Whether the logger is pino's; a server built without logging has Fastify's silent one. */
  private readonly pino: boolean;

  /** `logger`: the server's (Fastify's `app.log`). */
  constructor(private readonly logger: FastifyBaseLogger) {
    this.pino = symbols.streamSym in logger;
  }

  write(level: keyof typeof LEVELS, line: AccessLine): void {
    const logger = this.logger;
    if (!this.pino) {
      logger[level]({ reqId: line.reqId, req: { method: line.method, url: line.path, ip: line.ip }, res: { statusCode: line.status }, responseTime: line.responseTime }, 'request completed');
      return;
    }
    if (!(logger as unknown as Logger).isLevelEnabled(level)) return;
    // The logger's own pieces, as pino's `write` puts them in: the time function's `,"time":…` and the bindings' `,"pid":…,"hostname":…`.
    const internals = logger as unknown as Record<symbol, unknown>;
    const time = (internals[symbols.timeSym] as () => string)();
    const bindings = internals[symbols.chindingsSym] as string;
    hold(internals[symbols.streamSym] as Stream, `{"level":${LEVELS[level]}${time}${bindings}`, line);
  }
}

interface Stream {
  write(s: string): unknown;
  /** sonic-boom's, when the stream is one (pino's destination): writes what it holds before the process ends. */
  flushSync?(): void;
}

/** This turn's lines, as their stream, their start (level, time, bindings) and their fields: made and written at its end. */
const held: Array<{ stream: Stream; start: string; line: AccessLine }> = [];

function hold(stream: Stream, start: string, line: AccessLine): void {
  if (held.length === 0) {
    setImmediate(writeWaiting);
    onExit();
  }
  held.push({ stream, start, line });
}

/** The rest of pino's line for these fields, after its `start`. */
function text(start: string, line: AccessLine): string {
  const address = line.ip === undefined ? '' : `,"remoteAddress":${JSON.stringify(line.ip)}`;
  return `${start},"reqId":${JSON.stringify(line.reqId)},"req":{"method":${JSON.stringify(line.method)},` +
    `"path":${JSON.stringify(line.path)}${address}},"res":{"statusCode":${line.status}},"responseTime":${JSON.stringify(line.responseTime)},"msg":"request completed"}\n`;
}

function writeWaiting(): void {
  const byStream = new Map<Stream, string[]>();
  for (const { stream, start, line } of held.splice(0)) {
    let lines = byStream.get(stream);
    if (lines === undefined) byStream.set(stream, (lines = []));
    lines.push(text(start, line));
  }
  for (const [stream, lines] of byStream) {
    try {
      stream.write(lines.join(''));
    } catch {
      // A stream that can no longer be written (closed at shutdown) has nowhere to say so either.
    }
  }
}

let exitHooked = false;
/** At exit, after pino's destination flushed itself (it hooked 'exit' first, when it was made): the turn's lines, and a flush of them. */
function onExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    const streams = new Set(held.map((h) => h.stream));
    writeWaiting();
    for (const stream of streams) stream.flushSync?.();
  });
}
