/** The 640×720 pop-up of the instant login (docs/protocol.md §8), centred on the browser window. */
import { POPUP_HEIGHT, POPUP_WIDTH } from '../suggest/button-options';

/** Opens `url` in a pop-up; null when the browser blocked it. Must run in a click's handler. */
export function openCentredPopup(url: string, name: string): Window | null {
  const left = Math.round(window.screenX + Math.max(0, (window.outerWidth - POPUP_WIDTH) / 2));
  const top = Math.round(window.screenY + Math.max(0, (window.outerHeight - POPUP_HEIGHT) / 2));
  const popup = window.open(url, name, `popup,width=${POPUP_WIDTH},height=${POPUP_HEIGHT},left=${left},top=${top}`);
  popup?.focus();
  return popup;
}

/** Calls `onClosed` once the pop-up is closed, by the user or by a script. */
export function watchClosed(popup: Window, onClosed: () => void): void {
  const timer = setInterval(() => {
    if (popup.closed) {
      clearInterval(timer);
      onClosed();
    }
  }, 400);
}
