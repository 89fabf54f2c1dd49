/** A token store for console programs: one JSON file readable and writable by its owner only (mode 0600). */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TokenSet, TokenStore } from '../token-store.js';

export class FileTokenStore implements TokenStore {
  constructor(readonly file: string) {}

  async get(): Promise<TokenSet | null> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as TokenSet;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Writes a temporary file created with mode 0600 and renames it over the old one, so a crash never leaves half a file. */
  async set(tokens: TokenSet): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 });
    await chmod(tmp, 0o600); // in case the file already existed with other permissions
    await rename(tmp, this.file);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
