/**
 * Who may learn about a token (RFC 7662 §4: the server "MUST [...] determine
 * whether or not the protected resource is allowed to introspect a given
 * token"). Its own app may; so may a resource server an operator designated
 * for that app (`gatehouse app update <id> --introspects <client_id,…>`);
 * and so may the resource server a token was issued for (RFC 8707: its
 * audience), authenticating as the app an operator linked to it
 * (`gatehouse resource add --uri … --app <client_id>`). A resource server
 * never learns about tokens issued for another one.
 * Anyone else gets `active: false`, the answer for a token that does not
 * exist, so holding another app's token teaches an app nothing about it:
 * not that it is valid, whose it is, nor the user's pairwise `sub` there.
 */
import type { AppRecord, TokenRecord } from '../storage/storage.js';

/**
 * `served`: the URIs of the resource servers the caller is the app of, read
 * only when the answer depends on them (a token neither the caller's own nor
 * designated to it, issued for a resource): the common introspection, an
 * app's own token, costs no query for them, and is answered without waiting.
 */
export function mayIntrospect(
  caller: Pick<AppRecord, 'clientId' | 'introspects'>,
  token: Pick<TokenRecord, 'clientId' | 'resources' | 'type'>,
  served: () => Promise<readonly string[]>,
): boolean | Promise<boolean> {
  if (token.clientId === caller.clientId || caller.introspects.includes(token.clientId)) return true;
  const audiences = token.type === 'access' ? (token.resources ?? []) : [];
  if (audiences.length === 0) return false;
  return served().then((uris) => audiences.some((uri) => uris.includes(uri)));
}
