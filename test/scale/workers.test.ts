/**
 * GATEHOUSE_WORKERS (issue 17): one Gatehouse started as operators start it
 * (`node dist/main.js`) with two worker processes on one port, on SQLite and
 * on PostgreSQL. Both workers serve; a code raced through both has one
 * winner; a worker that dies is replaced; SIGTERM stops every process
 * cleanly.
 *
 * Which worker served a connection is read from the operating system, not
 * from anything Gatehouse says about itself: the worker holding the server
 * end of a TCP connection is the one whose file descriptors include that
 * socket (/proc/<pid>/fd and /proc/net/tcp, Linux).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { basicAuth, HttpUser, postForm } from '../helpers/http-client.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { freshDatabase } from '../helpers/postgres.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const password = 'correct horse battery';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …: the command may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Socket inodes among a process's open files. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Server-side ends of established IPv4 connections to `port`: the client's port → the socket's inode. */
function serverEnds(port: number): Map<number, string> {
  const ends = new Map<number, string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '01') continue; // 01: ESTABLISHED
    const local = parseInt(f[1]!.split(':')[1]!, 16);
    const remote = parseInt(f[2]!.split(':')[1]!, 16);
    if (local === port) ends.set(remote, f[9]!);
  }
  return ends;
}

/** A kept-alive connection that has had one /healthz answered. */
async function openConnection(port: number): Promise<{ socket: Socket; status: number }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const answer = new Promise<string>((resolve) => {
    let data = '';
    socket.on('data', (d) => {
      data += d;
      if (data.includes('\r\n\r\n')) resolve(data);
    });
  });
  socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const timeout = sleep(10_000).then(() => 'HTTP/1.1 0 no answer in 10 s');
  return { socket, status: Number((await Promise.race([answer, timeout])).split(' ')[1]) };
}

/**
 * How many of eight new connections, each answered 200, each worker holds.
 * The primary hands connections to the workers in turn once each listens: a
 * worker still starting gets none yet, so this tries again for a while.
 */
async function spreadOver(port: number, workers: number[]): Promise<number[]> {
  let served: number[] = [];
  for (const deadline = Date.now() + 15_000; ; await sleep(200)) {
    const connections = await Promise.all(Array.from({ length: 8 }, () => openConnection(port)));
    try {
      expect(connections.map((c) => c.status)).toEqual(Array(8).fill(200));
      const ends = serverEnds(port);
      served = workers.map((pid) => {
        const mine = socketInodes(pid);
        return connections.filter((c) => mine.has(ends.get(c.socket.localPort!) ?? '')).length;
      });
    } finally {
      for (const c of connections) c.socket.destroy();
    }
    if (!served.includes(0) || Date.now() > deadline) return served;
  }
}

describe.each(['sqlite', 'postgres'] as const)('GATEHOUSE_WORKERS=2 on %s', (engine) => {
  let database: { url: string; drop(): Promise<void> } | null = null;
  let dataDir: string;
  let ctx: Context;
  let server: GatehouseProcess;
  let env: Record<string, string>;
  let clientId: string;
  let clientSecret: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-workers-'));
    database = engine === 'postgres' ? await freshDatabase(inject('postgresUrl')) : null;
    const secretKey = randomBytes(32).toString('base64');
    ctx = await createContext(loadConfig({ dataDir, databaseUrl: database?.url ?? '', secretKey, logLevel: 'silent' }, {}));
    const created = await ctx.apps.create({ name: 'Workers app', redirectUris: [REDIRECT], scopes: ['login:info'] });
    clientId = created.app.clientId;
    clientSecret = created.clientSecret!;
    env = { GATEHOUSE_WORKERS: '2', GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SECRET_KEY: secretKey, GATEHOUSE_DATABASE_URL: database?.url ?? '' };
    server = await spawnGatehouse(env, { operator: true });
    // /healthz answers once the first worker listens: wait for the second too.
    for (const deadline = Date.now() + 30_000; childrenOf(server.child.pid!).length < 2 && Date.now() < deadline;) await sleep(50);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await ctx?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('both worker processes serve requests on the one port', async () => {
    const workers = childrenOf(server.child.pid!);
    expect(workers).toHaveLength(2);
    const served = await spreadOver(Number(new URL(server.url).port), workers);
    // Every connection is held by exactly one of the two workers, and each holds some.
    expect(served[0]! + served[1]!).toBe(8);
    expect(served[0]).toBeGreaterThan(0);
    expect(served[1]).toBeGreaterThan(0);
  });

  test('a code exchanged at once through both workers has exactly one winner (RFC 6749 §4.1.2)', async () => {
    const login = `racer-${engine}`;
    await ctx.users.create({ login, password });
    const code = await new HttpUser({ url: server.url } as TestGatehouse, login, password).code({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state: 's' });
    // Concurrent requests go out on separate connections, which the primary spreads over both workers.
    const answers = await Promise.all(Array.from({ length: 8 }, () =>
      postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { authorization: basicAuth(clientId, clientSecret) })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(7);
    for (const r of answers.filter((a) => a.status === 400)) expect(((await r.json()) as { error: string }).error).toBe('invalid_grant');
  });

  test('a worker that dies is replaced, and the port keeps answering', async () => {
    const [victim, other] = childrenOf(server.child.pid!);
    process.kill(victim!, 'SIGKILL');
    let workers: number[] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
      workers = childrenOf(server.child.pid!);
      if (workers.length === 2 && !workers.includes(victim!)) break;
    }
    expect(workers).toHaveLength(2);
    expect(workers).toContain(other);
    expect(workers).not.toContain(victim);
    // New connections (a kept-alive one may have been the dead worker's) are answered, by both workers.
    const served = await spreadOver(Number(new URL(server.url).port), workers);
    expect(served[0]! + served[1]!).toBe(8);
    expect(served).not.toContain(0);
  });

  test('SIGTERM stops every worker, then the primary, cleanly (exit code 0)', async () => {
    const workers = childrenOf(server.child.pid!);
    expect(workers).toHaveLength(2);
    const before = server.output().length;
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    expect(await exited, server.output().slice(before)).toBe(0);
    expect(workers.filter(alive)).toEqual([]);
    expect(server.output().slice(before)).not.toMatch(/"level":(50|60)/);
    // The same data directory serves again.
    server = await spawnGatehouse(env);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
