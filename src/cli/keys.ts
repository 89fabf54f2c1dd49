/** `gatehouse keys …`: signing keys for id_tokens. */
import type { Command } from 'commander';
import { rotateSigningKeys } from '../oidc/keys.js';
import { OPERATOR, print, withContext } from './support.js';

export function keyCommands(cli: Command): void {
  const keys = cli.command('keys').description('manage signing keys');

  keys.command('list').description('list signing keys').option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await withContext((ctx) => ctx.storage.listSigningKeys());
      const rows = list.map((k) => ({ kid: k.kid, alg: k.alg, created_at: new Date(k.createdAt).toISOString(), retired_at: k.retiredAt ? new Date(k.retiredAt).toISOString() : null }));
      print(!!o.json, rows, rows.map((k) => `${k.kid}  ${k.alg.padEnd(6)} ${k.retired_at ? `retired ${k.retired_at}` : 'current'}`).join('\n'));
    });

  keys.command('rotate').description('add a new signing key per algorithm; old public keys stay published')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const added = await withContext(async (ctx) => {
        const keys = await rotateSigningKeys(ctx.storage, ctx.secrets, ctx.clock);
        await ctx.audit.record({ action: 'keys_rotated', actor: OPERATOR, details: { kids: keys.map((k) => k.kid) } });
        return keys;
      });
      print(!!o.json, added.map((k) => ({ kid: k.kid, alg: k.alg })), added.map((k) => `new ${k.alg} key ${k.kid}`).join('\n'));
    });
}
