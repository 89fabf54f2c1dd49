// Bundles the single-page app with esbuild: `node examples/spa/build.mjs` writes examples/spa/dist/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);

/** Bundles src/main.ts and copies index.html into `outdir`; `alias` may point @gatehouse/client at its sources. */
export async function buildSpa({ outdir = path.join(here, 'dist'), alias = {} } = {}) {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [path.join(here, 'src/main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: true,
    outfile: path.join(outdir, 'app.js'),
    alias,
    logLevel: 'warning',
  });
  copyFileSync(path.join(here, 'index.html'), path.join(outdir, 'index.html'));
  return outdir;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const out = await buildSpa();
  console.log(`built ${out}: serve it over http(s) and register its URL as the app's redirect URI`);
}
