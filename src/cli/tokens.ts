/** `gatehouse token …` */
import type { Command } from 'commander';
import { isClientId } from '../apps/apps.js';
import type { ClientId } from '../types.js';
import { CliError, OPERATOR, print, withContext } from './support.js';

export function tokenCommands(cli: Command): void {
  const token = cli.command('token').description('issue tokens');

  token.command('debug').description('issue a debug token for a user of an app, with no code exchange')
    .requiredOption('--app <client_id>', 'the app')
    .requiredOption('--user <login>', 'the user the token acts for')
    .option('--scope <scope>', 'scope (repeatable; default: the app\'s scopes)', (v: string, p: string[] = []) => [...p, v])
    .option('--json', 'print JSON')
    .action(async (o: { app: string; user: string; scope?: string[]; json?: boolean }) => {
      if (!isClientId(o.app)) throw new CliError(`not a client_id (32 hex characters): ${o.app.slice(0, 40)}`);
      const issued = await withContext(async (ctx) => {
        const app = await ctx.storage.findApp(o.app as ClientId);
        if (!app) throw new CliError(`no app with client_id ${o.app}`);
        if (app.status !== 'active') throw new CliError('this app is blocked');
        const user = await ctx.storage.findUserByLogin(o.user);
        if (!user) throw new CliError(`no user with login ${o.user}`);
        const allowed = [...app.scopes, ...app.optionalScopes];
        const scopes = o.scope ? [...new Set(o.scope.flatMap((s) => s.split(/\s+/)).filter(Boolean))] : app.scopes;
        const unknown = scopes.find((s) => !allowed.includes(s));
        if (unknown !== undefined) throw new CliError(`scope ${unknown} is not allowed for this app`);
        const token = await ctx.tokens.issue({ app, userId: user.id, scopes, withRefresh: false, isDebug: true });
        await ctx.audit.record({ action: 'debug_token_issued', actor: OPERATOR, userId: user.id, clientId: app.clientId, details: { scopes } });
        return token;
      });
      print(!!o.json, issued, issued.access_token);
    });
}
