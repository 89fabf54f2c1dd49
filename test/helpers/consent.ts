import type { Page } from 'playwright-core';
export async function clickWhenArmed(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name }).click();
}
