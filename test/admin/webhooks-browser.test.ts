/**
 * /admin/webhooks in Chromium (issue 21): an operator adds an endpoint with
 * event checkboxes and copies its secret, shown once; a delivery arrives at a
 * real receiver and verifies with that secret; the delivery log shows each
 * attempt; an endpoint disabled after a day of failures is announced on the
 * page, and the operator enables it, sends the delivery again, and deletes
 * it. Nobody but an operator reaches the page.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGatehouse, testClock, testEngine, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { MAX_ATTEMPTS, RETRY_AFTER_MS } from '../../src/webhooks/delivery.js';
import { PASSWORD, signInAt } from '../console/support.js';

let gh: TestGatehouse;
let browser: TestBrowser;
let context: BrowserContext;
let page: Page;
let receiver: WebhookReceiver;
let stop: () => void;
const clock = testClock();

describe.skipIf(testEngine() !== 'sqlite')('/admin/webhooks in Chromium', () => {
  beforeAll(async () => {
    [gh, browser, receiver] = await Promise.all([startGatehouse({ clock, config: { webhookAllowPrivate: true } }), launchBrowser(), startWebhookReceiver()]);
    stop = gh.ctx.webhookDelivery.start(50);
    await gh.ctx.users.create({ login: 'root', password: PASSWORD, firstName: 'Rita', lastName: 'Root', isAdmin: true });
    context = await browser.browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
    await signInAt(page, gh, 'root', '/admin');
  });
  afterAll(async () => {
    stop?.();
    await context?.close();
    await browser?.close();
    await receiver?.close();
    await gh?.close();
  });

  test('an operator adds an endpoint, copies the secret shown once, and reads the delivery log', async () => {
    await page.goto(`${gh.url}/admin`);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    expect(await page.locator('main').textContent()).toContain('No endpoints yet.');
    await page.getByLabel('URL').fill(receiver.url);
    await page.getByLabel('Description (optional)').fill('HR sync');
    await page.getByRole('checkbox', { name: /user\.created/ }).check();
    await page.getByRole('checkbox', { name: /key\.rotated/ }).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText(`Endpoint ${receiver.url} added.`).waitFor();
    const secret = (await page.locator('#webhook-secret').textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    receiver.secret = secret;
    await browser.screenshot(page, 'admin-webhooks-added');
    // Shown once: a reload does not show it again.
    await page.reload();
    expect(await page.locator('main').textContent()).not.toContain(secret);
    const endpoint = (await gh.ctx.webhooks.list())[0]!;
    expect(endpoint).toMatchObject({ url: receiver.url, description: 'HR sync', events: ['user.created', 'key.rotated'], enabled: true });

    await gh.ctx.storage.atomically(() => gh.ctx.audit.record({ action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: ['k1'] } }));
    await receiver.waitFor((r) => r.length === 1);
    expect(receiver.received[0]!.verified?.type).toBe('key.rotated');
    await gh.ctx.webhookDelivery.idle();
    await page.getByRole('link', { name: 'Delivery log' }).click();
    const row = page.locator('table.deliveries tbody tr').first();
    expect((await row.textContent())!.replace(/\s+/g, ' ')).toMatch(/key\.rotated.*Delivered.*1.*204/);
  });

  test('an endpoint failing for a day is announced; the operator enables it, sends the delivery again, then deletes it', async () => {
    const endpoint = (await gh.ctx.webhooks.list())[0]!;
    receiver.respond = () => 500;
    clock.advance(60_000);
    await gh.ctx.storage.atomically(() => gh.ctx.audit.record({ action: 'keys_rotated', actor: { type: 'operator' }, details: { kids: ['k2'] } }));
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await receiver.waitFor((r) => r.length === 1 + attempt);
      await gh.ctx.webhookDelivery.idle();
      if (attempt < MAX_ATTEMPTS) clock.advance(RETRY_AFTER_MS[attempt - 1]!);
    }
    await page.goto(`${gh.url}/admin/webhooks`);
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toMatch(new RegExp(`${receiver.url.replace(/[/.]/g, '\\$&')} was disabled: every attempt for a day failed \\(8 attempts; last: HTTP 500`));
    await browser.screenshot(page, 'admin-webhooks-disabled');

    receiver.respond = () => 204;
    await page.getByRole('link', { name: 'Delivery log' }).click();
    expect((await page.locator('table.deliveries tbody tr').first().textContent())!.replace(/\s+/g, ' ')).toMatch(/key\.rotated.*Failed.*HTTP 500.*8.*500/);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('Endpoint enabled').waitFor();
    await page.locator('table.deliveries tbody tr').first().getByRole('button', { name: /^Send msg_\w+ again$/ }).click();
    await page.getByText('The delivery is sent again within seconds.').waitFor();
    await receiver.waitFor((r) => r.filter((x) => x.answered === 204).length === 2);
    await gh.ctx.webhookDelivery.idle();
    await page.reload();
    expect((await page.locator('table.deliveries tbody tr').first().textContent())!.replace(/\s+/g, ' ')).toMatch(/Delivered/);
    await browser.screenshot(page, 'admin-webhooks-log');

    await page.goto(`${gh.url}/admin/webhooks`);
    await page.getByRole('button', { name: `Delete ${endpoint.url}` }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Endpoint deleted.').waitFor();
    expect(await gh.ctx.webhooks.list()).toEqual([]);
  });

  test('nobody but an operator reaches /admin/webhooks', async () => {
    await gh.ctx.users.create({ login: 'plain', password: PASSWORD });
    const plain = new HttpUser(gh, 'plain', PASSWORD);
    await plain.signIn();
    expect((await plain.get('/admin/webhooks')).status).toBe(404);
    expect((await plain.post('/admin/webhooks', { url: 'https://x.example/', events: 'key.rotated' })).status).not.toBe(303);
    expect(await gh.ctx.webhooks.list()).toEqual([]);
  });
});
