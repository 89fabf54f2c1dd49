/**
 * Sign-in for desktop and console programs through the system browser and a
 * loopback redirect (RFC 8252 §7.3): a one-shot HTTP server on 127.0.0.1 and
 * an ephemeral port receives the authorization response.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuthorizeOptions, GatehouseClient } from '../client.js';
import { abortError, RedirectMismatchError } from '../errors.js';
import type { TokenSet } from '../token-store.js';

export interface LoopbackLoginOptions extends Omit<AuthorizeOptions, 'redirectUri'> {
  /** Port to listen on; 0 (default) lets the system pick one. Gatehouse accepts any port for desktop apps. */
  port?: number;
  /** Path of the redirect URI; `/` by default, which every desktop app may use (docs/protocol.md §9). */
  path?: string;
  /** Opens the URL in the system browser (default true). */
  openBrowser?: boolean;
  /** Called with the authorization URL once the server listens: print it for the user. The browser opens when it returns; if it throws, sign-in fails with its error. */
  onUrl?: (url: string) => void | Promise<void>;
  signal?: AbortSignal;
}

const page = (title: string, text: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title>` +
  `<body style="font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>${title}</h1><p>${text}</p></body></html>`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Opens `url` (or a file) in the system browser; failures are ignored (the URL
 * is printed too). `url` ends up on the opener's command line, which every
 * local user can read (`ps`): never pass it a URL that carries a secret —
 * openPrivately() is for those.
 */
export function openInBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]]
    : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
    : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no browser to open: the user opens the printed URL
  }
}

/** A page that sends the browser on to `url` at once. */
const forwardPage = (url: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
  `<meta http-equiv="refresh" content="0;url=${escapeHtml(url)}"><title>Signing in…</title>` +
  `<body style="font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem"><p><a href="${escapeHtml(url)}">Continue to sign in</a></p></body></html>`;

/**
 * Opens `url` in the system browser without putting it on anyone's command
 * line. An authorization URL names its `state` and the loopback port: another
 * user of the machine who read it in `ps` could open it, sign in with their
 * own account and have the waiting program signed in as them. So it goes into
 * a page that forwards to it, in a new directory only this user may enter
 * (mkdtemp, 0700) and a file only this user may read (0600, created
 * exclusively); the opener is given that file's path. Resolves with a
 * function that removes the page.
 */
export async function openPrivately(url: string): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-login-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const file = path.join(dir, 'sign-in.html');
    await writeFile(file, forwardPage(url), { mode: 0o600, flag: 'wx' });
    openInBrowser(file);
  } catch (err) {
    await remove();
    throw err;
  }
  return remove;
}

/**
 * Signs in through the browser: listens on `http://127.0.0.1:{port}{path}`,
 * builds the authorization request with PKCE and state (`client.authorize()`),
 * opens it (openPrivately: never on a command line), and finishes with `client.handleRedirect()` when the browser
 * comes back, answering the tab with "you can close this tab". A response
 * whose state does not match is refused and waiting goes on (someone else's
 * request on the port cannot end the sign-in).
 */
export async function loopbackLogin(client: GatehouseClient, options: LoopbackLoginOptions = {}): Promise<TokenSet> {
  const { port = 0, path: redirectPath = '/', openBrowser = true, onUrl, signal, ...authorizeOptions } = options;
  if (signal?.aborted) throw abortError(signal);
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  // The forwarding page openPrivately() wrote, removed when sign-in ends however it ends.
  let opened: Promise<(() => Promise<void>) | null> = Promise.resolve(null);
  try {
    const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${redirectPath}`;
    const pending = await client.authorize({ ...authorizeOptions, redirectUri });
    return await new Promise<TokenSet>((resolve, reject) => {
      const onAbort = () => reject(abortError(signal));
      signal?.addEventListener('abort', onAbort, { once: true });
      handle = (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri);
        if (req.method !== 'GET' || url.pathname !== redirectPath || !(url.searchParams.has('code') || url.searchParams.has('error'))) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        client.handleRedirect(url, pending).then((tokens) => {
          signal?.removeEventListener('abort', onAbort);
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
            .end(page('Signed in', 'You can close this tab and return to the program.'), () => resolve(tokens));
        }, (err: Error) => {
          const mismatch = err instanceof RedirectMismatchError;
          if (!mismatch) signal?.removeEventListener('abort', onAbort);
          res.writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
            .end(page('Sign-in failed', `${escapeHtml(err.message)}${mismatch ? '' : '<br>You can close this tab.'}`), () => { if (!mismatch) reject(err); });
        });
      };
      Promise.resolve(onUrl?.(pending.url)).then(() => {
        if (openBrowser) {
          opened = openPrivately(pending.url);
          opened.catch(reject);
        }
      }, reject);
    });
  } finally {
    await (await opened.catch(() => null))?.();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
