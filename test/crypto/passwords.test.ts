import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Algorithm } from '@node-rs/argon2';
import { describe, expect, test } from 'vitest';
import { createRequire } from 'node:module';
import { HASHING_NICE, hashingNice, PasswordPool } from '../../src/crypto/password-pool.js';
import { hashPassword, passwordPool, verifyPassword } from '../../src/crypto/passwords.js';

/** The nice value of each thread of this process (Linux: a thread's own priority, field 19 of its stat). */
function niceOfThreads(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('passwords', () => {
  test('a hash verifies its own password only; no hash and a broken one verify nothing', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse batterz')).toBe(false);
    expect(await verifyPassword(null, 'correct horse battery')).toBe(false);
    expect(await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$broken', 'correct horse battery')).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(stored);
  });

  test('many at once each get their own answer, on one thread per core', async () => {
    const passwords = Array.from({ length: 12 }, (_, i) => `password number ${i}`);
    const hashes = await Promise.all(passwords.map((p) => hashPassword(p)));
    const checks = await Promise.all(passwords.flatMap((p, i) => [verifyPassword(hashes[i]!, p), verifyPassword(hashes[(i + 1) % 12]!, p)]));
    expect(checks).toEqual(passwords.flatMap(() => [true, false]));
    expect(passwordPool.threadCount).toBe(Math.max(1, os.availableParallelism()));
  });

  test.runIf(process.platform === 'linux')('the hashing threads run below the event loop\'s priority', async () => {
    const pool = new PasswordPool(2, createRequire(import.meta.url).resolve('@node-rs/argon2'), HASHING_NICE);
    const before = niceOfThreads().filter((n) => n === HASHING_NICE).length;
    const stored = (await pool.run({ op: 'hash', password: 'pw', options: { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } })) as string;
    await Promise.all([pool.run({ op: 'verify', stored, password: 'pw' }), pool.run({ op: 'verify', stored, password: 'pw' })]);
    expect(niceOfThreads().filter((n) => n === HASHING_NICE).length - before).toBe(2);
    // The main thread keeps its own.
    expect(os.getPriority()).toBe(0);
  });

  test('GATEHOUSE_HASHING_NICE: 0 to 19, anything else the default', () => {
    expect(hashingNice({})).toBe(HASHING_NICE);
    expect(hashingNice({ GATEHOUSE_HASHING_NICE: '0' })).toBe(0);
    expect(hashingNice({ GATEHOUSE_HASHING_NICE: '19' })).toBe(19);
    for (const bad of ['20', '-5', 'high', '', '1.5']) expect(hashingNice({ GATEHOUSE_HASHING_NICE: bad })).toBe(HASHING_NICE);
  });

  test('where threads cannot start, the library hashes on its own', async () => {
    const pool = new PasswordPool(2, path.join(os.tmpdir(), 'no-such-argon2-module.js'));
    const options = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
    const stored = (await pool.run({ op: 'hash', password: 'pw', options })) as string;
    expect(await pool.run({ op: 'verify', stored, password: 'pw' })).toBe(true);
    expect(await pool.run({ op: 'verify', stored, password: 'wrong' })).toBe(false);
    expect(pool.threadCount).toBe(0);
  });

  test('a program that hashes a password waits for it and then ends: idle threads keep nobody alive', () => {
    const script = "import('./dist/crypto/passwords.js').then(async (m) => { const h = await m.hashPassword('pw'); console.log(await m.verifyPassword(h, 'pw')); })";
    const out = execFileSync(process.execPath, ['-e', script], { cwd: path.resolve(import.meta.dirname, '../..'), encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe('true');
  });
});
