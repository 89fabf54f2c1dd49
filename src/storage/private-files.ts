/**
 * The data directory holds the SQLite database (password and token hashes)
 * and the server key that seals client secrets and signing keys, so it is
 * private to the account that runs Gatehouse: the directory 0700, its files
 * 0600. Modes are set explicitly rather than left to the umask of whoever
 * started the server, and what an earlier version left readable (0755, 0644)
 * is narrowed on start — but only what this account owns: a directory or
 * file someone else provided is theirs to manage.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Sets `mode` on `target` when it is ours and has another mode; a missing target is left missing. */
function narrow(target: string, mode: number): void {
  const stat = statSync(target, { throwIfNoEntry: false });
  if (!stat || (stat.mode & 0o777) === mode) return;
  if (process.getuid && stat.uid !== process.getuid()) return;
  chmodSync(target, mode);
}

/** Creates `dir` (and missing parents) as 0700, or narrows it to 0700 when it exists. */
export function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  narrow(dir, PRIVATE_DIR_MODE);
}

/**
 * Makes sure the SQLite file exists with mode 0600 before SQLite opens it:
 * SQLite creates `-wal` and `-shm` with the mode of the database file, so
 * they follow. Journals left by an earlier version are narrowed as well
 * (SQLite only sets the mode of journals it creates empty).
 */
export function privateDatabaseFiles(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) narrow(f, PRIVATE_FILE_MODE);
}

/** Narrows an existing file to 0600 (the server key, created 0600 but perhaps loosened since). */
export function privateFile(file: string): void {
  narrow(file, PRIVATE_FILE_MODE);
}
