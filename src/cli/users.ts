/** `gatehouse user …` */
import type { Command } from 'commander';
import { CliError, OPERATOR, print, withContext } from './support.js';
import type { UserRecord } from '../storage/storage.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('--password-stdin reads the password from standard input: pipe it in (echo … | gatehouse user create …)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline belongs to `echo`, not to the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function publicUser(u: UserRecord) {
  return {
    id: u.id, login: u.login, display_name: u.displayName, first_name: u.firstName, last_name: u.lastName,
    default_email: u.defaultEmail, is_developer: u.isDeveloper, is_admin: u.isAdmin, status: u.status,
    created_at: new Date(u.createdAt).toISOString(),
  };
}

export function userCommands(cli: Command): void {
  const user = cli.command('user').description('manage user accounts');

  user.command('create').description('create a user')
    .requiredOption('--login <login>', 'login (letters, digits, . _ -)')
    .requiredOption('--password-stdin', 'read the password from standard input')
    .option('--email <email>', 'email address')
    .option('--first-name <name>', 'first name')
    .option('--last-name <name>', 'last name')
    .option('--developer', 'may register apps')
    .option('--admin', 'operator: may use the admin pages')
    .option('--json', 'print JSON')
    .action(async (o: { login: string; email?: string; firstName?: string; lastName?: string; developer?: boolean; admin?: boolean; json?: boolean }) => {
      const password = await readStdin();
      const created = await withContext(async (ctx) => {
        const user = await ctx.users.create({ login: o.login, password, email: o.email, firstName: o.firstName, lastName: o.lastName, isDeveloper: !!o.developer, isAdmin: !!o.admin });
        await ctx.audit.record({ action: 'user_created', actor: OPERATOR, userId: user.id, details: { login: user.login, developer: user.isDeveloper, admin: user.isAdmin } });
        return user;
      });
      print(!!o.json, publicUser(created), `created user ${created.login} (id ${created.id})`);
    });

  user.command('unlock').description('let a user whose account is locked after too many failed sign-ins in a row sign in again')
    .requiredOption('--login <login>', 'the account\'s login')
    .action(async (o: { login: string }) => {
      const login = await withContext(async (ctx) => {
        const found = await ctx.storage.findUserByLogin(o.login.trim());
        if (!found) throw new CliError(`no user with login ${o.login.slice(0, 64)}`);
        await ctx.signInGuard.unlock(found.login);
        await ctx.audit.record({ action: 'user_updated', actor: OPERATOR, userId: found.id, details: { login: found.login, signInUnlocked: true } });
        return found.login;
      });
      print(false, null, `sign-in is unlocked for ${login}`);
    });

  user.command('list').description('list users')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const users = await withContext((ctx) => ctx.storage.listUsers({ limit: 100_000 }));
      const rows = users.map((u) => `${u.id}  ${u.login.padEnd(24)} ${u.status}${u.isAdmin ? ' admin' : ''}${u.isDeveloper ? ' developer' : ''}  ${u.displayName ?? ''}`);
      print(!!o.json, users.map(publicUser), rows.length ? rows.join('\n') : 'no users yet');
    });
}
