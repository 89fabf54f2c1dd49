// Build step run by `npm install` (prepare) and `npm run build`: compiles the
// TypeScript sources to dist/ so that `npm start` needs nothing more.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync } from 'node:fs';
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
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
chmodSync('dist/cli/main.js', 0o755);
