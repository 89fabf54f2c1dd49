// dist/main.js, what `npm start` runs (scripts/build.mjs copies this file there): it runs the server bundled
// in server.cjs with V8's compiled code for it from server.cache, made when the bundle was built.
//
// Compiling the bundle was the largest single cost of a start, and Node 20 keeps no compiled code between
// runs for ES modules (module.enableCompileCache is Node 22). A classic script compiled through node:vm
// takes V8's code cache instead: V8 then reads the functions the build already compiled rather than parsing
// 3 MB of source. V8 checks that the cache was made by the same V8 with the same flags for a source of the
// same length, and otherwise compiles the source as usual (cachedDataRejected): a different Node, or
// flags such as --max-old-space-size, make a start slower, never wrong.
//
// server.cjs is the bundle wrapped in the function CommonJS modules are (exports, require, module,
// __filename, __dirname), written so by the build, so that its text is compiled as read, with no copy.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const here = path.dirname(fileURLToPath(import.meta.url));
const filename = path.join(here, 'server.cjs');

function load() {
  let cachedData;
  try {
    // The cache starts with the path of the server.cjs it was made for, and a line break: V8 keeps the file name
    // of the script a cache was made from (it appears in stack traces), so a dist/ that has moved since the
    // build compiles the source instead.
    const file = readFileSync(path.join(here, 'server.cache'));
    const end = file.indexOf(10);
    if (end > 0 && file.toString('utf8', 0, end) === filename) cachedData = file.subarray(end + 1);
  } catch {
    // no cache (a build that could not make one): compiled from the source
  }
  const script = new vm.Script(readFileSync(filename, 'utf8'), {
    filename,
    cachedData,
    // import() inside the bundle (of a module left outside it) goes through Node's own loader, as in a module.
    // (scripts/code-cache.mjs compiles with the same options.)
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(filename), module, filename, here);
  return module.exports;
}

/** Starts the server (`gatehouse start` imports it; `node dist/main.js` starts it by itself, as the bundle sees it is the main module). */
export const { start, workerCount } = load();
