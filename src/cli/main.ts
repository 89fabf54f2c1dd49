#!/usr/bin/env node
/**
 * `gatehouse`, the operator's command line (docs/protocol.md §11). It reads the same
 * settings as the server, so it works on the same database, also while the
 * server runs. Bad input prints one line and exits non-zero; `--json` prints
 * machine-readable output for scripts.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { SecretKeyError } from '../crypto/secret-box.js';
import { InputError } from '../errors.js';
import { StorageError } from '../storage/open.js';
import { appCommands } from './apps.js';
import { auditCommands } from './audit.js';
import { keyCommands } from './keys.js';
import { mailCommands } from './mail.js';
import { CliError, print } from './support.js';
import { tokenCommands } from './tokens.js';
import { userCommands } from './users.js';

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
  return cli;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof InputError || err instanceof CliError || err instanceof ConfigError || err instanceof StorageError || err instanceof SecretKeyError) {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`gatehouse: unexpected error: ${(err as Error).message}\n`);
    return 1;
  }
}

const code = await main(process.argv);
if (code !== 0 || !process.argv.slice(2).includes('start')) process.exitCode = code;
