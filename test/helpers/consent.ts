/**
 * Allow and Deny on the consent and device pages work only once the page has
 * been visible and focused for 500 ms (assets/decision.js). Browser tests
 * answer them through these helpers, which wait for that moment (the buttons'
 * `data-armed`) instead of sleeping, then click as a person would.
 */
import type { Page } from 'playwright-core';

/** Resolves once the page's Allow and Deny buttons are armed. */
export async function decisionArmed(page: Page): Promise<void> {
  await page.locator('button[data-arm][data-armed]').first().waitFor();
}

/** Waits for Allow and Deny to be armed, then clicks the one named `name`. */
export async function clickWhenArmed(page: Page, name: 'Allow' | 'Deny' | string): Promise<void> {
  await decisionArmed(page);
  await page.getByRole('button', { name, exact: true }).click();
}
