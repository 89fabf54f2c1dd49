/** `gatehouse user …` */
import type { Command } from 'commander';
import { adminOf } from '../admin/admin.js';
import type { Context } from '../context.js';
import { mailLanguage } from '../mail/templates.js';
import { readPassword } from './prompt.js';
import { CliError, OPERATOR, print, withContext } from './support.js';
import type { UserRecord } from '../storage/storage.js';

function publicUser(u: UserRecord) {
  return {
    id: u.id, login: u.login, display_name: u.displayName, first_name: u.firstName, last_name: u.lastName,
    default_email: u.defaultEmail, emails: u.emails, confirmed_emails: u.confirmedEmails, phone: u.defaultPhone,
    phone_confirmed: u.defaultPhone !== null && u.defaultPhone === u.confirmedPhone, is_developer: u.isDeveloper, is_admin: u.isAdmin, status: u.status,
    created_at: new Date(u.createdAt).toISOString(),
  };
}

export function userCommands(cli: Command): void {
  const user = cli.command('user').description('manage user accounts');

  user.command('create').description('create a user')
    .requiredOption('--login <login>', 'login (letters, digits, . _ -)')
    .option('--password-stdin', 'read the password from standard input (else you are asked for it in a terminal)')
    .option('--email <email>', 'email address')
    .option('--first-name <name>', 'first name')
    .option('--last-name <name>', 'last name')
    .option('--developer', 'may register apps')
    .option('--admin', 'operator: may use the admin pages')
    .option('--confirm-email', 'mail a confirmation link to --email instead of vouching for the address yourself')
    .option('--lang <lang>', 'language of that mail: en or ru', 'en')
    .option('--json', 'print JSON')
    .action(async (o: { login: string; passwordStdin?: boolean; email?: string; firstName?: string; lastName?: string; developer?: boolean; admin?: boolean; confirmEmail?: boolean; lang: string; json?: boolean }) => {
      const password = await readPassword(!!o.passwordStdin);
      const created = await withContext(async (ctx) => {
        // The same service /admin and the management API use, for the operator at the command line.
        return adminOf(ctx).createUser(OPERATOR, {
          login: o.login, password, email: o.email, firstName: o.firstName, lastName: o.lastName, isDeveloper: !!o.developer, isAdmin: !!o.admin,
          confirmByMail: !!o.confirmEmail, language: mailLanguage(o.lang),
        }, null);
      });
      print(!!o.json, publicUser(created), `created user ${created.login} (id ${created.id})`);
    });

  user.command('unlock').description('let a user whose account is locked after too many failed sign-ins in a row sign in again')
    .requiredOption('--login <login>', 'the account\'s login')
    .action(async (o: { login: string }) => {
      const login = await withContext(async (ctx) => {
        const found = await ctx.storage.findUserByLogin(o.login.trim());
        if (!found) throw new CliError(`no user with login ${o.login.slice(0, 64)}`);
        await ctx.storage.atomically(async () => {
          await ctx.signInGuard.unlock(found.login);
          await ctx.audit.record({ action: 'user_updated', actor: OPERATOR, userId: found.id, details: { login: found.login, signInUnlocked: true } });
        });
        return found.login;
      });
      print(false, null, `sign-in is unlocked for ${login}`);
    });

  user.command('reset-two-step').description('turn off a user\'s two-step sign-in (lost phone and recovery codes): their authenticator-app key and recovery codes are deleted')
    .requiredOption('--login <login>', 'the account\'s login')
    .action(async (o: { login: string }) => {
      const login = await withContext(async (ctx) => {
        const found = await ctx.storage.findUserByLogin(o.login.trim().slice(0, 64));
        if (!found) throw new CliError(`no user with login ${o.login.slice(0, 64)}`);
        await ctx.twoStep.reset(found, OPERATOR, null);
        return found.login;
      });
      print(false, null, `two-step sign-in is reset for ${login}: they sign in with the password, or set it up again where GATEHOUSE_REQUIRE_TWO_STEP requires it`);
    });

  user.command('update').description('change a user: roles, blocking, password, main email address or phone number (what you set counts as confirmed)')
    .argument('<login>', 'the user\'s login')
    .option('--admin', 'make them an operator: may use the admin pages')
    .option('--no-admin', 'take the operator role away')
    .option('--developer', 'let them register apps')
    .option('--no-developer', 'take the developer role away')
    .option('--block', 'block the account: signed out everywhere, every token revoked, no sign-in')
    .option('--unblock', 'let a blocked account sign in again')
    .option('--password', 'set a new password, typed at a hidden prompt (signs them out everywhere)')
    .option('--password-stdin', 'set a new password read from standard input (signs them out everywhere)')
    .option('--email <email>', 'main email address (added to the user\'s addresses if new)')
    .option('--confirm-email', 'mail a confirmation link to --email instead of vouching for the address yourself')
    .option('--phone <number>', 'phone number, international form (+44 20 7946 0958)')
    .option('--phone-confirmed', 'the phone number (given or the user\'s own) counts as confirmed: apps may see it')
    .option('--lang <lang>', 'language of a confirmation mail: en or ru', 'en')
    .option('--json', 'print JSON')
    .action(async (login: string, o: {
      admin?: boolean; developer?: boolean; block?: boolean; unblock?: boolean; password?: boolean; passwordStdin?: boolean;
      email?: string; confirmEmail?: boolean; phone?: string; phoneConfirmed?: boolean; lang: string; json?: boolean;
    }) => {
      const addresses = o.email !== undefined || o.phone !== undefined || !!o.phoneConfirmed;
      const newPassword = !!o.password || !!o.passwordStdin;
      if (!addresses && !newPassword && o.admin === undefined && o.developer === undefined && !o.block && !o.unblock) {
        throw new CliError('nothing to change: give --admin, --no-admin, --developer, --no-developer, --block, --unblock, --password, --password-stdin, --email, --phone or --phone-confirmed');
      }
      if (o.block && o.unblock) throw new CliError('give --block or --unblock, not both');
      if (o.password && o.passwordStdin) throw new CliError('give --password or --password-stdin, not both');
      if (o.confirmEmail && o.email === undefined) throw new CliError('--confirm-email needs --email');
      const password = newPassword ? await readPassword(!!o.passwordStdin) : null;
      const updated = await withContext(async (ctx) => {
        const found = await ctx.storage.findUserByLogin(login.trim().slice(0, 64));
        if (!found) throw new CliError(`no user with the login ${login.slice(0, 64)}`);
        return adminOf(ctx).updateUser(OPERATOR, found, {
          blocked: o.block ? true : o.unblock ? false : undefined, isAdmin: o.admin, isDeveloper: o.developer, password: password ?? undefined,
          email: o.email, phone: o.phone, phoneConfirmed: o.phoneConfirmed, confirmByMail: o.confirmEmail, language: mailLanguage(o.lang),
        }, null);
      });
      const roles = [updated.status === 'blocked' ? 'blocked' : 'active', updated.isAdmin ? 'operator' : null, updated.isDeveloper ? 'developer' : null].filter(Boolean).join(', ');
      print(!!o.json, publicUser(updated), `updated user ${updated.login} (${roles})${password !== null ? ': new password set, signed out everywhere' : ''}${o.confirmEmail ? `: a confirmation link is mailed to ${o.email}` : ''}`);
    });

  user.command('confirm-emails').description('count users\' email addresses as confirmed, as if you had set them (apps may see them)')
    .option('--all', 'every address of every user')
    .option('--login <login>', 'every address of one user')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; login?: string; json?: boolean }) => {
      if (!o.all === (o.login === undefined)) throw new CliError('give either --all or --login <login>');
      const counted = await withContext(async (ctx) => {
        let users = 0;
        let addresses = 0;
        const vouch = async (u: UserRecord) => {
          const after = await ctx.addresses.vouch(u, { emails: 'all', phone: false }, OPERATOR, null);
          const added = after.confirmedEmails.length - u.confirmedEmails.length;
          if (added > 0) users++;
          addresses += added;
        };
        if (o.login !== undefined) {
          const found = await ctx.storage.findUserByLogin(o.login.trim().slice(0, 64));
          if (!found) throw new CliError(`no user with the login ${o.login.slice(0, 64)}`);
          await vouch(found);
        } else {
          for (let offset = 0; ; offset += 1000) {
            const page = await ctx.storage.listUsers({ limit: 1000, offset });
            for (const u of page) await vouch(u);
            if (page.length < 1000) break;
          }
        }
        return { users, addresses };
      });
      print(!!o.json, counted, `confirmed ${counted.addresses} address${counted.addresses === 1 ? '' : 'es'} of ${counted.users} user${counted.users === 1 ? '' : 's'}`);
    });

  user.command('list').description('list users')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const users = await withContext((ctx) => ctx.storage.listUsers({ limit: 100_000 }));
      const rows = users.map((u) => `${u.id}  ${u.login.padEnd(24)} ${u.status}${u.isAdmin ? ' admin' : ''}${u.isDeveloper ? ' developer' : ''}  ${u.displayName ?? ''}`);
      print(!!o.json, users.map(publicUser), rows.length ? rows.join('\n') : 'no users yet');
    });

  user.command('delete').description('erase a user\'s account: sessions and tokens end, personal data is deleted, audit entries stay without it')
    .argument('<login>', 'the user\'s login')
    .option('--yes', 'erasing cannot be undone: say so')
    .option('--json', 'print JSON')
    .action(async (login: string, o: { yes?: boolean; json?: boolean }) => {
      if (!o.yes) throw new CliError('erasing an account cannot be undone: add --yes');
      const erased = await withContext(async (ctx) => {
        const found = await ctx.storage.findUserByLogin(login.trim().slice(0, 64));
        if (!found) throw new CliError(`no user with the login ${login.slice(0, 64)}`);
        const orphans = await adminOf(ctx).deleteUser(OPERATOR, found, null);
        return { id: found.id, login: found.login, apps_without_owner: orphans };
      });
      const orphans = erased.apps_without_owner.length > 0 ? `; apps left without an owner: ${erased.apps_without_owner.join(', ')}` : '';
      print(!!o.json, erased, `deleted user ${erased.login} (id ${erased.id})${orphans}`);
    });
}
