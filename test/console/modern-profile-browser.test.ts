/**
 * The modern OAuth profile on the developer console, in Chromium (issue 19):
 * a browser app (platform "Browser app") created with "Require DPoP" and
 * "Require pushed authorization requests", then both lifted by editing it.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, RESULTS_DIR, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { PASSWORD, signInAt } from './support.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let page: Page;

describe.skipIf(testEngine() !== 'sqlite')('the modern profile on /console', () => {
  beforeAll(async () => {
    [gh, browser] = await Promise.all([startGatehouse(), launchBrowser()]);
    await gh.ctx.users.create({ login: 'mira', password: PASSWORD, isDeveloper: true });
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
  });

  test('a browser app that requires DPoP and PAR, then neither', async () => {
    await signInAt(page, gh, 'mira', '/console');
    await page.getByRole('link', { name: 'Create an app' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Notes');
    await page.getByLabel('Website or web service').uncheck();
    await page.getByLabel('Browser app').check();
    await page.getByLabel('Redirect URIs').fill('https://notes.example/callback');
    await page.getByLabel('Require DPoP').check();
    await page.getByLabel('Require pushed authorization requests').check();
    await page.screenshot({ path: `${RESULTS_DIR}/console-modern-profile.png`, fullPage: true });
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.waitForURL((u) => /^\/console\/apps\/[0-9a-f]{32}/.test(u.pathname));
    const clientId = /[0-9a-f]{32}/.exec(page.url())![0];
    const app = (await gh.ctx.storage.findApp(clientId as never))!;
    expect(app).toMatchObject({ platforms: [{ type: 'spa' }], secretHash: null, requireDpop: true, requirePar: true });

    await page.goto(`${gh.url}/console/apps/${clientId}/edit`);
    expect(await page.getByLabel('Require DPoP').isChecked()).toBe(true);
    await page.getByLabel('Require DPoP').uncheck();
    await page.getByLabel('Require pushed authorization requests').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => u.pathname === `/console/apps/${clientId}`);
    expect(await gh.ctx.storage.findApp(clientId as never)).toMatchObject({ requireDpop: false, requirePar: false });
  });
});
