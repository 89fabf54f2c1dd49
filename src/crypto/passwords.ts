/**
 * Human passwords: argon2id through @node-rs/argon2, on threads of their own
 * below the event loop's priority (password-pool.ts), so a sign-in never
 * blocks the event loop nor slows the requests beside it.
 * Parameters follow OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane).
 */
import { randomBytes } from 'node:crypto';
import { Algorithm } from '@node-rs/argon2';
import { PasswordPool } from './password-pool.js';

const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** One per process: the threads are the machine's cores, whoever asks. */
export const passwordPool = new PasswordPool();

/** A PHC string (`$argon2id$v=19$m=…`), salt included. */
export function hashPassword(password: string): Promise<string> {
  return passwordPool.run({ op: 'hash', password, options: OPTIONS }) as Promise<string>;
}

/**
 * Checks a password against a stored hash. Accounts without a hash still pay
 * for one verification, so timing does not reveal which logins exist.
 */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  try {
    return (await passwordPool.run({ op: 'verify', stored: stored ?? (await dummyHash()), password })) as boolean;
  } catch {
    return false;
  }
}

// Hash of a random string with the same parameters as real ones, made once.
let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}
