/** `gatehouse audit`: the audit log, newest first (issue 10). */
import type { Command } from 'commander';
import { isClientId } from '../apps/apps.js';
import { formatAuditEntry, listAuditEntries, type AuditFilter } from '../audit/audit-log.js';
import type { AuditEntry } from '../storage/storage.js';
import { CliError, print, withContext } from './support.js';

function publicEntry(e: AuditEntry) {
  return {
    id: e.id, at: new Date(e.at).toISOString(), action: e.action, outcome: e.outcome,
    actor: { type: e.actorType, id: e.actorId }, user_id: e.userId, client_id: e.clientId, ip: e.ip, details: e.details,
    ...(e.repeated ? { count: e.repeated.count, last_at: new Date(e.repeated.lastAt).toISOString() } : {}),
  };
}

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n < 1 || n > 10_000) throw new CliError('--limit must be a whole number from 1 to 10000');
  return n;
}

export function auditCommands(cli: Command): void {
  cli.command('audit').description('show the audit log: sign-ins, consents, tokens issued and revoked, changes to apps and users')
    .option('--limit <n>', 'at most this many entries, newest first (default 100)')
    .option('--user <login>', 'only entries about this user')
    .option('--app <client_id>', 'only entries about this app')
    .option('--action <action>', 'only this action (sign_in, consent, token_issued, …)')
    .option('--json', 'print JSON')
    .action(async (o: { limit?: string; user?: string; app?: string; action?: string; json?: boolean }) => {
      const filter: AuditFilter = { limit: o.limit === undefined ? 100 : positive(o.limit) };
      if (o.app !== undefined) {
        if (!isClientId(o.app)) throw new CliError(`not a client_id (32 hex characters): ${o.app.slice(0, 40)}`);
        filter.clientId = o.app;
      }
      if (o.action !== undefined) {
        if (!/^[a-z_]{1,40}$/.test(o.action)) throw new CliError('--action is a name such as sign_in or token_issued');
        filter.action = o.action;
      }
      const entries = await withContext(async (ctx) => {
        if (o.user !== undefined && !(await ctx.storage.findUserByLogin(o.user))) throw new CliError(`no user with login ${o.user.slice(0, 64)}`);
        return listAuditEntries(ctx, { ...filter, ...(o.user !== undefined ? { login: o.user } : {}) });
      });
      print(!!o.json, entries.map(publicEntry), entries.length ? entries.map(formatAuditEntry).join('\n') : 'no entries');
    });
}
