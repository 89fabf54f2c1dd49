/**
 * Users' and apps' records kept in the process for the token check, exact by
 * construction: an entry is used only when the version the database gives its
 * row now (read in the same statement as the token, hot-reads.ts) equals the
 * version the entry was read at. Every insert and update of a row gives it a
 * new version (a trigger, migration 0029), so a change committed by any
 * process, the CLI or by hand is seen by the very next check; nothing expires
 * on a timer and no process has to tell another.
 *
 * Only records read outside a unit of work are kept: inside one, a read can
 * see the unit's own writes, which a rollback may undo. Entries are frozen, so
 * code that tried to change a shared record would fail loudly rather than
 * change it for everyone. The oldest entries make room when it is full.
 */
export class RecordCache<T extends object> {
  private readonly entries = new Map<string, { version: unknown; record: T }>();

  constructor(private readonly capacity: number) {}

  /** The record of `key` as it is at `version`, if this process has it. */
  get(key: string, version: unknown): T | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.version === version ? entry.record : undefined;
  }

  /** Keeps `record`, read at `version`; returns it frozen. */
  put(key: string, version: unknown, record: T): T {
    freeze(record);
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { version, record });
    return record;
  }
}

/** The record and the arrays and objects in it (lists of addresses, scopes, keys). */
function freeze(value: object): void {
  Object.freeze(value);
  for (const field of Object.values(value)) if (typeof field === 'object' && field !== null && !Object.isFrozen(field)) freeze(field);
}
