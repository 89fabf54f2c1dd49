/**
 * The benchmark runs as a bundle (bench/run.mjs builds every entry point into
 * one directory); child processes are started from sibling bundles.
 */
import { fileURLToPath } from 'node:url';

/** The bundled file of entry `name` (e.g. `peers/floor-server`), next to the running bundle. */
export function bundled(name: string): string {
  return fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
}
