/**
 * The worker thread that syncs SQLite's write-ahead log (sqlite-group-commit.ts
 * starts it): an fsync takes milliseconds, and on the main thread it would
 * stall every request meanwhile. A thread of its own, not libuv's pool, which
 * password hashing keeps busy. One sync at a time, each on a descriptor opened
 * for it, so it is always the `-wal` file as it is now.
 *
 * Its code is the text below, started with `eval: true`, rather than a file
 * beside the module: whatever bundles the server (scripts/build.mjs, the
 * benchmarks' own bundle) carries it along, and no path can point to a file
 * that was not shipped. It only opens, syncs and closes a file.
 */

/** What the worker answers to each sync request (any message). */
export type WalSyncResult = { ok: true } | { ok: false; code?: string; message: string };

/** The worker's code (CommonJS, as Node runs an evaluated worker); `workerData.walFile` is the file to sync. */
export const WAL_SYNC_WORKER = `
const { closeSync, fsyncSync, openSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const walFile = workerData.walFile;
parentPort.on('message', () => {
  let result;
  try {
    const fd = openSync(walFile, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    result = { ok: true };
  } catch (err) {
    result = { ok: false, code: err.code, message: err.message };
  }
  parentPort.postMessage(result);
});
`;

/**
 * What the checkpoint worker answers to each request: SQLite's own report of
 * the checkpoint (`pragma wal_checkpoint`: whether it was kept from finishing,
 * the frames in the log, how many of them are now in the database file).
 */
export type WalCheckpointResult =
  | { ok: true; busy: number; log: number; checkpointed: number }
  | { ok: false; code?: string; message: string };

/**
 * The worker thread that checkpoints the log (copies its pages into the
 * database file, so that the writer can start the log over) on a connection
 * of its own, off the event loop: sqlite-group-commit.ts starts it, and asks
 * for a checkpoint once the log has grown. PASSIVE: it never waits for, nor
 * blocks, the writer or the readers; it copies what no reader still needs
 * and stops. Each request is answered; 'close' closes the connection and
 * ends the thread.
 *
 * The connection runs at `synchronous = NORMAL`: at NORMAL (as at FULL) a
 * checkpoint first syncs the log, then copies, then syncs the database file
 * before it records the pages as copied, so the writer restarts the log only
 * over pages that are on disk in the database. At OFF it would skip both
 * syncs, and a power cut after the restart could lose acknowledged tokens.
 *
 * `workerData.driver` is better-sqlite3's entry point, resolved by the main
 * thread (an evaluated worker has no module of its own to resolve it from);
 * `workerData.file` the database.
 */
export const WAL_CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db = null;
function open() {
  const conn = new Database(workerData.file, { fileMustExist: true });
  try {
    conn.pragma('busy_timeout = 5000');
    conn.pragma('synchronous = NORMAL');
    if (Number(conn.pragma('synchronous', { simple: true })) < 1) throw new Error('the checkpoint connection would not sync');
    return conn;
  } catch (err) {
    conn.close();
    throw err;
  }
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    if (db !== null) db.close();
    db = null;
    parentPort.close();
    return;
  }
  let result;
  try {
    if (db === null) db = open();
    const row = db.pragma('wal_checkpoint(PASSIVE)')[0];
    result = { ok: true, busy: row.busy, log: row.log, checkpointed: row.checkpointed };
  } catch (err) {
    result = { ok: false, code: err.code, message: err.message };
  }
  parentPort.postMessage(result);
});
`;
