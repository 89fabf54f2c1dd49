/**
 * The CPU a tree of processes used between two readings of `/proc`
 * (bench/proc-usage.ts), when a process of the tree ends in between: as
 * a PostgreSQL backend does when its connection closes during a measurement
 * of `npm run bench:cpu`. Summing only the processes alive at each reading,
 * the CPU of one that ended went with it, and the difference came out
 * negative.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, test } from 'vitest';
import { processTree, TICKS_PER_SECOND, treeUsage, usedBetween } from '../../bench/proc-usage.js';

/** A child that spends `ms` of its own CPU time (not wall time: it is the same on a busy machine), then ends. */
const BURN = (ms: number) => `const end = ${ms} * 1000; while (process.cpuUsage().user < end) {}`;

test('a process that ends between the readings is counted to its end, through its parent', async () => {
  // The parent waits for its child (Node reaps it) and stays, as a postmaster does.
  const parent = spawn(process.execPath, ['-e', `
    const child = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(BURN(600))}], { stdio: 'ignore' });
    console.log('started');
    child.on('exit', () => console.log('child ended'));
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines: string[] = [];
    parent.stdout.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await until(() => lines.includes('started') && processTree(parent.pid!).length === 2);
    // The child has been running a while: some of its CPU is before the first reading.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = treeUsage(parent.pid!);
    await until(() => lines.includes('child ended'));
    const after = treeUsage(parent.pid!);
    expect(processTree(parent.pid!)).toHaveLength(1);
    const used = usedBetween(before, after);
    // What the child spent after the first reading: at least 600 ms less what it had spent by then (at most the
    // 100 ms waited, and its start), in ticks of 10 ms; its parent was idle.
    expect(used.ticks / TICKS_PER_SECOND).toBeGreaterThan(0.3);
    expect(used.bytes).toBeGreaterThanOrEqual(0);
    expect(used.calls).toBeGreaterThanOrEqual(0);
  } finally {
    parent.kill();
    await once(parent, 'exit').catch(() => {});
  }
});

/** `BURN`, counting the process's system time too (its every `cpuUsage` is a system call): at most `ms` in all. */
const BURN_ALL = (ms: number) => `const end = ${ms} * 1000; for (;;) { const u = process.cpuUsage(); if (u.user + u.system >= end) break; }`;

test('the CPU of threads at a given priority is told apart from the rest of the tree', async () => {
  // A child that lowers its own priority (as Gatehouse's hashing threads do) and burns, beside a parent that burns at 0.
  const parent = spawn(process.execPath, ['-e', `
    const child = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(`require('node:os').setPriority(0, 10); ${BURN_ALL(400)}; console.log('child burnt'); setInterval(() => {}, 1000);`)}], { stdio: ['ignore', 'inherit', 'ignore'] });
    ${BURN(200)}
    console.log('burnt');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const before = treeUsage(parent.pid!, 10);
    let output = '';
    parent.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    // Both have burnt what they were to burn: the child's is the tree's CPU at nice 10. At that priority, on a machine
    // the rest of the suite keeps busy, it may take many times its CPU in wall time.
    while (!(output.includes('\nburnt') || output.startsWith('burnt')) || !output.includes('child burnt')) await new Promise((resolve) => setTimeout(resolve, 20));
    const used = usedBetween(before, treeUsage(parent.pid!, 10));
    // Its burn (400 ms for the whole process, most of it on the thread at nice 10), and none of the parent's.
    expect(used.ticksAtNice / TICKS_PER_SECOND).toBeGreaterThan(0.25);
    expect(used.ticksAtNice / TICKS_PER_SECOND).toBeLessThan(0.6);
    // The parent's burn is in the tree's CPU, not in the share at nice 10.
    expect((used.ticks - used.ticksAtNice) / TICKS_PER_SECOND).toBeGreaterThan(0.1);
    // Without a priority asked for, none is counted apart.
    expect(treeUsage(parent.pid!).ticksAtNice).toBe(0);
  } finally {
    for (const pid of processTree(parent.pid!).reverse()) {
      try {
        process.kill(pid);
      } catch {
        // Gone already.
      }
    }
    await once(parent, 'exit').catch(() => {});
  }
});
