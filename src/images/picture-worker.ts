/**
 * The worker thread that decodes and redraws uploaded pictures (picture-pool.ts
 * starts it): seconds of CPU for a large photo, which on the main thread would
 * stall every other request. One job at a time: a picture in, PNGs out, or the
 * reason it was refused.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { avatarVariants, iconPng, PictureTooLarge } from './pictures.js';

export type PictureKind = 'avatar' | 'icon';

export interface PictureJob {
  kind: PictureKind;
  file: Uint8Array;
}

export type PictureResult =
  | { ok: true; images: [string, Uint8Array][] }
  | { ok: false; refused: 'too_large' | 'unreadable'; message: string };

export function runPictureJob(job: PictureJob): PictureResult {
  const file = Buffer.from(job.file.buffer, job.file.byteOffset, job.file.byteLength);
  try {
    const images = job.kind === 'avatar' ? [...avatarVariants(file)] : [['icon', iconPng(file)] as [string, Buffer]];
    return { ok: true, images };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { ok: false, refused: err instanceof PictureTooLarge ? 'too_large' : 'unreadable', message: err.message };
  }
}

if (parentPort) {
  // Background work: on Linux a thread has its own nice value, so this thread yields the CPU to
  // the event loop's thread whenever both want it. Elsewhere it may apply to the whole process,
  // or be refused; either way the pictures still get made.
  try {
    if (process.platform === 'linux') setPriority(10);
  } catch {
    // not permitted here: keep the default priority
  }
}

parentPort?.on('message', (job: PictureJob) => {
  parentPort!.postMessage(runPictureJob(job));
});
