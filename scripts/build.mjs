// Build step run by `npm install` (prepare) and `npm run build`: compiles the
// TypeScript sources to dist/ so that `npm start` needs nothing more, and bundles
// the browser SDK (scripts/build-sdk.mjs).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The native libraries: CommonJS packages left outside the bundle, loaded from node_modules. */
const NATIVE = ['better-sqlite3', '@node-rs/argon2'];
/**
 * Libraries the server imports only on first use (passkeys, mail, the QR code of a two-step setup, webhook
 * signing, the terminal's log format): each is a bundle of its own, <out>/lazy/<name>.cjs, outside server.cjs.
 */
const ON_FIRST_USE = ['@simplewebauthn/server', 'nodemailer', 'qrcode', 'standardwebhooks', 'pino-pretty'];
/** Fastify's JSON-schema compilers: ajv and fast-json-stringify, with fast-uri and the rest under them. */
const SCHEMA_COMPILERS = ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler'];
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
 * `<out>/main.js`, what `npm start` runs, starts one file holding the server and the pure-JavaScript
 * libraries it uses, `<out>/server.cjs`: Node then reads one script instead of about a thousand modules
 * (Kysely alone is 288 files), which was most of a start (docs/benchmarks.md). main.js is
 * scripts/dist-main.js, which compiles server.cjs with V8's code cache for it, `<out>/server.cache`, made
 * here (scripts/code-cache.mjs): Node 20 keeps no compiled code between runs for ES modules, and compiling
 * the bundle was the largest cost of a start left. The rest of dist/ stays as tsc wrote it, for the CLI
 * and for anything importing single modules. Native modules, and pg (loaded only for PostgreSQL), stay
 * outside. The libraries it loads on first use (ON_FIRST_USE) are bundles of their own in <out>/lazy/, which
 * server.cjs requires when it first imports them: inside server.cjs they were a third of the source V8 kept in
 * memory and Node read at every start, for code a start never runs.
 */
async function bundleServer(out) {
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    // Whitespace and syntax minified, a third less source for V8 to parse. Names are not: stack traces and class
    // names in logs keep them, and esbuild's keepNames, which restores shortened names at run time with an
    // Object.defineProperty on every function and class as it is created, cost more of a start (about 20 ms of
    // CPU, and every closure made while serving paid it too) than the longer names cost to parse.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [zodEnglishOnly(), asciiSources(out), fastifyHttp2OnUse(), fastifySchemaCompilersOnUse()],
  };
  // CommonJS libraries inside an ES module still call require() for Node's built-ins.
  const requireBanner = { js: "import { createRequire as __gatehouseRequire } from 'node:module'; const require = __gatehouseRequire(import.meta.url);" };
  await build({
    ...common,
    entryPoints: [`${out}/main.js`],
    outfile: `${out}/server.cjs`,
    // A classic script, for node:vm and its code cache (an ES module cannot take one on Node 20).
    format: 'cjs',
    // esbuild: imported only when running from the TypeScript sources (picture-pool.ts), never from dist/.
    // (@opentelemetry/api, which prom-client requires, is bundled: left outside, Node resolved and loaded its forty
    // CommonJS files one by one at every start, 20–35 ms.)
    // The schema compilers (fastifySchemaCompilersOnUse) stay outside too, and light-my-request, which Fastify
    // requires only for inject() (tests), never while serving: bundled, V8 parsed its 40 kB at every start.
    external: [...NATIVE, 'pg', 'pg-native', 'esbuild', 'light-my-request', ...SCHEMA_COMPILERS],
    // The modules' `import.meta.url` is main.js's: package-root.ts finds the package from it, picture-pool.ts the
    // worker beside it, and main.ts starts the server when it is the file Node was given (`node dist/main.js`).
    define: { 'import.meta.url': '__gatehouseMainUrl' },
    // The function main.js calls with CommonJS's five arguments (scripts/dist-main.js), in strict mode as the ES
    // modules it is made of (and the ES module bundle it replaces) are.
    banner: { js: "(function (exports, require, module, __filename, __dirname) {'use strict';const __gatehouseMainUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, 'main.js')).href;" },
    footer: { js: '\n})' },
    plugins: [...common.plugins, importedFromLazy(ON_FIRST_USE)],
  });
  await build({
    ...common,
    entryPoints: Object.fromEntries(ON_FIRST_USE.map((name) => [lazyName(name), name])),
    outdir: `${out}/lazy`,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
  });
  // The picture worker (src/images/picture-pool.ts) is started from `picture-worker.js` beside main.js, a module of its own.
  await build({
    ...common,
    entryPoints: [`${out}/images/picture-worker.js`],
    outfile: `${out}/picture-worker.js`,
    format: 'esm',
    banner: requireBanner,
  });
  copyFileSync('scripts/dist-main.js', `${out}/main.js`);
  rmSync(`${out}/main.js.map`, { force: true }); // tsc's, for the main.js now bundled
  execFileSync(process.execPath, ['scripts/code-cache.mjs', out, 'dist'], { stdio: 'inherit' });
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

