/**
 * Reading a password for the CLI: from standard input when piped
 * (`--password-stdin`, for scripts), or typed at a hidden prompt, asked twice,
 * when a person runs the command in a terminal.
 */
import { CliError } from './support.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline belongs to `echo`, not to the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** One line typed without echo; Ctrl+C or Ctrl+D gives up. */
function hiddenLine(question: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let typed = '';
    // Echo goes off before the question shows: nothing typed the moment it appears is echoed.
    input.setRawMode(true);
    process.stderr.write(question);
    input.resume();
    input.setEncoding('utf8');
    const done = (error: Error | null) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003' || ch === '\u0004') return done(new CliError('cancelled: no password given'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}

/**
 * The password: piped in with `fromStdin`, else asked for at a hidden prompt
 * in a terminal; with neither, a one-line refusal saying how to give it.
 */
export async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    if (process.stdin.isTTY) throw new CliError('--password-stdin reads the password from standard input: pipe it in (echo … | gatehouse user create …), or leave it out to be asked');
    return readStdin();
  }
  if (!process.stdin.isTTY) throw new CliError('no password: pipe it in with --password-stdin, or run the command in a terminal to be asked for it');
  const first = await hiddenLine('Password: ');
  const again = await hiddenLine('Repeat the password: ');
  if (first !== again) throw new CliError('the two passwords differ: nothing was changed');
  return first;
}
