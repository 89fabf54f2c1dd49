#!/usr/bin/env node
/**
 * `gatehouse`, the operator's command line (docs/protocol.md §11). It reads the same
 * settings as the server, so it works on the same database, also while the
 * server runs. Bad input prints one line and exits non-zero; `--json` prints
 * machine-readable output for scripts.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { SecretKeyError } from '../crypto/secret-box.js';
import { InputError } from '../errors.js';
import { StorageError } from '../storage/open.js';
import { program } from './program.js';
import { CliError } from './support.js';

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
