/**
 * handoff.js — Gatehouse's page in the instant-login pop-up, between consent
 * and the site's token page (docs/protocol.md §8). When a frame opened the pop-up (its
 * window name says so), the page offers that frame a personalisation grant:
 * the frame answers with the site it is on, this first-party page (it has the
 * session cookie the frame cannot get) asks the server for a grant for that
 * site and posts it to the frame; then it goes on to the token page. Without a
 * frame, or if the frame is silent, it goes on at once or after a short wait.
 */
import { MESSAGE_TAG, POPUP_NAME } from '../suggest/button-options';
import { tagged, type HandoffMessage } from './protocol';

const WAIT_FOR_FRAME_MS = 3000;

const data = (document.getElementById('gh-handoff') as HTMLElement).dataset;
let gone = false;
const proceed = () => {
  if (gone) return;
  gone = true;
  location.replace(data.redirect as string);
};

async function fetchGrant(origin: string): Promise<string | null> {
  const body = new URLSearchParams({ csrf: data.csrf as string, client_id: data.clientId as string, location: origin });
  const res = await fetch('/suggest/grant', { method: 'POST', body, credentials: 'same-origin' });
  return res.ok ? ((await res.json()) as { grant: string }).grant : null;
}

const opener = window.opener as Window | null;
if (!opener || window.name !== POPUP_NAME) {
  proceed();
} else {
  setTimeout(proceed, WAIT_FOR_FRAME_MS);
  addEventListener('message', (event) => {
    const m = event.data;
    if (event.source !== opener || event.origin !== location.origin || !tagged<HandoffMessage>(m) || m.type !== 'grant-request' || !m.origin) return;
    fetchGrant(m.origin)
      .then((grant) => {
        if (grant) opener.postMessage({ tag: MESSAGE_TAG, type: 'grant', grant } satisfies HandoffMessage, location.origin);
      })
      .catch(() => undefined)
      .then(proceed);
  });
  opener.postMessage({ tag: MESSAGE_TAG, type: 'signed-in' } satisfies HandoffMessage, location.origin);
}
