#!/usr/bin/env node
/**
 * Runs one of the benchmark's entry points (`main`, `growth`, `scale`,
 * `profile`, `cpu`): bundles bench/ (TypeScript, and the parts of src/ it seeds
 * with) into one directory with esbuild, a dev dependency, then starts the
 * entry in a process of its own. Gatehouse itself runs from dist/ (`npm run
 * build`), as operators run it.
 *
 *   node bench/run.mjs main --smoke
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const ENTRIES = ['main', 'growth', 'scale', 'profile', 'cpu', 'pool', 'peers/floor-server', 'peers/sign-in-floor-server', 'peers/oidc-provider-server', 'load/autocannon-worker'];

/** Bundles every entry into `outdir` (inside the repository, so bare imports resolve to its node_modules). */
export async function bundleBench(outdir) {
  await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES.map((e) => ({ in: `bench/${e}.ts`, out: e })),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [entry = 'main', ...args] = process.argv.slice(2);
  if (!ENTRIES.includes(entry)) {
    console.error(`bench: unknown entry ${entry}; one of ${ENTRIES.slice(0, 5).join(', ')}`);
    process.exit(2);
  }
  const outdir = path.join(ROOT, '.tmp', 'bench');
  await bundleBench(outdir);
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(outdir, `${entry}.mjs`), ...args], { cwd: ROOT, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
