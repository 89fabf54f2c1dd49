/**
 * Runs picture jobs in one worker thread, one at a time, in order of arrival:
 * decoding a large photo takes seconds of CPU, and on the event loop it would
 * stall every other request (a 100 KB PNG of 8000 × 3000 pixels held /healthz
 * for two seconds). One worker keeps a two-core server's other core for
 * requests; the queue is bounded, and each user's uploads are limited
 * (picture-uploads.ts), so nobody can queue work without end.
 *
 * The worker is `picture-worker.js` beside this module: dist/images/ as tsc
 * writes it, or dist/ next to the bundled dist/main.js (scripts/build.mjs
 * bundles it there too). Run from the TypeScript sources (the tests), it is
 * bundled in memory by esbuild, a development dependency.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
import type { PictureJob, PictureKind, PictureResult } from './picture-worker.js';
import { PictureTooLarge } from './picture-limits.js';

/** More jobs than this waiting, and a new one is refused (PicturesBusy) instead of queued. */
const MAX_QUEUE = 16;

/** Too many pictures are waiting to be decoded: try again shortly. */
export class PicturesBusy extends InputError {
  constructor() {
    super('too many pictures are being processed: try again in a minute');
  }
}

interface Queued {
  job: PictureJob;
  resolve(images: Map<string, Buffer>): void;
  reject(err: unknown): void;
}

async function startWorker(): Promise<Worker> {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./picture-worker.js', here));
  const { build } = await import('esbuild');
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL('./picture-worker.ts', here))],
    bundle: true, write: false, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent',
  });
  return new Worker(bundled.outputFiles[0]!.text, { eval: true });
}

export class PicturePool {
  private worker: Promise<Worker> | null = null;
  private readonly queue: Queued[] = [];
  private running: Queued | null = null;
  private closed = false;

  /** The images a job makes, by name; refusals as InputError (PictureTooLarge for the pixel cap). */
  run(kind: PictureKind, file: Buffer): Promise<Map<string, Buffer>> {
    if (this.closed) return Promise.reject(new Error('the picture pool is closed'));
    if (this.queue.length >= MAX_QUEUE) return Promise.reject(new PicturesBusy());
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { kind, file }, resolve, reject });
      void this.next();
    });
  }

  private async next(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    const item = this.queue.shift()!;
    this.running = item;
    try {
      const worker = await (this.worker ??= this.spawn());
      worker.postMessage(item.job);
    } catch (err) {
      this.worker = null;
      this.finish((q) => q.reject(err));
    }
  }

  private async spawn(): Promise<Worker> {
    const worker = await startWorker();
    // An idle worker never keeps the process alive; a job in flight has a request holding it.
    worker.unref();
    worker.on('message', (result: PictureResult) => {
      this.finish((q) => {
        if (result.ok) q.resolve(new Map(result.images.map(([name, data]) => [name, Buffer.from(data.buffer, data.byteOffset, data.byteLength)])));
        else q.reject(result.refused === 'too_large' ? new PictureTooLarge() : new InputError(result.message));
      });
    });
    // A crash (out of memory on a hostile file, a bug) fails the job in flight; the next job starts a new worker.
    let gone = false;
    const lost = (err: unknown) => {
      // 'error' is followed by 'exit': the job in flight fails once.
      if (gone) return;
      gone = true;
      this.worker = null;
      this.finish((q) => q.reject(err instanceof Error ? err : new Error('the picture worker stopped')));
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (!this.closed) lost(new Error(`the picture worker exited with code ${code}`));
    });
    return worker;
  }

  private finish(settle: (q: Queued) => void): void {
    const item = this.running;
    this.running = null;
    if (item) settle(item);
    void this.next();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new Error('the picture pool is closed'));
    const worker = this.worker;
    this.worker = null;
    if (worker) await (await worker).terminate();
  }
}
