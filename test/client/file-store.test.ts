/**
 * FileTokenStore (@gatehouse/client/node) against another local user who can
 * write where the token file is written (a shared or sloppily permissioned
 * directory): a symbolic link planted where the store used to put its
 * temporary file (`<file>.<pid>.tmp`, a name anyone can predict) must not be
 * followed, so the tokens never land in the attacker's file and the file the
 * link points at is never overwritten.
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { TokenSet } from '../../packages/client/src/index.js';
import { FileTokenStore } from '../../packages/client/src/node/index.js';

const TOKENS: TokenSet = {
  accessToken: 'gate_at_secret', tokenType: 'bearer', expiresIn: 3600, expiresAt: 1_900_000_000_000,
  refreshToken: 'gate_rt_secret', scope: ['login:info'], idToken: null,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('FileTokenStore writes its file without following a planted link', () => {
  test('a symlink at the old predictable temporary name is not followed: its target keeps its content, the tokens go to the store’s own 0600 file', async () => {
    const file = path.join(dir, 'tokens.json');
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'the victim’s own file\n');
    const planted = `${file}.${process.pid}.tmp`;
    symlinkSync(victim, planted);

    const store = new FileTokenStore(file);
    await store.set(TOKENS);

    expect(readFileSync(victim, 'utf8')).toBe('the victim’s own file\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await store.get()).toEqual(TOKENS);
    // The planted link is left alone, and no temporary file of the store's is left behind.
    expect(lstatSync(planted).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['tokens.json', path.basename(planted), 'victim.txt'].sort());
  });

  test('rewriting replaces the file (a rename), never writes through a link someone put in its place', async () => {
    const file = path.join(dir, 'tokens.json');
    const store = new FileTokenStore(file);
    await store.set(TOKENS);
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched\n');
    rmSync(file);
    symlinkSync(victim, file);
    await store.set({ ...TOKENS, accessToken: 'gate_at_second' });
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await store.get())?.accessToken).toBe('gate_at_second');
  });
});
