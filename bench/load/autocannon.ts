/** autocannon, run in a process of its own (bench/load/autocannon-worker.ts) so it never shares the harness's event loop. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundled } from '../bundle-path.js';
import type { LoadResult, LoadSpec } from './load.js';

const run = promisify(execFile);

export async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-autocannon-'));
  try {
    const file = path.join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    const { stdout } = await run(process.execPath, [bundled('load/autocannon-worker'), file], { maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
