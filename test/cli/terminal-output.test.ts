/**
 * What a person sees after `npm start` on a fresh data directory, read from a
 * pseudo-terminal (util-linux `script`): a start-up block with the issuer,
 * the data, the new secret key and the next step (the setup link), then
 * readable log lines — no JSON, no lines for static files — while a pipe
 * still gets JSON (test/security/logs.test.ts reads those).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../helpers/postgres.js';
import { inTerminal, type TerminalRun } from './terminal.js';

let dataDir: string;
let server: TerminalRun | null = null;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-terminal-'));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the server in a terminal', () => {
  test('prints a start-up block with the issuer, the data, the new secret key and the setup link, then readable request lines', async () => {
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    server = inTerminal(['dist/main.js'], { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: String(port) });
    await server.waitFor(/Log lines follow\./);
    const lines = server.screen().split('\n');
    const first = lines.slice(0, 15).join('\n');
    expect(first).toContain(`Gatehouse is running at ${issuer}`);
    expect(first).toContain(`Data:        ${dataDir} (SQLite database gatehouse.db)`);
    expect(first).toContain(`Secret key:  ${path.join(dataDir, 'secret.key')} was created now.`);
    expect(first).toMatch(/Back it up with the database/);
    expect(first).toMatch(new RegExp(`Next step:   create the first operator account[^\\n]*\\n\\s+${issuer}/setup\\?token=[A-Za-z0-9_-]{32}\\n`));
    // One address, the issuer's: no "Server listening at" line, no JSON.
    expect(first).not.toMatch(/listening at|\{"level"/);

    await fetch(`${issuer}/assets/gatehouse.css`);
    await fetch(`${issuer}/login`);
    await fetch(`${issuer}/no-such-page`);
    await server.waitFor(/GET \/no-such-page 404 \d+ ms/);
    const log = server.screen().split('Log lines follow.')[1]!;
    expect(log).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: GET \/login 200 \d+ ms$/m);
    expect(log).not.toContain('/assets/gatehouse.css');
    expect(log).not.toContain('{"');
    await server.stop();
    server = null;
  });

  test('a second start on the same data says where to sign in instead, once an operator exists, and nothing about a new key', async () => {
    const port = await freePort();
    const cli = inTerminal(['dist/cli/main.js', 'user', 'create', '--login', 'root', '--admin'], { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: String(port) });
    await cli.waitFor(/^Password: $/m);
    cli.type('correct horse battery\r');
    await cli.waitFor(/Repeat the password: $/m);
    cli.type('correct horse battery\r');
    expect(await cli.exit()).toBe(0);
    expect(cli.screen()).not.toContain('correct horse battery');
    server = inTerminal(['dist/main.js'], { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: String(port) });
    await server.waitFor(/Log lines follow\./);
    const first = server.screen();
    expect(first).toContain(`Next step:   sign in at http://localhost:${port}/login`);
    expect(first).not.toMatch(/setup\?token|Secret key:/);
  });
});
