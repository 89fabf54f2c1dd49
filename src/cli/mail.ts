/** `gatehouse mail …`: checking that Gatehouse can send mail. */
import type { Command } from 'commander';
import { validateEmail } from '../accounts/users.js';
import { testMail } from '../mail/mails.js';
import { mailLanguage } from '../mail/templates.js';
import { CliError, OPERATOR, print, withContext } from './support.js';

/** Where mail goes, without the credentials of the URL. */
function smtpServer(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

export function mailCommands(cli: Command): void {
  const mail = cli.command('mail').description('mail settings (GATEHOUSE_SMTP_URL, GATEHOUSE_MAIL_FROM)');

  mail.command('test').description('send a test mail and report what the SMTP server said')
    .requiredOption('--to <address>', 'where to send it')
    .option('--lang <lang>', 'language of the mail: en or ru', 'en')
    .option('--json', 'print JSON')
    .action(async (o: { to: string; lang: string; json?: boolean }) => {
      const to = validateEmail(o.to.trim());
      const result = await withContext(async (ctx) => ({
        ...(await ctx.mail.sendNow({ to, mail: testMail(mailLanguage(o.lang), { issuer: ctx.config.issuer, name: to }), userId: null, actor: OPERATOR, ip: null })),
        server: ctx.config.smtpUrl === '' ? null : smtpServer(ctx.config.smtpUrl),
        from: ctx.config.mailFrom,
      }));
      if (result.outcome === 'kept') {
        throw new CliError('GATEHOUSE_SMTP_URL is not set, so nothing was sent: the test mail waits in the outbox on /admin/mail');
      }
      if (result.outcome === 'failed') throw new CliError(`the test mail was not sent through ${result.server}: ${result.error}`);
      print(!!o.json, { sent: true, to, server: result.server, from: result.from }, `sent a test mail to ${to} through ${result.server} from ${result.from}`);
    });
}
