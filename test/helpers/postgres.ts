/**
 * A throwaway PostgreSQL for the test suite, so nothing is skipped on a
 * machine without one running: `GATEHOUSE_TEST_DATABASE_URL` if given, else a
 * cluster made with the server binaries in a temporary directory (initdb
 * refuses root, so it runs as the `postgres` or `nobody` user when we are root),
 * on a free port, stopped and deleted afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
  /** Only for a cluster of our own: stop the server but keep its data, and start it again on the same port. */
  pause?(): void;
  resume?(): void;
}

function findBinDir(): string | null {
  const fromEnv = process.env.GATEHOUSE_TEST_PG_BIN;
  if (fromEnv && existsSync(path.join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The user to run the server as: ourselves, or an unprivileged account when we are root. */
function serverUser(): { name: string; uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0) return { name, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root and there is no postgres or nobody user to run PostgreSQL as');
}

/**
 * `own`: always a new cluster, even when GATEHOUSE_TEST_DATABASE_URL names one (for tests that restart it).
 * `durable`: PostgreSQL's own defaults for durability (fsync, synchronous_commit, full_page_writes on), as an
 * operator runs it; the benchmark measures that. Tests don't need it and run without.
 */
export async function startPostgres(options: { own?: boolean; durable?: boolean } = {}): Promise<RunningPostgres> {
  const given = process.env.GATEHOUSE_TEST_DATABASE_URL;
  if (given && !options.own) return { url: given, stop: async () => {} };
  const bin = findBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found: install postgresql (apt-get install -y postgresql) or set GATEHOUSE_TEST_DATABASE_URL');
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-pg-'));
  const user = serverUser();
  chmodSync(dir, 0o755);
  if (user) chownSync(dir, user.uid, user.gid);
  const run = (cmd: string, args: string[]) => {
    const full = user ? ['runuser', ['-u', user.name, '--', path.join(bin, cmd), ...args]] as const : [path.join(bin, cmd), args] as const;
    const result = spawnSync(full[0], [...full[1]], { encoding: 'utf8', cwd: dir });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
  };
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'gatehouse', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  // Durability is irrelevant for a test's throwaway cluster; speed is not. A benchmark's cluster keeps it.
  const fast = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const serverOptions = `-p ${port} -h 127.0.0.1 -k ${dir}${fast} -c max_connections=300`;
  const start = () => run('pg_ctl', ['-D', data, '-o', serverOptions, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  start();
  return {
    url: `postgres://gatehouse@127.0.0.1:${port}/postgres`,
    pause: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    resume: start,
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const templates = new Map<string, Promise<string>>();

/**
 * A migrated, empty template database per server and process: copying it
 * (CREATE DATABASE … TEMPLATE) is far quicker than migrating every time.
 */
function migratedTemplate(baseUrl: string): Promise<string> {
  let template = templates.get(baseUrl);
  if (!template) {
    template = (async () => {
      const name = `gh_template_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      await adminQuery(baseUrl, `create database ${name}`);
      const url = new URL(baseUrl);
      url.pathname = `/${name}`;
      const { openKysely, migrate } = await import('../../src/storage/open.js');
      const db = openKysely({ dataDir: '/nonexistent', databaseUrl: url.toString() });
      await migrate(db);
      await db.destroy();
      return name;
    })();
    templates.set(baseUrl, template);
  }
  return template;
}

async function adminQuery(baseUrl: string, query: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

/** An empty, migrated database of its own on the server at `baseUrl`, dropped by `drop`. */
export async function freshDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gh_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await adminQuery(baseUrl, `create database ${name} template ${await migratedTemplate(baseUrl)}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => dropDatabase(baseUrl, name),
  };
}

/**
 * Drops database `name` once its sessions have ended. A pg pool's `end()`
 * resolves as soon as it has told its clients to close, before their
 * sessions are gone; dropping `with (force)` then would terminate a session
 * still closing, and its client would report the termination (57P01) as an
 * error event nobody listens for any more: an uncaught exception in the test
 * that ended the pool. So wait (5 s at most) for the sessions to go, and
 * force only what a test left open.
 */
async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
      if (rows[0]!.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.query(`drop database if exists ${name} with (force)`);
  } finally {
    await client.end();
  }
}
