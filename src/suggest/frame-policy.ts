/**
 * Who may embed Gatehouse's instant-login frames (docs/protocol.md §8): only the pages of
 * the app's suggest hostnames. Two checks, for two audiences: the browser
 * enforces `Content-Security-Policy: frame-ancestors` built from the list (a
 * page that lies about where it is gets no frame), and the frame compares the
 * page location the SDK gave it with the list, so an honest page that is not
 * on it learns why (`bad_origin`) instead of waiting for a timeout.
 */
import type { AppRecord } from '../storage/storage.js';
import type { SuggestErrorCode } from './button-options.js';

export type FrameCheck =
  | { ok: true; origin: string }
  | { ok: false; code: SuggestErrorCode; description: string };

/** The origin of the `location` the SDK sent (the embedding page), or null. */
export function pageOrigin(location: string | undefined): string | null {
  if (!location || location.length > 2000) return null;
  try {
    const url = new URL(location);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** The checks, in order: the app exists, the page is one of its sites, the app is not blocked. */
export function checkFrameRequest(app: AppRecord | null, location: string | undefined): FrameCheck {
  if (!app) return { ok: false, code: 'not_available', description: 'there is no app with this client_id' };
  const origin = pageOrigin(location);
  if (!origin || !app.suggestHostnames.includes(origin)) {
    return { ok: false, code: 'bad_origin', description: 'this page is not on one of the app’s suggest hostnames' };
  }
  if (app.status !== 'active') return { ok: false, code: 'blocked', description: 'this app is blocked' };
  return { ok: true, origin };
}

/**
 * The frame's CSP: its own scripts and styles only (plus one nonce'd style
 * element carrying the button's validated custom colours), fetches to
 * Gatehouse, and the given ancestors. Suggest hostnames are validated origins
 * (apps/redirect-uris.ts), so they are safe inside the header.
 */
export function frameCsp(ancestors: readonly string[], styleNonce: string | null = null): string {
  const style = styleNonce ? `'self' 'nonce-${styleNonce}'` : "'self'";
  const frameAncestors = ancestors.length > 0 ? ancestors.join(' ') : "'none'";
  return `default-src 'none'; style-src ${style}; img-src 'self' data:; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors ${frameAncestors}`;
}
