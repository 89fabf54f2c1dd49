/**
 * Ending access, one way for every door: "revoke access" and "sign out
 * everywhere" on /account, a password change, an operator's block or "revoke
 * everything" on /admin, an app blocked, given new scopes or deleted on
 * /console, /admin or the CLI. Each step is here once, so no door can forget
 * one (RFC 9700 §4.14, RFC 7009 §2.1):
 *
 * 1. what lets someone ask for new tokens without the app — sessions, the
 *    consent — goes first, so a request that starts after the revocation finds
 *    nothing to build on;
 * 2. `Storage.revokeAccess` moves the revocation generation on, then deletes
 *    unused authorization codes and device codes and revokes the tokens; every
 *    token issued before the mark is dead wherever it is checked, including one
 *    a racing refresh stores afterwards (storage checks after every issue);
 * 3. the instant-login frames' personalisation grants go last.
 */
import type { SecretHash } from '../crypto/random.js';
import type { Storage } from '../storage/storage.js';
import type { ClientId, Millis, UserId } from '../types.js';

/** "Revoke access" to one app: its tokens, codes and device codes, the consent (the next sign-in asks again) and its instant-login grants. */
export async function endGrant(storage: Storage, now: Millis, userId: UserId, clientId: ClientId): Promise<void> {
  await storage.deleteConsent(userId, clientId);
  await storage.revokeAccess({ userId, clientId }, now);
  await storage.deleteSuggestGrants(userId, clientId);
}

/**
 * Everything a user holds: every session but `keepSession` (the one changing
 * the password or signing out elsewhere), every token, code and device code
 * of every app, every instant-login grant. Consents stay: signing in again
 * needs the password, not a new "Allow".
 */
export async function endUserAccess(storage: Storage, now: Millis, userId: UserId, keepSession?: SecretHash): Promise<void> {
  await storage.deleteSessionsOfUser(userId, keepSession);
  await storage.revokeAccess({ userId }, now);
  await storage.deleteSuggestGrants(userId);
}

/** Everything issued to an app, for every user: its tokens, codes and device codes (a block, new scopes). */
export async function endAppAccess(storage: Storage, now: Millis, clientId: ClientId): Promise<void> {
  await storage.revokeAccess({ clientId }, now);
}
