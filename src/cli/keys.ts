/** `gatehouse keys …`: signing keys for id_tokens. */
import type { Command } from 'commander';
import { adminOf } from '../admin/admin.js';
import { NEXT_KEY_LEAD_MS } from '../oidc/keys.js';
import { OPERATOR, print, withContext } from './support.js';

export function keyCommands(cli: Command): void {
  const keys = cli.command('keys').description('manage signing keys');

  keys.command('list').description('list signing keys').option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { list, now } = await withContext(async (ctx) => ({ list: await ctx.storage.listSigningKeys(), now: ctx.clock() }));
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      const rows = list.map((k) => ({
        kid: k.kid, alg: k.alg, created_at: iso(k.createdAt), activates_at: iso(k.activatesAt), retired_at: iso(k.retiredAt),
        state: k.retiredAt !== null && k.retiredAt <= now ? 'retired' : k.activatesAt > now ? 'next' : 'signing',
      }));
      const line = (k: (typeof rows)[number]) =>
        k.state === 'retired' ? `retired ${k.retired_at}` : k.state === 'next' ? `next, signs from ${k.activates_at}` : k.retired_at ? `signing until ${k.retired_at}` : 'signing';
      print(!!o.json, rows, rows.map((k) => `${k.kid}  ${k.alg.padEnd(6)} ${line(k)}`).join('\n'));
    });

  keys.command('rotate').description(`publish a new signing key per algorithm at once; it signs from ${NEXT_KEY_LEAD_MS / 1000} s later, when the old one retires (old public keys stay published)`)
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const added = await withContext(async (ctx) => {
        return adminOf(ctx).rotateKeys(OPERATOR, null);
      });
      print(!!o.json, added.map((k) => ({ kid: k.kid, alg: k.alg, activates_at: new Date(k.activatesAt).toISOString() })),
        added.map((k) => `new ${k.alg} key ${k.kid}: published now, signs from ${new Date(k.activatesAt).toISOString()}`).join('\n'));
    });
}