/**
 * Gatehouse's own modules with every character outside ASCII written as a `\uXXXX` escape. esbuild escapes
 * such characters itself except inside tagged templates (it keeps their raw text), and the pages' `html`
 * templates hold a few (·, —, …): one of them made the whole bundle a two-byte string for V8, 3.9 MB of
 * heap for the 2 MB file for as long as the server runs, and slower to decode and scan at every start.
 * Nothing in Gatehouse reads a template's raw text (`html` uses the cooked strings, which the escape leaves
 * unchanged), and in strings, regular expressions, identifiers and comments the escape means the same.
 */
function asciiSources(out) {
  const root = path.resolve(out) + path.sep;
  return {
    name: 'ascii-sources',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(root)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!/[^\x00-\x7f]/.test(text)) return undefined;
        return { contents: text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), loader: 'js' };
      });
    },
  };
}

/**
 * Fastify requires Node's `http2` when it loads, for the `http2` server option, which Gatehouse never
 * sets; loading it (with its compat and core modules) was 15–40 ms of every start. In the bundle
 * Fastify's `require('node:http2')` returns an object that loads the real module on first use.
 */
function fastifyHttp2OnUse() {
  return {
    name: 'fastify-http2-on-use',
    setup(build) {
      build.onResolve({ filter: /^node:http2$/ }, (args) => {
        if (args.kind !== 'require-call' || !/[\\/]node_modules[\\/]fastify[\\/]/.test(args.importer)) return undefined;
        return { path: 'node:http2', namespace: 'on-use' };
      });
      build.onLoad({ filter: /.*/, namespace: 'on-use' }, (args) => ({
        contents: `let real;
const load = () => (real ??= require(${JSON.stringify(args.path)}));
module.exports = new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
    return descriptor && { ...descriptor, configurable: true };
  },
});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Fastify builds a validator and a serializer compiler only for routes that declare a JSON schema, and no
 * Gatehouse route does (the management API validates with zod), yet it requires both compiler packages
 * when an instance is created: ajv and fast-json-stringify were a quarter of the bundle V8 parsed at
 * every start. In the bundle Fastify gets stand-ins with the same interface (a selector returning a
 * builder of compilers) that require the real package, from node_modules, the first time a compiler is
 * asked for; Fastify's own logic (which schemas are compiled, and how) is unchanged.
 */
function fastifySchemaCompilersOnUse() {
  return {
    name: 'fastify-schema-compilers-on-use',
    setup(build) {
      build.onResolve({ filter: /^@fastify\/(ajv-compiler|fast-json-stringify-compiler)$/ }, (args) => {
        if (!/[\\/]node_modules[\\/]fastify[\\/]/.test(args.importer)) return undefined;
        return { path: args.path, namespace: 'schema-compiler-on-use' };
      });
      build.onLoad({ filter: /.*/, namespace: 'schema-compiler-on-use' }, (args) => ({
        contents: `module.exports = function selector(...options) {
  let builder;
  return function build(...args) {
    builder ??= require(${JSON.stringify(args.path)})(...options);
    return builder(...args);
  };
};`,
        loader: 'js',
      }));
    },
  };
}

/** The file in <out>/lazy/ of a library loaded on first use: `@simplewebauthn/server` is `simplewebauthn-server.cjs`. */
function lazyName(name) {
  return name.replace(/^@/, '').replace(/\//g, '-');
}

/**
 * The server's `import('nodemailer')` (and the other ON_FIRST_USE libraries) becomes a require of
 * `./lazy/nodemailer.cjs`, from server.cjs's directory, when it is first called. What the import gives is as
 * before: esbuild's interop for an ES module of a `"type": "module"` package is Node's, the package's exports
 * each by name and the whole exports object as `default`.
 */
function importedFromLazy(names) {
  const lazy = new Set(names);
  return {
    name: 'imported-from-lazy',
    setup(build) {
      build.onResolve({ filter: /^[@a-z]/ }, (args) => {
        if (args.kind !== 'dynamic-import' || !lazy.has(args.path)) return undefined;
        return { path: args.path, namespace: 'imported-from-lazy' };
      });
      build.onResolve({ filter: /^\.\/lazy\// }, (args) => (args.namespace === 'imported-from-lazy' ? { path: args.path, external: true } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'imported-from-lazy' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(`./lazy/${lazyName(args.path)}.cjs`)});`,
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
