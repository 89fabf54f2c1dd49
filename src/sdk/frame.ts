/**
 * frame.js — the script of Gatehouse's frames inside a site's page:
 * `/suggest/button` (the button) and `/suggest` (the widget), docs/protocol.md §8. The
 * server has already drawn the frame, personal or not; this script
 * - tells the page it is ready (or why it cannot serve: bad_origin, blocked…),
 * - opens the pop-up on a click and reports when the user closes it,
 * - takes the personalisation grant Gatehouse's page in the pop-up offers and
 *   has the server keep it in this frame's partitioned cookie,
 * - switches to the short label when the button is too narrow for the long one.
 * Messages go to the page at its verified origin only.
 */
import { MESSAGE_TAG, POPUP_NAME, type SuggestErrorCode } from '../suggest/button-options';
import { openCentredPopup, watchClosed } from './popup';
import { tagged, type FrameMessage, type HandoffMessage } from './protocol';

const config = (document.getElementById('gh-config') as HTMLElement).dataset;

function tell(type: FrameMessage['type'], extra: Partial<FrameMessage> = {}): void {
  if (window.parent === window) return;
  const message: FrameMessage = { tag: MESSAGE_TAG, sid: config.channel ?? '', type, ...extra };
  window.parent.postMessage(message, config.parentOrigin as string);
}

/**
 * The longest label that fits (docs/protocol.md §8: short text when the container is
 * narrow): the long one; the short one; the short one without the mark; the
 * mark alone.
 */
const FITS = ['', 'gh-narrow', 'gh-narrow gh-bare', 'gh-tiny'];

function fitLabel(button: HTMLElement): void {
  const label = button.querySelector<HTMLElement>('.gh-label');
  if (!label) return;
  const fit = () => {
    for (const level of FITS) {
      button.classList.remove('gh-narrow', 'gh-bare', 'gh-tiny');
      if (level) button.classList.add(...level.split(' '));
      if (level === 'gh-tiny' || label.scrollWidth <= label.clientWidth + 1) return;
    }
  };
  fit();
  new ResizeObserver(fit).observe(document.documentElement);
}

/** The server keeps the grant as a partitioned cookie of this frame (CHIPS): only this site's frame gets it back. */
function keep(grant: string): void {
  const body = new URLSearchParams({ grant, client_id: config.clientId as string, location: config.parentOrigin as string });
  fetch('/suggest/keep', { method: 'POST', body, credentials: 'same-origin' }).catch(() => undefined);
}

function serve(): void {
  const button = document.getElementById('gh-button') as HTMLButtonElement;
  let popup: Window | null = null;

  button.addEventListener('click', () => {
    if (config.preview !== undefined) return;
    const opened = openCentredPopup(config.authorize as string, POPUP_NAME);
    if (!opened) {
      tell('error', { code: 'not_available', description: 'the browser blocked the pop-up' });
      return;
    }
    popup = opened;
    watchClosed(opened, () => {
      if (popup === opened) popup = null;
      tell('popup-closed');
    });
  });

  addEventListener('message', (event) => {
    const m = event.data;
    if (!popup || event.source !== popup || event.origin !== location.origin || !tagged<HandoffMessage>(m)) return;
    if (m.type === 'signed-in') {
      const request: HandoffMessage = { tag: MESSAGE_TAG, type: 'grant-request', origin: config.parentOrigin as string };
      popup.postMessage(request, location.origin);
    } else if (m.type === 'grant' && typeof m.grant === 'string') {
      keep(m.grant);
    }
  });

  document.getElementById('gh-close')?.addEventListener('click', () => tell('close'));
  fitLabel(button);
  const widget = document.querySelector('.gh-widget');
  if (widget) {
    const report = () => tell('resize', { height: Math.ceil(widget.getBoundingClientRect().height) });
    new ResizeObserver(report).observe(widget);
  }
  tell('ready');
}

if (config.error) tell('error', { code: config.error as SuggestErrorCode, description: config.description ?? '' });
else serve();
