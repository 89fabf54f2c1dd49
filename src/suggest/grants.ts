/**
 * Personalisation grants (docs/protocol.md §8). Browsers send Gatehouse's frame inside a
 * site's page no Gatehouse cookie (third-party cookies are blocked), so the
 * frame cannot see the session. When the user signs in through the pop-up the
 * frame opened, Gatehouse's page in the pop-up (first party: it has the session)
 * mints a grant and hands it to the frame, which keeps it in its partitioned
 * storage — a cookie that only this site's copy of the frame ever gets back.
 *
 * A grant is narrow: it names one user to one app's frame on one site, and it
 * only lets Gatehouse's own frame draw "Log in as <name>"; the site learns
 * nothing. It ends with the session it came from (signing out), when the user
 * withdraws consent, and when the user or the app is blocked.
 */
import { randomToken, sha256Hex } from '../crypto/random.js';
import type { AppRecord, SessionRecord, Storage, UserRecord } from '../storage/storage.js';
import type { Clock } from '../types.js';

/** Upper bound on a grant's life; it also never outlives its session. */
export const GRANT_MAX_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Whether `app`'s frame on `origin` may greet `user` by name: the one rule for
 * every frame and every way the frame learns who is there (a grant, or the
 * session cookie a same-site page lets through). The app is active and lists
 * the site, the user is active, and the user allowed the app and has not
 * revoked it since ("revoke access" deletes the consent). Anyone else gets
 * the anonymous frame, so a site cannot learn that a visitor who never chose
 * it has a Gatehouse account.
 */
export async function mayGreet(storage: Storage, user: UserRecord, app: AppRecord, origin: string): Promise<boolean> {
  if (app.status !== 'active' || !app.suggestHostnames.includes(origin)) return false;
  if (user.status !== 'active') return false;
  return (await storage.findConsent(user.id, app.clientId)) !== null;
}

/**
 * Mints a grant for `origin`'s frame of `app`, for the signed-in user of
 * `session`. Null when the app may not be personalised there: blocked, the
 * origin is not one of its suggest hostnames, or the user never allowed it.
 */
export async function mintSuggestGrant(
  storage: Storage, clock: Clock, o: { user: UserRecord; session: SessionRecord; app: AppRecord; origin: string },
): Promise<{ grant: string; expiresAt: number } | null> {
  if (!(await mayGreet(storage, o.user, o.app, o.origin))) return null;
  const now = clock();
  const grant = randomToken(32);
  const expiresAt = Math.min(o.session.expiresAt, now + GRANT_MAX_LIFETIME_MS);
  await storage.createSuggestGrant({
    hash: sha256Hex(grant), userId: o.user.id, clientId: o.app.clientId, origin: o.origin, sessionHash: o.session.hash,
    createdAt: now, expiresAt,
  });
  return { grant, expiresAt };
}

/** The user a frame's grant names, while every condition of its issue still holds; null otherwise. */
export async function userOfGrant(
  storage: Storage, clock: Clock, grant: string, app: AppRecord, origin: string,
): Promise<{ user: UserRecord; expiresAt: number } | null> {
  if (grant.length < 20 || grant.length > 100) return null;
  const now = clock();
  const record = await storage.findSuggestGrant(sha256Hex(grant), now);
  if (!record || record.clientId !== app.clientId || record.origin !== origin) return null;
  // The session is checked as well as the foreign key that deletes the grant with it.
  if (!(await storage.findSession(record.sessionHash, now))) return null;
  const user = await storage.findUserById(record.userId);
  if (!user || !(await mayGreet(storage, user, app, origin))) return null;
  return { user, expiresAt: record.expiresAt };
}
