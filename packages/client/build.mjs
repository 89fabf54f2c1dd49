// Build step of @gatehouse/client, run by the repository's `npm install` (prepare) and `npm run build`:
// TypeScript to ESM with declarations in dist/, and the console program made executable.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  if (existsSync(path.join(here, 'dist/index.js'))) process.exit(0); // installed without dev dependencies: use what is built
  console.error('@gatehouse/client: TypeScript is not installed; run `npm install` at the repository root');
  process.exit(1);
}
rmSync(path.join(here, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });
chmodSync(path.join(here, 'dist/cli/gatehouse-login.js'), 0o755);
