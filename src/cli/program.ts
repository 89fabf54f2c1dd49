/** Every `gatehouse` command and option, built in one place (main.ts runs it; tests read its help). */
import { Command, Option } from 'commander';
import { loadConfig } from '../config.js';
import { appCommands } from './apps.js';
import { auditCommands } from './audit.js';
import { keyCommands } from './keys.js';
import { mailCommands } from './mail.js';
import { upstreamCommands } from './upstreams.js';
import { registrationCommands } from './registration.js';
import { resourceCommands } from './resources.js';
import { print } from './support.js';
import { tokenCommands } from './tokens.js';
import { userCommands } from './users.js';
import { webhookCommands } from './webhooks.js';

export function program(): Command {
  const cli = new Command('gatehouse')
    .description('Gatehouse identity provider: run the server and manage users, apps and keys')
    // Commander's own errors (unknown option, missing argument, a value not among the choices) in the one style
    // of every error here: one line, `gatehouse: …`.
    .configureOutput({ outputError: (text, write) => write(`gatehouse: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (see --help)\n`) })
    .exitOverride();

  cli.command('start').description('start the server (same as npm start)').action(async () => {
    const { start } = await import('../main.js');
    await start();
  });

  cli.command('migrate').description('apply pending database migrations')
    .addOption(new Option('--json', 'print JSON'))
    .action(async (opts: { json?: boolean }) => {
      const { openKysely, migrate } = await import('../storage/open.js');
      const db = openKysely(loadConfig());
      try {
        const result = await migrate(db);
        const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
        print(!!opts.json, { applied }, applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
      } finally {
        await db.destroy();
      }
    });

  userCommands(cli);
  appCommands(cli);
  keyCommands(cli);
  tokenCommands(cli);
  auditCommands(cli);
  mailCommands(cli);
  upstreamCommands(cli);
  webhookCommands(cli);
  registrationCommands(cli);
  resourceCommands(cli);
  return cli;
}

