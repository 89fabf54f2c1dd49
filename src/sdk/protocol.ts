/**
 * The messages between the site's page (suggest.js), Gatehouse's frame in it
 * (frame.js) and Gatehouse's page in the pop-up (handoff.js). Every message is
 * tagged, and every receiver also checks the sender's window and origin.
 */
import { MESSAGE_TAG, type SuggestErrorCode } from '../suggest/button-options';

/** Frame → page. */
export interface FrameMessage {
  tag: typeof MESSAGE_TAG;
  /** The channel id of the `init` that created the frame. */
  sid: string;
  type: 'ready' | 'error' | 'close' | 'popup-closed' | 'resize';
  code?: SuggestErrorCode;
  description?: string;
  height?: number;
}

/** Pop-up ↔ frame, both on Gatehouse's origin: the personalisation grant's hand-over. */
export interface HandoffMessage {
  tag: typeof MESSAGE_TAG;
  type: 'signed-in' | 'grant-request' | 'grant';
  /** grant-request: the site the frame is on. */
  origin?: string;
  /** grant: the grant itself. */
  grant?: string;
}

/** Token page → page (Yandex ID's shape, kept for compatible code). */
export interface TokenMessage {
  cause: 'token';
  type: 'token';
  payload: Record<string, unknown>;
}

export function tagged<T extends { tag: string }>(data: unknown): data is T {
  return typeof data === 'object' && data !== null && (data as { tag?: unknown }).tag === MESSAGE_TAG;
}
