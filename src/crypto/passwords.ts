/**
 * Human passwords: argon2id through @node-rs/argon2, whose async functions run
 * on libuv's thread pool so a sign-in never blocks the event loop.
 * Parameters follow OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane).
 */
import { randomBytes } from 'node:crypto';
import { hash, verify, Algorithm } from '@node-rs/argon2';

const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A PHC string (`$argon2id$v=19$m=…`), salt included. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/**
 * Checks a password against a stored hash. Accounts without a hash still pay
 * for one verification, so timing does not reveal which logins exist.
 */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  try {
    return await verify(stored ?? (await dummyHash()), password);
  } catch {
    return false;
  }
}

// Hash of a random string with the same parameters as real ones, made once.
let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hash(randomBytes(16).toString('hex'), OPTIONS);
  return dummy;
}
