/**
 * The data directory holds the SQLite database (every user's password hash,
 * every token hash) and the server key that seals client secrets and signing
 * keys: other local users must not read any of it, whatever the umask of the
 * shell that started Gatehouse. The directory is 0700 and every file in it
 * 0600 — the database, its `-wal` and `-shm` (SQLite gives them the database
 * file's mode) and `secret.key`.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { PASSWORD } from '../console/support.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8).padStart(4, '0');

let parent: string;
let running: GatehouseProcess | null = null;

afterEach(async () => {
  await running?.stop();
  running = null;
  rmSync(parent, { recursive: true, force: true });
});

/** Signs up on /signup as a visitor would: a write to the database. */
async function signUp(url: string, login: string): Promise<void> {
  const visitor = new HttpUser({ url } as TestGatehouse, login, PASSWORD);
  const fields = hiddenFields(await (await visitor.get('/signup')).text());
  const res = await visitor.post('/signup', { ...fields, login, password: PASSWORD });
  expect(res.status).toBe(303);
}

/** Starts the built server on `dataDir` with a permissive umask, signs a user up (a write), and lists the directory's modes while it runs. */
async function modesAfterAWrite(dataDir: string): Promise<Record<string, string>> {
  const previous = process.umask(0o022);
  try {
    running = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dataDir }, { operator: true });
  } finally {
    process.umask(previous);
  }
  await signUp(running.url, 'modes');
  const modes: Record<string, string> = { '.': mode(dataDir) };
  for (const name of readdirSync(dataDir)) modes[name] = mode(path.join(dataDir, name));
  return modes;
}

describe('data directory permissions', () => {
  test('a fresh start makes the data directory 0700 and every file in it 0600, -wal and -shm included', async () => {
    parent = mkdtempSync(path.join(tmpdir(), 'gatehouse-modes-'));
    chmodSync(parent, 0o755);
    const modes = await modesAfterAWrite(path.join(parent, 'data'));
    expect(Object.keys(modes).sort()).toEqual(['.', 'gatehouse.db', 'gatehouse.db-shm', 'gatehouse.db-wal', 'secret.key']);
    expect(modes).toEqual({ '.': '0700', 'gatehouse.db': '0600', 'gatehouse.db-shm': '0600', 'gatehouse.db-wal': '0600', 'secret.key': '0600' });
  });

  test('a data directory and files left readable by an older version are made private on start', async () => {
    parent = mkdtempSync(path.join(tmpdir(), 'gatehouse-modes-'));
    const dataDir = path.join(parent, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    // A first start made the database and key; then they were loosened, as the 0644 files of earlier versions were.
    await modesAfterAWrite(dataDir);
    await running!.stop();
    running = null;
    chmodSync(dataDir, 0o755);
    for (const name of readdirSync(dataDir)) chmodSync(path.join(dataDir, name), 0o644);
    writeFileSync(path.join(dataDir, 'notes.txt'), 'an operator\'s own file is left alone\n', { mode: 0o644 });
    const previous = process.umask(0o022);
    try {
      running = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dataDir });
    } finally {
      process.umask(previous);
    }
    await signUp(running.url, 'again');
    expect(mode(dataDir)).toBe('0700');
    for (const name of ['gatehouse.db', 'gatehouse.db-wal', 'gatehouse.db-shm', 'secret.key']) expect(mode(path.join(dataDir, name)), name).toBe('0600');
  });
});
