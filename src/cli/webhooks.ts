/** `gatehouse webhook …`: webhook endpoints and their deliveries (src/webhooks/webhooks.ts, docs/webhooks.md). */
import type { Command } from 'commander';
import type { WebhookDeliveryStatus } from '../storage/webhook-store.js';
import { EVENT_DESCRIPTIONS, EVENT_TYPES } from '../webhooks/events.js';
import { deliveryJson, endpointJson, type WebhookEndpoint } from '../webhooks/webhooks.js';
import { CliError, OPERATOR, print, withContext } from './support.js';

const BY_CLI = { actor: OPERATOR, ip: null };
const collect = (value: string, previous: string[] = []) => [...previous, value];
const EVENT_HELP = `event type (repeatable, or comma-separated): ${EVENT_TYPES.join(', ')}`;

function line(e: WebhookEndpoint): string {
  const state = e.enabled ? 'enabled' : `DISABLED: ${e.disabledReason ?? ''}`;
  return `${e.id}  ${e.url}  [${e.events.join(', ')}]  ${state}${e.description ? `  (${e.description})` : ''}`;
}

export function webhookCommands(cli: Command): void {
  const webhook = cli.command('webhook').description('manage webhook endpoints: signed HTTP callbacks on users, sign-ins, apps, consents, tokens and keys');

  webhook.command('add').description('register an endpoint; prints its signing secret (whsec_…) once')
    .requiredOption('--url <url>', 'where deliveries are POSTed (http or https)')
    .requiredOption('--event <type>', EVENT_HELP, collect)
    .option('--description <text>', 'a note for operators')
    .option('--json', 'print JSON')
    .addHelpText('after', `\nEvent types:\n${EVENT_TYPES.map((t) => `  ${t.padEnd(16)} ${EVENT_DESCRIPTIONS[t]}`).join('\n')}\n`)
    .action(async (o: { url: string; event: string[]; description?: string; json?: boolean }) => {
      const { endpoint, secret } = await withContext((ctx) => ctx.webhooks.create({ url: o.url, events: o.event, description: o.description }, BY_CLI));
      print(!!o.json, { ...endpointJson(endpoint), secret },
        `added ${endpoint.id}: ${endpoint.url} [${endpoint.events.join(', ')}]\nsigning secret (shown only now; verify deliveries with it): ${secret}`);
    });

  webhook.command('list').description('list endpoints')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const endpoints = await withContext((ctx) => ctx.webhooks.list());
      print(!!o.json, endpoints.map(endpointJson), endpoints.length === 0 ? 'no webhook endpoints' : endpoints.map(line).join('\n'));
    });

  webhook.command('update').description('change an endpoint\'s URL, events or description; --enable or --disable it')
    .argument('<id>', 'the endpoint (ep_…)')
    .option('--url <url>', 'new URL')
    .option('--event <type>', `${EVENT_HELP} (replaces the list)`, collect)
    .option('--description <text>', 'new note')
    .option('--enable', 'send deliveries again (those still pending go out)')
    .option('--disable', 'stop sending deliveries')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { url?: string; event?: string[]; description?: string; enable?: boolean; disable?: boolean; json?: boolean }) => {
      if (o.enable && o.disable) throw new CliError('--enable or --disable, not both');
      const endpoint = await withContext(async (ctx) => {
        let e: WebhookEndpoint | null = await ctx.webhooks.get(id);
        if (e && (o.url !== undefined || o.event !== undefined || o.description !== undefined)) {
          e = await ctx.webhooks.update(id, { url: o.url, events: o.event, description: o.description }, BY_CLI);
        }
        if (e && (o.enable || o.disable)) e = await ctx.webhooks.setEnabled(id, !!o.enable, BY_CLI);
        return e;
      });
      if (!endpoint) throw new CliError(`no webhook endpoint ${id}`);
      print(!!o.json, endpointJson(endpoint), `updated ${line(endpoint)}`);
    });

  webhook.command('remove').description('delete an endpoint and its delivery log')
    .argument('<id>', 'the endpoint (ep_…)')
    .action(async (id: string) => {
      if (!(await withContext((ctx) => ctx.webhooks.remove(id, BY_CLI)))) throw new CliError(`no webhook endpoint ${id}`);
      print(false, null, `removed ${id}`);
    });

  webhook.command('deliveries').description('the delivery log of an endpoint, newest first')
    .argument('<id>', 'the endpoint (ep_…)')
    .option('--status <status>', 'only pending, delivered or failed ones')
    .option('--limit <n>', 'at most this many (default 50)', (v) => Number(v))
    .option('--json', 'print JSON')
    .action(async (id: string, o: { status?: string; limit?: number; json?: boolean }) => {
      if (o.status !== undefined && !['pending', 'delivered', 'failed'].includes(o.status)) throw new CliError('--status is pending, delivered or failed');
      if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0)) throw new CliError('--limit is a positive number');
      const found = await withContext(async (ctx) => (await ctx.webhooks.get(id))
        ? ctx.webhooks.deliveries(id, { ...(o.limit ? { limit: o.limit } : {}), ...(o.status ? { status: o.status as WebhookDeliveryStatus } : {}) })
        : null);
      if (!found) throw new CliError(`no webhook endpoint ${id}`);
      const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());
      print(!!o.json, found.map(deliveryJson), found.length === 0 ? 'no deliveries' : found.map((d) =>
        `${d.id}  ${d.type}  ${d.status}  attempts ${d.attempts}  response ${d.responseStatus ?? '-'}  last ${iso(d.lastAttemptAt)}${d.status === 'pending' ? `  next ${iso(d.nextAttemptAt)}` : ''}${d.lastError ? `  ${d.lastError}` : ''}`).join('\n'));
    });

  webhook.command('redeliver').description('send a delivery again, from a fresh retry schedule (the running server sends it)')
    .argument('<delivery>', 'the delivery id (from `gatehouse webhook deliveries`)')
    .option('--json', 'print JSON')
    .action(async (deliveryId: string, o: { json?: boolean }) => {
      const d = await withContext((ctx) => ctx.webhooks.redeliver(deliveryId, BY_CLI));
      if (!d) throw new CliError(`no webhook delivery ${deliveryId}`);
      print(!!o.json, deliveryJson(d), `${d.id} is pending again: the server sends it within seconds`);
    });
}
