/**
 * The raw argon2id verification rate on this machine: Gatehouse's own
 * `verifyPassword` (same parameters, same hashing threads at the same
 * priority: src/crypto/password-pool.ts) called with
 * `concurrency` verifications in flight for `durationSec`. A sign-in cannot be
 * faster than this; the benchmark reports logins per second as a share of it.
 */
import { hashPassword, passwordPool, verifyPassword } from '../src/crypto/passwords.js';

export interface HashRate {
  perSecond: number;
  verifications: number;
  seconds: number;
  /** Hashing threads that did the work. */
  threads: number;
}

export async function argon2Rate(durationSec: number, concurrency: number): Promise<HashRate> {
  const stored = await hashPassword('bench-password-0123456789');
  let done = 0;
  const start = performance.now();
  const end = start + durationSec * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      if (!(await verifyPassword(stored, 'bench-password-0123456789'))) throw new Error('argon2 verification failed');
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: done / seconds, verifications: done, seconds, threads: passwordPool.threadCount };
}
