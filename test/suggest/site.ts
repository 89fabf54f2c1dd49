/**
 * A website that uses Gatehouse's instant login, for the browser tests: a
 * node:http server on a loopback port, reached as `http://localhost:PORT` —
 * another site than Gatehouse on `127.0.0.1:PORT2`, so Chromium treats
 * Gatehouse's frame as third-party and sends it none of Gatehouse's cookies.
 *
 * - `/?…` the page with the button or the widget; its query says how to call
 *   `YaAuthSuggest.init` (see `pageUrl`), and the page records what happens
 *   in `window.outcome` for the test to read;
 * - `/token` the token page (the redirect URI): `YaSendSuggestToken`;
 * - `/forge` a page that posts a forged token message to its parent;
 * - `/plain` a page with only the SDK, for `openOauthPopup`.
 * The same server also answers on `http://127.0.0.1:PORT`, an origin that is
 * not a suggest hostname.
 */
import { createServer, type Server } from 'node:http';

export interface Site {
  /** `http://localhost:PORT`: the suggest hostname. */
  origin: string;
  /** `http://127.0.0.1:PORT`: the same pages on an origin that is not listed. */
  otherOrigin: string;
  tokenPage: string;
  /** The page calling `init` with these options. */
  pageUrl(options: PageOptions, origin?: string): string;
  close(): Promise<void>;
}

export interface PageOptions {
  clientId: string;
  view?: 'button' | 'default';
  responseType?: 'token' | 'code';
  state?: string;
  /** suggestParams of the button (buttonView, buttonTheme, …). */
  button?: Record<string, string | number>;
  /** Width of the button's container, px. */
  width?: number;
  /** Also put a frame of `origin` that posts a forged token message. */
  forgeFrom?: string;
  /** Call handler() right away (default) or leave it to the test (`window.handler`). */
  autoHandler?: boolean;
}

const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function page(gatehouse: string, origin: string, q: URLSearchParams): string {
  const options = JSON.parse(q.get('o') ?? '{}') as PageOptions;
  const oauth = { client_id: options.clientId, response_type: options.responseType ?? 'token', redirect_uri: `${origin}/token`, ...(options.state ? { state: options.state } : {}) };
  const suggest = options.view === 'button' ? { view: 'button', parentId: 'login', ...options.button } : undefined;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Photo Printer</title>
<script src="${gatehouse}/sdk/suggest.js"></script>
<style>body { font: 16px system-ui; margin: 24px; } #login { width: ${options.width ?? 320}px; }</style>
</head>
<body>
<h1>Photo Printer</h1>
<div id="login"></div>
${options.forgeFrom ? `<iframe id="forger" src="${options.forgeFrom}/forge?to=${encodeURIComponent(origin)}" width="10" height="10"></iframe>` : ''}
<script>
window.outcome = { init: null, result: null, error: null };
window.started = YaAuthSuggest.init(${json(oauth)}, ${json(origin)}${suggest ? `, ${json(suggest)}` : ''})
  .then(function (answer) {
    window.outcome.init = answer.status;
    window.handler = answer.handler;
    if (${options.autoHandler === false ? 'false' : 'true'}) window.waitForToken();
  }, function (error) { window.outcome.init = 'error'; window.outcome.error = error; });
window.waitForToken = function () {
  return window.handler().then(
    function (data) { window.outcome.result = data; },
    function (error) { window.outcome.error = error; });
};
</script>
</body>
</html>`;
}

export async function startSite(gatehouse: string): Promise<Site> {
  let port = 0;
  const server: Server = createServer((req, res) => {
    const host = req.headers.host ?? '';
    const origin = `http://${host}`;
    const url = new URL(req.url ?? '/', origin);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (url.pathname === '/') return res.end(page(gatehouse, origin, url.searchParams));
    if (url.pathname === '/token') {
      return res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Token</title>
<script src="${gatehouse}/sdk/suggest-token.js"></script></head>
<body><p>Signing you in…</p><script>YaSendSuggestToken(${json(`http://localhost:${port}`)}, { from: 'token page' });</script></body></html>`);
    }
    if (url.pathname === '/forge') {
      // Everything a real token page would send, from the wrong origin.
      const to = url.searchParams.get('to') ?? '*';
      return res.end(`<!doctype html><script>
setInterval(function () {
  parent.postMessage({ cause: 'token', type: 'token', payload: { access_token: 'gate_at_forged', token_type: 'bearer', expires_in: '3600' } }, ${json(to)});
}, 100);
</script>`);
    }
    if (url.pathname === '/plain') {
      return res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plain</title><script src="${gatehouse}/sdk/suggest.js"></script></head><body><button id="go">Log in</button></body></html>`);
    }
    res.statusCode = 404;
    res.end('not found');
  });
  port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  const origin = `http://localhost:${port}`;
  return {
    origin,
    otherOrigin: `http://127.0.0.1:${port}`,
    tokenPage: `${origin}/token`,
    pageUrl: (options, at = origin) => `${at}/?o=${encodeURIComponent(JSON.stringify(options))}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
