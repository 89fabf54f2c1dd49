/**
 * Integer columns as numbers: better-sqlite3 returns them as numbers, pg
 * returns `bigint` columns as strings (so as not to round them); Gatehouse's
 * are times in milliseconds and counters, well within a double's 2^53.
 */
export const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
export const numOrNull = (v: number | string | null): number | null => (v === null ? null : num(v));
