/**
 * The worker thread that syncs SQLite's write-ahead log (sqlite-group-commit.ts
 * starts it): an fsync takes milliseconds, and on the main thread it would
 * stall every request meanwhile. A thread of its own, not libuv's pool, which
 * password hashing keeps busy. One sync at a time, each on a descriptor opened
 * for it, so it is always the `-wal` file as it is now.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export type WalSyncResult = { ok: true } | { ok: false; code?: string; message: string };

const walFile = (workerData as { walFile: string }).walFile;

parentPort!.on('message', () => {
  let result: WalSyncResult;
  try {
    const fd = openSync(walFile, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    result = { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    result = { ok: false, code: e.code, message: e.message };
  }
  parentPort!.postMessage(result);
});
