/**
 * suggest-token.js — for the site's token page, the redirect URI the pop-up
 * lands on (docs/protocol.md §8). `YaSendSuggestToken(origin, extraData)` reads the
 * response from the fragment and the query and posts it to the page that
 * holds the login button — `window.opener.parent`: the opener is Gatehouse's
 * frame, its parent the site's page (or, for a pop-up the page opened itself,
 * the page) — at exactly `origin`, then keeps the token out of the history.
 */
import type { TokenMessage } from './protocol';

function sendSuggestToken(origin: string, extraData?: unknown): void {
  if (typeof origin !== 'string' || origin === '' || origin.includes('*')) {
    throw new TypeError('YaSendSuggestToken: origin must be the exact origin of the page with the button, without "*"');
  }
  const payload: Record<string, unknown> = {};
  for (const part of [location.search.slice(1), location.hash.slice(1)]) {
    new URLSearchParams(part).forEach((value, key) => {
      payload[key] = value;
    });
  }
  if (extraData !== undefined) payload.extraData = extraData;
  const opener = window.opener as Window | null;
  if (!opener) return;
  const message: TokenMessage = { cause: 'token', type: 'token', payload };
  (opener.parent || opener).postMessage(message, origin);
  // The token stays out of the address bar and the session history.
  history.replaceState(null, '', location.pathname);
  addEventListener('message', (event) => {
    if (event.origin === origin && (event.data as { cause?: unknown } | null)?.cause === 'close') window.close();
  });
}

const w = window as unknown as { YaSendSuggestToken: typeof sendSuggestToken; Gatehouse?: Record<string, unknown> };
w.YaSendSuggestToken = sendSuggestToken;
w.Gatehouse = Object.assign(w.Gatehouse || {}, { sendSuggestToken });
