/**
 * What a run puts back or stops when it is interrupted (Ctrl-C, SIGTERM)
 * before its own `finally` can: the PostgreSQL cluster it started (pg_ctl puts
 * it in a session of its own, so a terminal's Ctrl-C does not reach it), its
 * servers, the autogroup setting. Cleanups run newest first, synchronously;
 * then the process dies of its signal as it would have.
 */
const cleanups: (() => void)[] = [];
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      // The next one still runs: each undoes a different thing.
    }
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  installed = false;
  process.kill(process.pid, signal);
}

/** Runs `cleanup` if the process is interrupted; the returned function forgets it (the run cleaned up itself). */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.push(cleanup);
  if (!installed) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    installed = true;
  }
  return () => {
    const i = cleanups.indexOf(cleanup);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/**
 * Stops servers and a PostgreSQL cluster at once, without waiting: SIGTERM to
 * each server process (a cluster's primary stops its workers), and the
 * cluster's immediate shutdown (its `stop` runs synchronously).
 */
export function stopNow(pids: readonly number[], postgres: { stop(): Promise<void> } | null): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Gone already.
    }
  }
  void postgres?.stop().catch(() => {});
}
