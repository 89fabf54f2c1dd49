/** What every command shares: errors, output, and a context that is always closed. */
import { loadConfig } from '../config.js';
import { createContext, type Context } from '../context.js';

export class CliError extends Error {}

/** The audit log's name for whoever runs the CLI: the operator, on the server's machine. */
export const OPERATOR = { type: 'operator' } as const;

/** Runs `fn` with a context that is closed afterwards. */
export async function withContext<T>(fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await createContext(loadConfig());
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
