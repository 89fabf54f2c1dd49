/** What every command shares: errors, warnings, output, and a context that is always closed. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { createContext, type Context } from '../context.js';

export class CliError extends Error {}

/** The audit log's name for whoever runs the CLI: the operator, on the server's machine. */
export const OPERATOR = { type: 'operator' } as const;

/** A warning on stderr, in the same style as errors; the command goes on. */
export function warn(text: string): void {
  process.stderr.write(`gatehouse: warning: ${text}\n`);
}

/**
 * Runs `fn` with a context that is closed afterwards. A command that finds no
 * SQLite database where it looks says so: it most likely runs with another
 * GATEHOUSE_DATA_DIR (or working directory) than the server, and what it
 * does would land in a new, empty database the server never reads.
 */
export async function withContext<T>(fn: (ctx: Context) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const file = path.join(config.dataDir, 'gatehouse.db');
  if (config.databaseUrl === '' && !existsSync(file)) {
    warn(`no database at ${file}: a new, empty one is created. Is GATEHOUSE_DATA_DIR the server's? (set it, or run from the server's directory)`);
  }
  const ctx = await createContext(config);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text + '\n');
}


/** Standard input, for a secret that must not appear in the command line; `refusal` is the error when it is a terminal. */
export async function readStdin(refusal: string): Promise<string> {
  if (process.stdin.isTTY) throw new CliError(refusal);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline belongs to `echo`, not to the secret.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
