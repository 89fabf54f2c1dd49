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
 * - `/plain` a page with only the SDK, for `openOauthPopup`;
 * - `/grid?…` many buttons at once, for screenshots (see `gridUrl`).
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
  /** A page of many buttons, drawn one after another. */
  gridUrl(grid: Grid): string;
  /** Serves `html` at `path` from now on (e.g. a snippet copied from the button generator). */
  serve(path: string, html: string): string;
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

/** Sections of buttons on a light or dark page. */
export interface Grid {
  clientId: string;
  lang: string;
  sections: { title: string; dark: boolean; rows: { label: string; cells: { button: Record<string, string | number>; width: number }[] }[] }[];
}

function gridPage(gatehouse: string, origin: string, grid: Grid): string {
  let n = 0;
  const cells: { id: string; button: Record<string, string | number> }[] = [];
  const sections = grid.sections.map((section) => `<section class="${section.dark ? 'dark' : 'light'}"><h2>${section.title}</h2>
${section.rows.map((row) => `<div class="row"><span class="label">${row.label}</span>${row.cells.map((cell) => {
    const id = `b${n++}`;
    cells.push({ id, button: cell.button });
    return `<div class="cell" id="${id}" style="width:${cell.width}px"></div>`;
  }).join('')}</div>`).join('\n')}</section>`).join('\n');
  return `<!doctype html>
<html lang="${grid.lang}">
<head><meta charset="utf-8"><title>Buttons</title>
<script src="${gatehouse}/sdk/suggest.js"></script>
<style>
body { margin: 0; font: 13px system-ui; }
section { padding: 16px 20px 20px; }
section.light { background: #f6f7fa; color: #1b1e27; }
section.dark { background: #15171c; color: #e8eaf0; }
h2 { font-size: 14px; margin: 0 0 12px; }
.row { display: flex; align-items: center; gap: 16px; margin: 10px 0; }
.label { width: 150px; flex: none; opacity: .7; }
.cell { flex: none; }
</style></head>
<body>
${sections}
<script>
window.drawn = 0;
(async function () {
  for (const cell of ${json(cells)}) {
    // These pages are about looks: a frame that missed the SDK's 5 s (a busy machine) gets another chance.
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await YaAuthSuggest.init(${json({ client_id: grid.clientId, response_type: 'token' })}, location.origin, Object.assign({ view: 'button', parentId: cell.id }, cell.button));
      answer.handler().catch(function () {});
      if (document.querySelector('#' + cell.id + ' iframe')) break;
    }
    window.drawn++;
  }
})();
</script>
</body>
</html>`;
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
  const served = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const host = req.headers.host ?? '';
    const origin = `http://${host}`;
    const url = new URL(req.url ?? '/', origin);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (url.pathname === '/') return res.end(page(gatehouse, origin, url.searchParams));
    if (served.has(url.pathname)) return res.end(served.get(url.pathname));
    if (url.pathname === '/grid') return res.end(gridPage(gatehouse, origin, JSON.parse(url.searchParams.get('g') ?? '{}') as Grid));
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
    gridUrl: (grid) => `${origin}/grid?g=${encodeURIComponent(JSON.stringify(grid))}`,
    serve(path, html) {
      served.set(path, html);
      return origin + path;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
