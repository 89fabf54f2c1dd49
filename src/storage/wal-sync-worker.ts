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
