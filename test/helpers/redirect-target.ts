/**
 * A stand-in for an app's redirect URI: a tiny node:http server on a loopback
 * port that records the query of every request it gets and answers with a
 * small page, so a browser test can see what Gatehouse sent back to the app.
 */
import { createServer, type Server } from 'node:http';

export interface RedirectTarget {
  /** `http://127.0.0.1:<port>/callback`, to register as the app's redirect URI. */
  redirectUri: string;
  /** Queries received so far, oldest first. */
  received: URLSearchParams[];
  /** The most recent query; throws when nothing arrived yet. */
  last(): URLSearchParams;
  close(): Promise<void>;
}

export async function startRedirectTarget(): Promise<RedirectTarget> {
  const received: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/callback') received.push(url.searchParams);
    res.writeHead(url.pathname === '/callback' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>App</title><h1>Back in the app</h1>');
  });
  const port: number = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    received,
    last() {
      const query = received.at(-1);
      if (!query) throw new Error('the app has received no redirect yet');
      return query;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
