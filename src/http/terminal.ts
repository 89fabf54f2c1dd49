/**
 * What a person sees when they run Gatehouse in a terminal: log lines they
 * can read (time, level, message; a request as "GET /login 200 3 ms") through
 * pino-pretty, and a start-up block that says where Gatehouse answers, where
 * its data is, what to back up and what to do next. Without a terminal
 * (systemd, Docker, a pipe), logs stay one JSON object a line, for machines.
 */
import type { DestinationStream } from 'pino';

interface LogLine {
  msg?: string;
  req?: { method?: string; path?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/** A synchronous pino-pretty stream to stdout, colours when the terminal has them; loaded only for a terminal. */
export async function prettyStream(): Promise<DestinationStream> {
  const { default: pinoPretty } = await import('pino-pretty');
  return pinoPretty({
    colorize: process.stdout.hasColors?.() ?? false,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,reqId,req,res,responseTime',
    singleLine: true,
    sync: true,
    messageFormat: (log: LogLine, messageKey: string) => {
      if (log.req?.method && log.res?.statusCode !== undefined) {
        return `${log.req.method} ${log.req.path ?? ''} ${log.res.statusCode} ${Math.round(log.responseTime ?? 0)} ms`;
      }
      return String((log as Record<string, unknown>)[messageKey] ?? '');
    },
  }) as DestinationStream;
}

/** Paths of files that never change between requests: their request lines are `debug`, not `info`. */
export function isStaticAsset(path: string): boolean {
  return /^\/(assets|sdk|icons|avatars)\//.test(path) || path === '/favicon.ico';
}

export interface StartupFacts {
  issuer: string;
  /** Where the data lives: the SQLite file, or that the database is PostgreSQL. */
  data: string;
  /** The secret key file, when this start created it (it must be backed up). */
  createdSecretKey: string | null;
  /** The first-run setup link, while no operator exists. */
  setupLink: string | null;
}

/** The block printed to a terminal once Gatehouse listens. */
export function startupBlock(f: StartupFacts): string {
  const bold = (s: string) => (process.stdout.hasColors?.() ? `\x1b[1m${s}\x1b[22m` : s);
  const lines = ['', `  ${bold('Gatehouse is running at')} ${bold(f.issuer)}`, '', `  Data:        ${f.data}`];
  if (f.createdSecretKey) {
    lines.push(`  Secret key:  ${f.createdSecretKey} was created now.`,
      '               Back it up with the database: without it, client secrets and signing keys cannot be read.');
  }
  lines.push('');
  if (f.setupLink) {
    lines.push(`  ${bold('Next step:')}   create the first operator account. Open this link (it works once, until restart):`,
      `               ${f.setupLink}`,
      '               Or on the command line: gatehouse user create --login <you> --admin');
  } else {
    lines.push(`  ${bold('Next step:')}   sign in at ${f.issuer}/login`);
  }
  lines.push('', '  Press Ctrl+C to stop. Log lines follow.', '');
  return lines.join('\n') + '\n';
}
