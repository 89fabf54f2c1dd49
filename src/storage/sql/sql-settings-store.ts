/** The settings store (../settings-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import type { Kysely } from 'kysely';
import type { Millis } from '../../types.js';
import type { SettingsStore } from '../settings-store.js';
import type { Database } from './schema.js';
import { transact } from './units.js';

export class SqlSettingsStore implements SettingsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async readSettings(): Promise<Record<string, string>> {
    const rows = await this.db.selectFrom('settings').select(['name', 'value']).execute();
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  async writeSettings(values: Record<string, string | null>, now: Millis): Promise<void> {
    await transact(this.db, async (tx) => {
      for (const [name, value] of Object.entries(values)) {
        if (value === null) {
          await tx.deleteFrom('settings').where('name', '=', name).execute();
          continue;
        }
        await tx.insertInto('settings').values({ name, value, updated_at: now })
          .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now })).execute();
      }
    });
  }

  async hasOperator(): Promise<boolean> {
    const row = await this.db.selectFrom('users').select('id').where('is_admin', '=', 1).limit(1).executeTakeFirst();
    return row !== undefined;
  }
}
