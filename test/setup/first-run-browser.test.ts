/**
 * The first run as a new operator lives it, in Chromium against the built
 * server (`node dist/main.js`, as `npm start` runs it): the setup link is
 * read from the server's log, opening it creates the first operator, who is
 * signed in and shown the organisation's settings; the link is dead
 * afterwards, also after a restart. Before that, nobody may sign up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { testEngine } from '../helpers/gatehouse.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

const PASSWORD = 'correct horse battery';
let browser: TestBrowser;
let server: GatehouseProcess | null = null;
let dataDir: string;

/** The setup link the server printed in its log (a JSON line: not a terminal). */
function setupLinkIn(output: string): string | null {
  // Whole lines only: the last piece may still be being written.
  for (const line of output.split('\n').slice(0, -1)) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { setupLink?: string };
    if (entry.setupLink) return entry.setupLink;
  }
  return null;
}

/**
 * The server's log (at level info) once its start is told: the server prints the setup link
 * after it begins to answer (`/healthz` answers first), right after its
 * "ready" line, so both are waited for rather than read at once.
 */
async function startLog(server: GatehouseProcess, withLink: boolean): Promise<string> {
  const told = (output: string) => output.includes('"msg":"Gatehouse is ready"') && (!withLink || setupLinkIn(output) !== null);
  for (let waited = 0; waited < 10_000 && !told(server.output()); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  // Anything the start still had to say comes in the same turn as the ready line: a moment more is plenty.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return server.output();
}

describe.skipIf(testEngine() !== 'sqlite')('first-run setup in Chromium', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-first-run-'));
    [browser, server] = await Promise.all([launchBrowser(), spawnGatehouse({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'info' })]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a fresh server prints a setup link; it creates the first operator, who lands on the organisation settings, and then works no more', async () => {
    const link = setupLinkIn(await startLog(server!, true));
    expect(link).toMatch(new RegExp(`^${server!.url}/setup\\?token=[A-Za-z0-9_-]{32}$`));

    const page = await browser.newPage();
    // Closed until an operator exists: sign-up says why.
    const signup = await page.goto(`${server!.url}/signup`);
    expect(signup!.status()).toBe(403);
    await page.getByText('sign-up opens once its first operator account exists').waitFor();

    await page.goto(link!);
    await page.getByRole('heading', { name: 'Set up Gatehouse' }).waitFor();
    await browser.screenshot(page, 'first-run-setup');
    await page.getByLabel('Username').fill('olga the operator');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create the operator account' }).click();
    // A login that breaks the rules is refused, and the link still works for the corrected form.
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Username').fill('olga');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create the operator account' }).click();
    await page.getByRole('heading', { name: 'Organisation', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/settings');
    await page.getByText('Your operator account is ready.').waitFor();
    await browser.screenshot(page, 'first-run-settings');

    // The settings the setup leads to take effect on the pages.
    await page.getByLabel('Name').fill('Northwind Traders');
    await page.getByLabel('Support contact').fill('help@northwind.example');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();

    // The link is dead now, in this browser and any other.
    const again = await (await browser.browser.newContext()).newPage();
    expect((await again.goto(link!))!.status()).toBe(404);
    await again.getByRole('heading', { name: 'This setup link does not work' }).waitFor();
    // And sign-up is open, under the organisation's name.
    await again.goto(`${server!.url}/signup`);
    await again.getByRole('heading', { name: 'Create your Northwind Traders account' }).waitFor();
    expect(await again.getByRole('link', { name: 'Help' }).getAttribute('href')).toBe('mailto:help@northwind.example');
    await again.context().close();
  });

  test('after a restart with an operator, no setup link is printed and the old one stays dead', async () => {
    const before = setupLinkIn(server!.output());
    await server!.stop();
    server = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'info' });
    expect(setupLinkIn(await startLog(server, false))).toBeNull();
    const old = new URL(before!);
    const res = await fetch(`${server.url}${old.pathname}${old.search}`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('This setup link does not work');
  });
});
