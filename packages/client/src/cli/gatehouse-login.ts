#!/usr/bin/env node
/**
 * `gatehouse-login`: signs a user in to a Gatehouse app from a terminal and
 * prints the tokens (docs/protocol.md §9). Loopback redirect by default (RFC 8252 §7.3),
 * device code with `--device` (RFC 8628). Messages go to stderr, tokens to
 * stdout, so `--json` output can be piped.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { GatehouseClient } from '../client.js';
import { GatehouseError } from '../errors.js';
import { loopbackLogin } from '../node/loopback.js';
import type { TokenSet } from '../token-store.js';

/** Exit codes, also listed in --help and the package README. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** The issuer cannot be reached or is not a Gatehouse with this issuer URL. */
  badIssuer: 3,
  /** The app is unknown, blocked, or not allowed this flow or these scopes. */
  appRefused: 4,
  denied: 5,
  expired: 6,
  interrupted: 130,
} as const;

const HELP = `Usage: gatehouse-login --issuer URL --client-id ID [options]

Signs in to a Gatehouse app and prints the tokens.

  --issuer URL       Gatehouse's issuer URL, e.g. https://id.example.org
  --client-id ID     the app's client_id (a desktop app, or any app for --device)
  --scope S          scopes to ask for, space-separated (default: the app's)
  --device           sign in with a code typed on another device (RFC 8628)
  --device-name N    name of this device, shown to the user (with --device)
  --port N           loopback port for the browser's redirect (default: any free port)
  --no-browser       print the sign-in URL without opening a browser
  --json             print the token response as JSON
  -h, --help         show this help

Exit codes: 0 signed in, 1 other failure, 2 bad usage, 3 issuer unreachable or not
a Gatehouse, 4 app unknown or refused, 5 user denied, 6 code or request expired,
130 interrupted.`;

class Failure extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

function exitCodeOf(err: unknown): number {
  if (err instanceof Failure) return err.exitCode;
  if (!(err instanceof GatehouseError)) return EXIT.failed;
  switch (err.code) {
    case 'access_denied': return EXIT.denied;
    case 'expired_token': return EXIT.expired;
    case 'aborted': return EXIT.interrupted;
    case 'invalid_client': case 'unauthorized_client': case 'invalid_scope': return EXIT.appRefused;
    case 'network_error': case 'invalid_response': case 'issuer_mismatch': return EXIT.badIssuer;
    default: return EXIT.failed;
  }
}

/** The issuer must answer its metadata (RFC 8414 §3) naming itself exactly (§3.3). */
async function checkIssuer(issuer: string): Promise<void> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/oauth-authorization-server`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new Failure(`cannot reach ${issuer}: ${(err as Error).message}`, EXIT.badIssuer);
  }
  const meta = (await res.json().catch(() => null)) as { issuer?: unknown } | null;
  if (!res.ok || meta === null) throw new Failure(`${issuer} is not a Gatehouse (no server metadata at ${url})`, EXIT.badIssuer);
  if (meta.issuer !== issuer.replace(/\/+$/, '')) {
    throw new Failure(`${issuer} calls itself ${String(meta.issuer)}: use that as --issuer`, EXIT.badIssuer);
  }
}

/**
 * Asks /authorize once without a session, as the browser will: an unknown app
 * or a refused redirect URI is shown on Gatehouse's error page and never comes
 * back to the loopback server, so the program finds out here and says so.
 */
async function checkAuthorizeUrl(url: string): Promise<void> {
  const res = await fetch(url, { redirect: 'manual' });
  if (res.status >= 300 && res.status < 400) return;
  const page = await res.text();
  const code = /<code>([a-z_]+)<\/code>/.exec(page)?.[1] ?? `HTTP ${res.status}`;
  const description = /<\/code><\/dd><dd[^>]*>([^<]*)<\/dd>/.exec(page)?.[1]?.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&') ?? 'the authorization request was refused';
  throw new Failure(`Gatehouse refused the sign-in: ${code}: ${description}`, EXIT.appRefused);
}

function printTokens(tokens: TokenSet, json: boolean): void {
  const body = {
    access_token: tokens.accessToken,
    token_type: tokens.tokenType,
    ...(tokens.expiresIn !== null ? { expires_in: tokens.expiresIn } : {}),
    ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
    scope: tokens.scope.join(' '),
    ...(tokens.idToken ? { id_token: tokens.idToken } : {}),
  };
  process.stdout.write(json ? JSON.stringify(body, null, 2) + '\n' : Object.entries(body).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        scope: { type: 'string' },
        device: { type: 'boolean', default: false },
        'device-name': { type: 'string' },
        port: { type: 'string' },
        'no-browser': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new Failure(`${(err as Error).message} (see --help)`, EXIT.usage);
  }
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  const issuer = values.issuer;
  const clientId = values['client-id'];
  if (!issuer || !clientId) throw new Failure('--issuer and --client-id are required (see --help)', EXIT.usage);
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(issuer)) throw new Failure(`--issuer must be an http(s) URL: ${issuer}`, EXIT.usage);
  let port = 0;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new Failure(`--port must be a port number: ${values.port}`, EXIT.usage);
    port = Number(values.port);
  }

  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  await checkIssuer(issuer);
  const client = new GatehouseClient({ issuer, clientId, ...(values.scope ? { scope: values.scope } : {}) });
  const say = (text: string) => process.stderr.write(text + '\n');

  let tokens: TokenSet;
  if (values.device) {
    tokens = await client.deviceLogin({
      signal: controller.signal,
      // Gatehouse keeps a device name only with a device id (docs/protocol.md §3): this computer's name.
      ...(values['device-name'] ? { deviceName: values['device-name'], deviceId: `gatehouse-login@${hostname()}`.slice(0, 50).padEnd(6, '-') } : {}),
      onCode(code) {
        say(`To sign in, open ${code.verificationUri} and enter the code ${code.userCode}`);
        say(`or scan this QR code:\n${code.qr.text}`);
        say(`(${code.verificationUriComplete}; the code expires in ${Math.round(code.expiresIn / 60)} minutes)`);
        say('Waiting for you to allow access…');
      },
    });
  } else {
    tokens = await loopbackLogin(client, {
      port,
      openBrowser: !values['no-browser'],
      signal: controller.signal,
      async onUrl(url) {
        say(`Open this URL in a browser to sign in:\n${url}`);
        await checkAuthorizeUrl(url);
      },
    });
  }
  // Which account: the browser may have been signed in as someone else than the user thought.
  const who = await client.getUserInfo().catch(() => null);
  const name = typeof who?.login === 'string' ? who.login : typeof who?.id === 'string' ? who.id : null;
  say(name ? `Signed in as ${name}.` : 'Signed in.');
  printTokens(tokens, values.json);
  return EXIT.ok;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  const message = err instanceof Failure ? err.message
    : err instanceof GatehouseError ? (err.code === 'aborted' ? 'interrupted' : `${err.code}: ${err.description}`)
    : `unexpected error: ${(err as Error).message}`;
  process.stderr.write(`gatehouse-login: ${message}\n`);
  process.exitCode = exitCodeOf(err);
  // Nothing else to wait for (a loopback server or a poll timer may still be open).
  process.exit(process.exitCode);
});
