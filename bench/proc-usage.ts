/**
 * What a tree of processes has used, read from `/proc`: CPU time, and bytes
 * and write calls. Taken before and after a measurement, the difference is
 * what the tree used meanwhile, whatever came and went in between:
 *
 * - the tree is read again each time, so a process started during the
 *   measurement (a PostgreSQL backend for a new connection, an autovacuum
 *   worker) is counted from its start;
 * - a process that ended during it is counted to its end: once its parent
 *   has waited for it, Linux adds its CPU, and that of the children it waited
 *   for, to the parent's `cutime`/`cstime`, which are counted too. The sum
 *   over the tree only grows. Summing live processes alone, a backend that
 *   ended took its CPU with it, and the difference could come out negative.
 *
 * Bytes and write calls (`/proc/<pid>/io`) are not handed to the parent: a
 * process that ended during the measurement counts only what it had written
 * before it, so each process's difference is taken on its own and never
 * below nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks a second, as `/proc/<pid>/stat` counts CPU time (USER_HZ: 100 on Linux everywhere). */
export const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime + cutime + cstime: the process's CPU and that of the children it has waited for. */
  ticks: number;
}

export function procStat(pid: number): ProcStat | null {
  try {
    // The command name may hold spaces and parentheses: the fields start after its last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields 14–17 of proc(5) (utime, stime, cutime, cstime), here 11–14: the state is field 3, here 0.
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

/** `root` and the processes under it, at any depth. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat) parents.set(stat.ppid, [...(parents.get(stat.ppid) ?? []), Number(entry)]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

function written(pid: number): { bytes: number; calls: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { bytes: Number(/^wchar: (\d+)/m.exec(text)![1]), calls: Number(/^syscw: (\d+)/m.exec(text)![1]) };
  } catch {
    return null;
  }
}

/**
 * The CPU ticks of `pid`'s threads that run at `nice` (Gatehouse's hashing
 * threads lower their own priority: src/crypto/password-pool.ts). Threads
 * live as long as their process here, so the difference of two readings is
 * what they used between them.
 */
function ticksAtNice(pid: number, nice: number): number {
  let ticks = 0;
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of threads) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      // proc(5): utime and stime are fields 14 and 15, nice field 19 (here 11, 12 and 16).
      if (Number(fields[16]) === nice) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ticks;
}

/**
 * What the tree under `root` has used so far: CPU ticks in all, those of its
 * threads at `nice` when given, and bytes and write calls process by process.
 */
export interface TreeUsage {
  ticks: number;
  ticksAtNice: number;
  writes: Map<number, { bytes: number; calls: number }>;
}

export function treeUsage(root: number, nice?: number): TreeUsage {
  let ticks = 0, atNice = 0;
  const writes = new Map<number, { bytes: number; calls: number }>();
  for (const pid of processTree(root)) {
    ticks += procStat(pid)?.ticks ?? 0;
    if (nice !== undefined) atNice += ticksAtNice(pid, nice);
    const w = written(pid);
    if (w) writes.set(pid, w);
  }
  return { ticks, ticksAtNice: atNice, writes };
}

/** What the tree used between two readings: CPU ticks (in all, and at the nice asked for), bytes and write calls. */
export function usedBetween(before: TreeUsage, after: TreeUsage): { ticks: number; ticksAtNice: number; bytes: number; calls: number } {
  let bytes = 0, calls = 0;
  for (const [pid, w] of after.writes) {
    const was = before.writes.get(pid) ?? { bytes: 0, calls: 0 };
    bytes += Math.max(0, w.bytes - was.bytes);
    calls += Math.max(0, w.calls - was.calls);
  }
  return { ticks: after.ticks - before.ticks, ticksAtNice: after.ticksAtNice - before.ticksAtNice, bytes, calls };
}
