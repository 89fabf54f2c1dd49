/** A token store for console programs: one JSON file readable and writable by its owner only (mode 0600). */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
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

  /**
   * Writes a new temporary file next to the token file and renames it over
   * the old one, so a crash never leaves half a file. The temporary file has
   * a random name and is created exclusively (`wx`: O_CREAT|O_EXCL) with mode
   * 0600: a file or symbolic link someone planted under a name they guessed
   * makes the write fail instead of being followed, and the tokens are never
   * readable by anyone else, not even for a moment.
   */
  async set(tokens: TokenSet): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${randomBytes(12).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      try {
        await handle.writeFile(JSON.stringify(tokens, null, 2) + '\n');
      } finally {
        await handle.close();
      }
      // rename() replaces the name itself: a link put in place of the token file is replaced, not written through.
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
