/**
 * A real SMTP server on loopback for tests (the `smtp-server` package): it
 * takes mail as any relay would, with AUTH PLAIN/LOGIN, optionally STARTTLS
 * (its built-in self-signed certificate) or TLS from the start, and keeps what
 * arrives. A small MIME reader turns each message into its subject, text and
 * HTML, so tests read the mail as a person would and follow its links.
 */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface CaughtMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** Whether the connection was encrypted (TLS, or upgraded with STARTTLS) when the mail was sent. */
  secure: boolean;
  /** Who authenticated. */
  user: string | null;
}

export interface SmtpCatcher {
  /** `smtp://user:pass@127.0.0.1:<port>` (or `smtps://…`): what GATEHOUSE_SMTP_URL is set to. */
  url: string;
  port: number;
  mails: CaughtMail[];
  /** The next mail to `to` (ignoring case; or any), waiting up to `timeoutMs`; mails are taken in order. */
  next(to?: string, timeoutMs?: number): Promise<CaughtMail>;
  /** Refuses the next `n` messages with a temporary error (451), as a busy relay does. */
  refuseNext(n: number): void;
  close(): Promise<void>;
}

export const SMTP_USER = 'gatehouse';
export const SMTP_PASS = 'smtp secret';

function decodeWords(value: string): string {
  return value.replace(/=\?([\w-]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_, _charset: string, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: end === -1 ? '' : raw.slice(end + 4) };
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable':
      return Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
    default:
      return body;
  }
}

/** Subject, text and HTML of a message (single part or multipart/alternative). */
export function parseMessage(raw: string): Pick<CaughtMail, 'subject' | 'text' | 'html' | 'headers'> {
  const { headers, body } = splitHeaders(raw);
  const parts: { type: string; content: string }[] = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const part = splitHeaders(chunk.replace(/^\r\n/, ''));
      parts.push({ type: part.headers['content-type'] ?? 'text/plain', content: decodeBody(part.body.replace(/\r\n$/, ''), part.headers['content-transfer-encoding']) });
    }
  } else {
    parts.push({ type: headers['content-type'] ?? 'text/plain', content: decodeBody(body, headers['content-transfer-encoding']) });
  }
  return {
    headers,
    subject: decodeWords(headers.subject ?? ''),
    text: parts.find((p) => p.type.startsWith('text/plain'))?.content.replace(/\r\n/g, '\n') ?? '',
    html: parts.find((p) => p.type.startsWith('text/html'))?.content ?? '',
  };
}

/** The first link in a mail's text to `${issuer}${path}`. */
export function linkIn(mail: Pick<CaughtMail, 'text'>, issuer: string, path: string): string {
  const escaped = `${issuer}${path}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = new RegExp(`${escaped}\\?token=[A-Za-z0-9_-]+`).exec(mail.text);
  if (!found) throw new Error(`no ${path} link in the mail:\n${mail.text}`);
  return found[0];
}

export async function startSmtpServer(options: { tls?: 'none' | 'starttls' | 'implicit' } = {}): Promise<SmtpCatcher> {
  const tls = options.tls ?? 'none';
  const mails: CaughtMail[] = [];
  const waiting: (() => void)[] = [];
  let refuse = 0;
  const serverOptions: SMTPServerOptions = {
    secure: tls === 'implicit',
    disabledCommands: tls === 'none' ? ['STARTTLS'] : [],
    allowInsecureAuth: tls === 'none',
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse > 0) {
          refuse--;
          const err = new Error('Try again later') as Error & { responseCode: number };
          err.responseCode = 451;
          callback(err);
          return;
        }
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parseMessage(Buffer.concat(chunks).toString('latin1')),
          secure: session.secure,
          user: (session.user as string | undefined) ?? null,
        });
        callback();
        for (const wake of waiting.splice(0)) wake();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  const port: number = await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
  });
  let taken = 0;
  return {
    url: `${tls === 'implicit' ? 'smtps' : 'smtp'}://${SMTP_USER}:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${port}`,
    port,
    mails,
    async next(to, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = mails.findIndex((m, i) => i >= taken && (to === undefined || m.to.some((t) => t.toLowerCase() === to.toLowerCase())));
        if (index !== -1) {
          taken = index + 1;
          return mails[index]!;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no mail${to ? ` to ${to}` : ''} arrived within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiting.push(() => { clearTimeout(timer); resolve(); });
        });
      }
    },
    refuseNext(n) {
      refuse = n;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
