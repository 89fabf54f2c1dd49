/**
 * The JSON of a token read's answer (`/info`, `/userinfo`), kept for the
 * user record, app record and scopes it was built from, when it depends on
 * nothing else.
 *
 * Exact by construction, as the records are: the storage hands out one
 * frozen record per row version (storage/sql/record-cache.ts), so a user or
 * an app that changed in any way — blocked, renamed, an address confirmed,
 * its subject type set — comes as a new object, under which nothing is kept;
 * what was kept for the old one goes with it (WeakMaps). A record that is
 * not frozen was read apart from that cache (inside a unit of work, say) and
 * might yet change: its answer is built every time, as before. The token is
 * never part of this: it is read, with its revocation, at every request, and
 * only its scopes choose the answer.
 *
 * Building the answer (the login info's fields, its psuid, the claims) and
 * serialising it at every request cost more in the server than in a loop:
 * keeping it took an `/info` on SQLite from 74 to 63 µs of CPU
 * (docs/benchmarks.md).
 */

/** Scope lists kept per user and app: a token's scopes are few, and a user of an app holds few distinct lists. */
const SCOPE_LISTS_PER_PAIR = 16;

export class OwnerAnswers {
  private readonly byUser = new WeakMap<object, WeakMap<object, Map<string, string>>>();

  /**
   * `build()`'s answer as JSON, or null when it gives none (the token may
   * not read this; the caller says why). Kept only for frozen records.
   */
  json(user: object | null, app: object | null, scopes: readonly string[], build: () => object | null): string | null {
    if (user === null || app === null || !Object.isFrozen(user) || !Object.isFrozen(app)) return serialised(build());
    let byApp = this.byUser.get(user);
    if (byApp === undefined) this.byUser.set(user, (byApp = new WeakMap()));
    let answers = byApp.get(app);
    if (answers === undefined) byApp.set(app, (answers = new Map()));
    const key = scopes.join(' ');
    const kept = answers.get(key);
    if (kept !== undefined) return kept;
    const json = serialised(build());
    if (json !== null && answers.size < SCOPE_LISTS_PER_PAIR) answers.set(key, json);
    return json;
  }
}

const serialised = (answer: object | null): string | null => (answer === null ? null : JSON.stringify(answer));
