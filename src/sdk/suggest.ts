/**
 * suggest.js — the instant-login SDK a site includes (docs/protocol.md §8). Globals
 * `Gatehouse.suggest` and, for code written for Yandex ID, `YaAuthSuggest`:
 *
 *   init(oauthQueryParams, tokenPageOrigin, suggestParams?) → Promise<{status:'ok', handler}>
 *   handler() → Promise<TokenData>        getOauthUrl(params) → string
 *   openOauthPopup(params) → Promise<TokenData>        closeWidget()
 *
 * `init` puts a frame of Gatehouse's origin into the page (the button into
 * `parentId`, or the widget in a corner), waits for it to answer, and resolves.
 * The frame opens the pop-up; the site's token page posts the result to this
 * page, which accepts it only from `tokenPageOrigin` and only from that pop-up.
 * Errors reject with `{status:'error', code}`.
 */
import { buttonBox, FRAME_PARAMS, parseButtonOptions, type SuggestErrorCode } from '../suggest/button-options';
import { drawLocalButton } from './fallback-button';
import { openCentredPopup, watchClosed } from './popup';
import { tagged, type FrameMessage, type TokenMessage } from './protocol';

/** The fallback button's words, from the pages' message catalogues (defined at build time). */
declare const SDK_TEXTS: Record<string, { logIn: string; short: string }>;

type Params = Record<string, string | number | boolean | null | undefined>;
type TokenData = Record<string, unknown>;

export interface SuggestParams {
  view?: 'button' | 'default';
  parentId?: string;
  buttonView?: string;
  buttonTheme?: string;
  buttonSize?: string;
  buttonBorderRadius?: number | string;
  customBgColor?: string;
  customBgHoveredColor?: string;
  customBorderColor?: string;
  customBorderHoveredColor?: string;
  customBorderWidth?: number | string;
  lang?: string;
}

export interface SuggestError {
  status: 'error';
  code: SuggestErrorCode;
  description?: string;
}

const BUTTON_PARAMS = [
  'buttonView', 'buttonTheme', 'buttonSize', 'buttonBorderRadius', 'customBgColor', 'customBgHoveredColor',
  'customBorderColor', 'customBorderHoveredColor', 'customBorderWidth',
] as const;

/** The pop-up the page opens itself (fallback button, openOauthPopup): not the frame's, so no grant hand-over. */
const DIRECT_POPUP = 'gatehouse_suggest_direct';

/** How long the frame has to answer before the button falls back to a local one (docs/protocol.md §8). */
const FRAME_TIMEOUT_MS = 5000;

/** Gatehouse's origin: the one this script was loaded from. */
const ISSUER = (() => {
  const own = document.currentScript as HTMLScriptElement | null;
  const src = own?.src || document.querySelector<HTMLScriptElement>('script[src*="/sdk/suggest"]')?.src;
  return new URL(src || location.href).origin;
})();

const fail = (code: SuggestErrorCode, description?: string): SuggestError =>
  description ? { status: 'error', code, description } : { status: 'error', code };

interface Waiter {
  resolve(data: TokenData): void;
  reject(error: SuggestError): void;
}

/** One `init` (or one `openOauthPopup`) and what it put into the page. */
interface Instance {
  view: 'button' | 'widget' | 'direct';
  sid: string;
  oauth: Params;
  tokenOrigin: string;
  options: SuggestParams;
  container: HTMLElement | null;
  frame: HTMLIFrameElement | null;
  popup: Window | null;
  waiter: Waiter | null;
  fallback: boolean;
  /** While `init` waits: its answer to the frame's first message. */
  onFrame: ((m: FrameMessage) => void) | null;
}

const live = new Set<Instance>();
const pending: Record<string, boolean> = {};
let lastTokenOrigin: string | null = null;

function settle(inst: Instance, result: TokenData | SuggestError): void {
  const waiter = inst.waiter;
  if (!waiter) return;
  inst.waiter = null;
  if ((result as SuggestError).status === 'error') waiter.reject(result as SuggestError);
  else waiter.resolve(result as TokenData);
}

function remove(inst: Instance, code?: SuggestErrorCode): void {
  live.delete(inst);
  inst.frame?.remove();
  inst.frame = null;
  if (code) settle(inst, fail(code));
}

function language(options: SuggestParams): string {
  return (options.lang || document.documentElement.lang || navigator.language || 'en').slice(0, 2).toLowerCase();
}

function texts(options: SuggestParams): { logIn: string; short: string } {
  return SDK_TEXTS[language(options)] || (SDK_TEXTS.en as { logIn: string; short: string });
}

function query(params: Params): URLSearchParams {
  const q = new URLSearchParams();
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value !== undefined && value !== null) q.set(key, String(value));
  }
  return q;
}

