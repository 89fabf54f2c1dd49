/**
 * Who may learn about a token (RFC 7662 §4: the server "MUST [...] determine
 * whether or not the protected resource is allowed to introspect a given
 * token"). Its own app may; so may a resource server an operator designated
 * for that app (`gatehouse app update <id> --introspects <client_id,…>`).
 * Anyone else gets `active: false`, the answer for a token that does not
 * exist, so holding another app's token teaches an app nothing about it:
 * not that it is valid, whose it is, nor the user's pairwise `sub` there.
 */
import type { AppRecord, TokenRecord } from '../storage/storage.js';

export function mayIntrospect(caller: Pick<AppRecord, 'clientId' | 'introspects'>, token: Pick<TokenRecord, 'clientId'>): boolean {
  return token.clientId === caller.clientId || caller.introspects.includes(token.clientId);
}
