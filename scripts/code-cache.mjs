// `node scripts/code-cache.mjs <dir> <final>`, run by scripts/build.mjs: writes <dir>/server.cache, V8's code
// cache for <dir>/server.cjs, which main.js (scripts/dist-main.js) gives V8 when it compiles the bundle, once
// <dir> has become <final> (dist/). The script is compiled and run under its final path: V8 keeps the name a
// cache was made with, and shows it in stack traces; the cache starts with that path and a line break, and
// main.js uses it only from there.
//
// The bundle is compiled as main.js compiles it and run as far as its modules' own initialisation (the
// server does not start: this script is not dist/main.js), so the cache holds the code every start runs
// first, not only the outermost function. It is made by the Node that builds, which is the one that runs
// the server in every ordinary installation; another one rejects it and compiles the source.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

const dir = path.resolve(process.argv[2]);
const final = path.resolve(process.argv[3]);
const filename = path.join(final, 'server.cjs');
const script = new vm.Script(readFileSync(path.join(dir, 'server.cjs'), 'utf8'), {
  filename,
  importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(filename), module, filename, final);
writeFileSync(path.join(dir, 'server.cache'), Buffer.concat([Buffer.from(`${filename}\n`), script.createCachedData()]));
// Whatever the modules started (timers, handles) is not waited for.
process.exit(0);