/** The URL of the pop-up: /authorize with the site's parameters, rendered for a pop-up. */
function getOauthUrl(params: Params): string {
  const q = query(params);
  q.set('display', 'popup');
  return `${ISSUER}/authorize?${q.toString()}`;
}

/** Whether a window is the pop-up of this instance: its own, or the one its frame opened. */
function isPopupOf(inst: Instance, source: Window): boolean {
  if (source === inst.popup) return true;
  try {
    return inst.frame !== null && source.opener === inst.frame.contentWindow;
  } catch {
    return false;
  }
}

function onToken(inst: Instance, message: TokenMessage, source: Window): void {
  const p = message.payload || {};
  try {
    source.postMessage({ cause: 'close' }, inst.tokenOrigin);
    source.close();
  } catch {
    // Closing is a courtesy; the token page also closes itself on our message.
  }
  inst.popup = null;
  if (typeof p.error === 'string') {
    const code = p.error === 'access_denied' ? 'denied' : p.error === 'unauthorized_client' ? 'blocked' : 'not_available';
    settle(inst, fail(code, typeof p.error_description === 'string' ? p.error_description : p.error));
  } else {
    const data: TokenData = { ...p };
    if (data.expires_in !== undefined) data.expires_in = Number(data.expires_in);
    settle(inst, data);
  }
  if (inst.view === 'widget') remove(inst);
}

function onFrameMessage(inst: Instance, m: FrameMessage): void {
  if (inst.onFrame && (m.type === 'ready' || m.type === 'error')) return inst.onFrame(m);
  if (m.type === 'error') settle(inst, fail(m.code || 'not_available', m.description));
  else if (m.type === 'close') remove(inst, 'close_widget');
  else if (m.type === 'popup-closed') settle(inst, fail('close_widget'));
  else if (m.type === 'resize' && inst.view === 'widget' && inst.frame && m.height) inst.frame.style.height = `${Math.min(m.height, 640)}px`;
}

addEventListener('message', (event) => {
  const data = event.data as unknown;
  const source = event.source as Window | null;
  for (const inst of [...live]) {
    if (tagged<FrameMessage>(data)) {
      if (inst.frame && source === inst.frame.contentWindow && event.origin === ISSUER && data.sid === inst.sid) onFrameMessage(inst, data);
    } else if ((data as TokenMessage | null)?.cause === 'token' && inst.waiter && source && event.origin === inst.tokenOrigin && isPopupOf(inst, source)) {
      onToken(inst, data as TokenMessage, source);
    }
  }
});

function openPopup(inst: Instance, name: string): void {
  const params: Params = { ...inst.oauth };
  if (params.ui_locales === undefined) params.ui_locales = language(inst.options);
  const popup = openCentredPopup(getOauthUrl(params), name);
  if (!popup) return settle(inst, fail('not_available', 'the browser blocked the pop-up'));
  inst.popup = popup;
  watchClosed(popup, () => {
    if (inst.popup !== popup) return;
    inst.popup = null;
    settle(inst, fail('close_widget'));
  });
}

/** The local button drawn when Gatehouse's frame does not answer: not personal, same size and colours. */
function drawFallback(inst: Instance): void {
  drawLocalButton(inst.container as HTMLElement, parseButtonOptions(inst.options as Record<string, unknown>), texts(inst.options), () => openPopup(inst, DIRECT_POPUP));
}

function createFrame(inst: Instance): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  const q = query(inst.oauth);
  if (inst.view === 'button') for (const key of BUTTON_PARAMS) if (inst.options[key] !== undefined) q.set(key, String(inst.options[key]));
  q.set(FRAME_PARAMS.language, language(inst.options));
  q.set(FRAME_PARAMS.location, location.origin);
  q.set(FRAME_PARAMS.channel, inst.sid);
  frame.src = `${ISSUER}/suggest${inst.view === 'button' ? '/button' : ''}?${q.toString()}`;
  frame.title = texts(inst.options).logIn;
  const s = frame.style;
  Object.assign(s, { border: '0', display: 'block', visibility: 'hidden', colorScheme: 'normal' });
  if (inst.view === 'button') {
    const o = parseButtonOptions(inst.options as Record<string, unknown>);
    const { height, square } = buttonBox(o.view, o.size);
    Object.assign(s, { height: `${height}px`, width: square ? `${height}px` : '100%' });
  } else {
    Object.assign(s, {
      position: 'fixed', top: '16px', right: '16px', width: '360px', maxWidth: 'calc(100vw - 32px)', height: '190px',
      borderRadius: '16px', boxShadow: '0 12px 40px rgba(15,20,40,.22)', zIndex: '2147483000', background: 'transparent',
    });
  }
  (inst.container as HTMLElement).appendChild(frame);
  return frame;
}

