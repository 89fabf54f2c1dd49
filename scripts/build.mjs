// Build step run by `npm install` (prepare) and `npm run build`: compiles the
// TypeScript sources to dist/ so that `npm start` needs nothing more, and bundles
// the browser SDK (scripts/build-sdk.mjs).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  if (existsSync('dist/main.js')) process.exit(0); // installed without dev dependencies: use what is built
  console.error('build: TypeScript is not installed; run `npm install` (with dev dependencies)');
  process.exit(1);
}
// Compile into a directory of our own, then swap it in: whatever runs from
// dist/ meanwhile (a server, `npx gatehouse`, which runs this script when it
// first links the package, or another test) never finds it empty or
// half-written, and a failed compile leaves the last good build in place.
const out = `dist.building-${process.pid}`;
try {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', out], { stdio: 'inherit' });
  chmodSync(`${out}/cli/main.js`, 0o755);
  // The browser SDK (docs/protocol.md §8), bundled by esbuild into <out>/sdk.
  await (await import('./build-sdk.mjs')).buildSdk(out);
  await bundleServer(out);
  swapIn(out);
} finally {
  rmSync(out, { recursive: true, force: true });
}

/**
 * `<out>/main.js`, what `npm start` runs, becomes one file holding the server
 * and the pure-JavaScript libraries it uses: Node then reads and links one
 * module instead of about a thousand (Kysely alone is 288 files), which was
 * most of a start-up (docs/benchmarks.md). The rest of dist/ stays as tsc
 * wrote it, for the CLI and for anything importing single modules. Native
 * modules, and pg (loaded only when PostgreSQL is configured), stay outside.
 */
async function bundleServer(out) {
  const { build } = await import('esbuild');
  await build({
    // The picture worker (src/images/picture-pool.ts) is started from `picture-worker.js` beside main.js.
    entryPoints: { main: `${out}/main.js`, 'picture-worker': `${out}/images/picture-worker.js` },
    outdir: out,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // What the server loads only when first used (passkeys' libraries, nodemailer, the QR code and picture
    // encoders) goes to chunks of its own, so a start parses and runs none of it.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    target: 'node20',
    // esbuild: imported only when running from the TypeScript sources (picture-pool.ts), never from dist/.
    external: ['better-sqlite3', '@node-rs/argon2', 'pg', 'pg-native', '@opentelemetry/api', 'esbuild'],
    // CommonJS libraries inside an ES module bundle still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __gatehouseRequire } from 'node:module'; const require = __gatehouseRequire(import.meta.url);" },
    // Minified (names kept, for stack traces and class names in logs): a third of the source for V8 to parse.
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [zodEnglishOnly()],
  });
}

/**
 * zod carries the error messages of some fifty languages, a sixth of the server's code, and exports them
 * all as `locales`; Gatehouse never shows zod's messages to anyone (it turns them into its own errors) and
 * never switches zod's language, so the bundle keeps English, zod's default, alone.
 */
function zodEnglishOnly() {
  return {
    name: 'zod-english-only',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
        if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
        return { path: 'zod-locales', namespace: 'zod-english-only', pluginData: args.resolveDir };
      });
      build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
        contents: "export { default as en } from '../locales/en.js';",
        resolveDir: args.pluginData,
        loader: 'js',
      }));
    },
  };
}

/** Replaces dist/ with `dir` by two renames; tries again when a concurrent build swapped in between them. */
function swapIn(dir) {
  for (let attempt = 0; ; attempt++) {
    const old = `dist.old-${process.pid}-${attempt}`;
    try {
      renameSync('dist', old);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    try {
      renameSync(dir, 'dist');
      return;
    } catch (err) {
      if ((err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') || attempt >= 5) throw err;
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  }
}
