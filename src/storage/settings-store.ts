/**
 * Settings kept in the database, as names and text values (the organisation's
 * look, src/organisation/organisation.ts). Whether an operator exists, which
 * decides the first-run setup (src/organisation/first-run.ts), is read here too.
 */
import type { Millis } from '../types.js';

export interface SettingsStore {
  /** Every stored setting, by name. */
  readSettings(): Promise<Record<string, string>>;
  /** Sets each named value; null deletes the setting (back to its default). */
  writeSettings(values: Record<string, string | null>, now: Millis): Promise<void>;
  /** Whether any user, blocked or not, is an operator (`is_admin`). */
  hasOperator(): Promise<boolean>;
}