/** Shows the button or the widget and waits for the token (docs/protocol.md §8's `handler`). */
function show(inst: Instance): Promise<TokenData> {
  return new Promise<TokenData>((resolve, reject) => {
    settle(inst, fail('in_progress'));
    if (!live.has(inst)) return reject(fail('close_widget'));
    inst.waiter = { resolve, reject };
    if (inst.fallback) drawFallback(inst);
    else if (inst.frame) inst.frame.style.visibility = 'visible';
  });
}

function checkArguments(oauth: Params, tokenPageOrigin: string): string | null {
  if (!oauth || typeof oauth.client_id !== 'string' || oauth.client_id === '') return 'oauthQueryParams.client_id is required';
  if (typeof tokenPageOrigin !== 'string' || tokenPageOrigin.includes('*')) return 'tokenPageOrigin must be an exact origin, without "*"';
  try {
    if (new URL(tokenPageOrigin).origin !== tokenPageOrigin.replace(/\/$/, '')) return 'tokenPageOrigin must be an origin: scheme, host and port only';
  } catch {
    return 'tokenPageOrigin must be an origin such as https://example.com';
  }
  return null;
}

function init(oauth: Params, tokenPageOrigin: string, suggestParams: SuggestParams = {}): Promise<{ status: 'ok'; handler: () => Promise<TokenData> }> {
  const view = suggestParams.view === 'button' ? 'button' : 'widget';
  if (pending[view]) return Promise.reject(fail('in_progress'));
  const problem = checkArguments(oauth, tokenPageOrigin);
  if (problem) return Promise.reject(fail('not_available', problem));
  const container = view === 'button' ? document.getElementById(suggestParams.parentId || '') : document.body;
  if (!container) return Promise.reject(fail('not_available', 'suggestParams.parentId must name an element of the page'));
  for (const other of [...live]) if (other.view === view && (view === 'widget' || other.container === container)) remove(other, 'close_widget');
  if (view === 'button') container.textContent = '';

  const inst: Instance = {
    view, sid: Math.random().toString(36).slice(2) + Date.now().toString(36), oauth: { ...oauth },
    tokenOrigin: new URL(tokenPageOrigin).origin, options: { ...suggestParams }, container, frame: null,
    popup: null, waiter: null, fallback: false, onFrame: null,
  };
  lastTokenOrigin = inst.tokenOrigin;
  pending[view] = true;
  live.add(inst);
  inst.frame = createFrame(inst);

  return new Promise((resolve, reject) => {
    const finish = (error: SuggestError | null) => {
      clearTimeout(timer);
      inst.onFrame = null;
      pending[view] = false;
      if (!error) return resolve({ status: 'ok', handler: () => show(inst) });
      remove(inst);
      reject(error);
    };
    const timer = setTimeout(() => {
      if (view === 'widget') return finish(fail('timeout'));
      // The button still works without Gatehouse's frame: a local one opens the pop-up directly.
      inst.frame?.remove();
      inst.frame = null;
      inst.fallback = true;
      finish(null);
    }, FRAME_TIMEOUT_MS);
    inst.onFrame = (m) => finish(m.type === 'ready' ? null : fail(m.code || 'not_available', m.description));
  });
}

/** Opens the pop-up from the site's own page (call it in a click handler) and waits for the token. */
function openOauthPopup(params: Params, tokenPageOrigin?: string): Promise<TokenData> {
  let origin = tokenPageOrigin || lastTokenOrigin || location.origin;
  if (!tokenPageOrigin && !lastTokenOrigin && typeof params.redirect_uri === 'string') {
    try {
      origin = new URL(params.redirect_uri).origin;
    } catch {
      // Keep the page's own origin.
    }
  }
  const inst: Instance = {
    view: 'direct', sid: '', oauth: { ...params }, tokenOrigin: origin, options: {}, container: null, frame: null,
    popup: null, waiter: null, fallback: false, onFrame: null,
  };
  live.add(inst);
  return new Promise<TokenData>((resolve, reject) => {
    inst.waiter = { resolve, reject };
    openPopup(inst, DIRECT_POPUP);
  }).finally(() => live.delete(inst));
}

function closeWidget(): void {
  for (const inst of [...live]) if (inst.view === 'widget') remove(inst, 'close_widget');
}

const api = { init, getOauthUrl, openOauthPopup, closeWidget };
const w = window as unknown as { Gatehouse?: Record<string, unknown>; YaAuthSuggest: typeof api };
w.Gatehouse = Object.assign(w.Gatehouse || {}, { suggest: api });
w.YaAuthSuggest = api;
