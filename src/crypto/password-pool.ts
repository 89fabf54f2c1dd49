/**
 * argon2id on threads of lower priority than the event loop.
 *
 * A password check is ~16 ms of CPU by design. Run on libuv's thread pool (four
 * threads, at the event loop's priority), a burst of sign-ins on a two-core
 * server leaves the event loop one runnable thread among five, so every other
 * request waits its turn behind the hashes: /info's p99 went from 9 ms to
 * 388 ms while sign-ins ran. Here one thread per core hashes, each lowered to
 * nice 10 (on Linux a thread's own priority), so the kernel runs the event
 * loop first whenever it has work and gives the hashes every cycle it does not
 * use: sign-ins get the machine's spare capacity, and nothing else waits for
 * them.
 *
 * The threads run the same library's synchronous functions (the same
 * algorithm and results as its asynchronous ones) and hold a job or two each,
 * in order of arrival. Idle threads never keep the process alive; a job in
 * flight does (a CLI command waiting for its hash). If threads cannot be
 * started, hashing falls back to the library's own asynchronous functions.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type * as Argon2 from '@node-rs/argon2';

export type PasswordJob =
  | { op: 'hash'; password: string; options: object }
  | { op: 'verify'; stored: string; password: string };

interface Pending {
  job: PasswordJob;
  resolve(value: string | boolean): void;
  reject(err: unknown): void;
}

/** What a worker runs: CommonJS, evaluated, so it needs no file of its own beside the bundle or the TypeScript sources. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2);
try {
  require('node:os').setPriority(0, workerData.nice);
} catch {
  // Not permitted here: the thread runs at the event loop's priority, as libuv's would.
}
parentPort.on('message', ({ id, job }) => {
  try {
    const value = job.op === 'hash' ? argon2.hashSync(job.password, job.options) : argon2.verifySync(job.stored, job.password);
    parentPort.postMessage({ id, value });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

/** Jobs a thread holds at once: the next one is already there when it finishes one. */
const PER_THREAD = 2;

/** The priority of the hashing threads: below the event loop's 0, so it always runs first. */
export const HASHING_NICE = 10;

/**
 * GATEHOUSE_HASHING_NICE, 0–19, else HASHING_NICE. A process-wide knob (the
 * threads are the process's, whichever server or command asks): 0 treats the
 * hashes as any other work, e.g. on a machine where other programs keep every
 * core busy and sign-ins would otherwise wait for them.
 */
export function hashingNice(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.GATEHOUSE_HASHING_NICE;
  return value !== undefined && /^(1?\d)$/.test(value.trim()) ? Number(value) : HASHING_NICE;
}

class Thread {
  readonly inFlight = new Map<number, Pending>();
  /** Jobs finished: a thread that dies before its first could not start (no module, no memory). */
  done = 0;

  constructor(readonly worker: Worker) {}

  send(id: number, pending: Pending): void {
    if (this.inFlight.size === 0) this.worker.ref();
    this.inFlight.set(id, pending);
    this.worker.postMessage({ id, job: pending.job });
  }

  settle(id: number): Pending | undefined {
    this.done++;
    const pending = this.inFlight.get(id);
    this.inFlight.delete(id);
    if (this.inFlight.size === 0) this.worker.unref();
    return pending;
  }
}

export class PasswordPool {
  private threads: Thread[] | null = null;
  private readonly queue: Pending[] = [];
  private nextId = 0;
  /** Set when a thread could not start: from then on the library's own asynchronous functions do the work. */
  private fallback = false;

  /** `library`: the module the threads load (its path); a test names one that cannot load to see the fallback. */
  constructor(
    private readonly size = Math.max(1, os.availableParallelism()),
    private readonly library = createRequire(import.meta.url).resolve('@node-rs/argon2'),
    private readonly nice = hashingNice(),
  ) {}

  run(job: PasswordJob): Promise<string | boolean> {
    if (this.fallback) {
      // Loaded here, not when the server starts: the threads load it themselves, and the main thread needs it
      // only in this fallback (a start does not load the native module nor run its platform detection).
      const { hash, verify } = createRequire(import.meta.url)('@node-rs/argon2') as typeof Argon2;
      return job.op === 'hash' ? hash(job.password, job.options) : verify(job.stored, job.password);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  /** Hashing threads running now. */
  get threadCount(): number {
    return this.threads?.length ?? 0;
  }

  private dispatch(): void {
    if (this.fallback) {
      for (const p of this.queue.splice(0)) this.run(p.job).then(p.resolve, p.reject);
      return;
    }
    const threads = (this.threads ??= Array.from({ length: this.size }, () => this.spawn()));
    while (this.queue.length > 0) {
      let best: Thread | null = null;
      for (const t of threads) if (t.inFlight.size < PER_THREAD && (best === null || t.inFlight.size < best.inFlight.size)) best = t;
      if (best === null) return;
      best.send(this.nextId++, this.queue.shift()!);
    }
  }

  private spawn(): Thread {
    const thread = new Thread(new Worker(WORKER, { eval: true, workerData: { argon2: this.library, nice: this.nice } }));
    thread.worker.on('message', (m: { id: number; value?: string | boolean; error?: string }) => {
      const pending = thread.settle(m.id);
      if (m.error !== undefined) pending?.reject(new Error(m.error));
      else pending?.resolve(m.value!);
      this.dispatch();
    });
    // A thread that dies (out of memory) fails the jobs it held, and a fresh one takes its place.
    thread.worker.on('error', (err) => this.lost(thread, err));
    thread.worker.on('exit', (code) => this.lost(thread, new Error(`the hashing thread exited with ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    thread.worker.unref();
    return thread;
  }

  private lost(thread: Thread, err: unknown): void {
    const threads = this.threads;
    if (threads === null || !threads.includes(thread)) return;
    if (thread.done === 0) {
      // It never finished a job: threads cannot work here. What they hold is done the library's own way.
      this.fallback = true;
      this.threads = null;
      for (const t of threads) {
        this.queue.unshift(...t.inFlight.values());
        t.inFlight.clear();
        if (t !== thread) void t.worker.terminate();
      }
    } else {
      for (const [id] of thread.inFlight) thread.settle(id)?.reject(err);
      this.threads = threads.map((t) => (t === thread ? this.spawn() : t));
    }
    this.dispatch();
  }
}
