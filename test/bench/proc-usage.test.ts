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
