/**
 * A real browser for tests: Debian's Chromium (installed by
 * scripts/test-setup.mjs) driven by playwright-core. Playwright's own browser
 * builds are never downloaded.
 *
 * Each test file launches its own browser, which Playwright starts on a fresh
 * temporary profile (deleted on close), and gets a new, empty context.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The flags Chromium runs with. The background-networking, component-update
 * and sync flags keep it from calling out: the test machines' network is
 * closed, and those connection attempts would only be refused.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** Screenshots go here (gitignored). */
export const RESULTS_DIR = path.resolve('test-results');

export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  /** A new tab in this file's context. */
  newPage(): Promise<Page>;
  /** Saves a full-page PNG under test-results/ and returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
  const context = await browser.newContext({ viewport: { width: 800, height: 900 }, locale: 'en-US' });
  return {
    browser,
    context,
    newPage: () => context.newPage(),
    async screenshot(page, name) {
      mkdirSync(RESULTS_DIR, { recursive: true });
      const file = path.join(RESULTS_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close();
      await browser.close();
    },
  };
}
