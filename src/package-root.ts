/**
 * The package root — where `package.json`, `assets/` and the built `dist/`
 * are — found by walking up from this module: the same answer from `src/`
 * (tests), `dist/` (compiled) and the single bundled `dist/main.js`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'assets'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`Gatehouse's package root (package.json and assets/) is not above ${from}`);
  }
}

export const PACKAGE_ROOT = findRoot(fileURLToPath(import.meta.url));
