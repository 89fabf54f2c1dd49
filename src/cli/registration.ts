/** `gatehouse registration …`: initial access tokens for dynamic client registration (GATEHOUSE_REGISTRATION=token). */
import type { Command } from 'commander';
import { CliError, print, warn, withContext } from './support.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90m`, `12h`, `7d` or a number of seconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new CliError(`${option} must be a number with s, m, h or d (e.g. 7d)`);
  return Number(match[1]) * UNITS[match[2] || 's']!;
}

export function registrationCommands(cli: Command): void {
  const registration = cli.command('registration').description('dynamic client registration (RFC 7591): initial access tokens');

  registration.command('token').description('issue an initial access token that lets its holder register apps at POST /register; shown once')
    .option('--expires <duration>', 'how long it is valid: 90m, 12h, 7d … (default 7d)', '7d')
    .option('--uses <n>', 'how many apps it may register (default 1)', '1')
    .option('--label <text>', 'a note to tell tokens apart in the list', '')
    .option('--json', 'print JSON')
    .action(async (o: { expires: string; uses: string; label: string; json?: boolean }) => {
      const ttlSeconds = parseDuration(o.expires, '--expires');
      if (!/^\d+$/.test(o.uses)) throw new CliError('--uses must be a whole number');
      const { token, record, mode } = await withContext(async (ctx) => ({
        ...(await ctx.registrations.issueInitialAccessToken({ ttlSeconds, maxUses: Number(o.uses), label: o.label })),
        mode: ctx.config.registration,
      }));
      if (mode !== 'token') warn(`GATEHOUSE_REGISTRATION is ${mode}: the token is stored, but POST /register ${mode === 'off' ? 'is off' : 'is open to anyone anyway'}; set GATEHOUSE_REGISTRATION=token`);
      const expires = new Date(record.expiresAt).toISOString();
      print(!!o.json, { initial_access_token: token, id: record.hash.slice(0, 12), expires_at: expires, uses: record.maxUses },
        `initial access token: ${token}   (shown once: hand it over now)\nid:      ${record.hash.slice(0, 12)}\nexpires: ${expires}\nuses:    ${record.maxUses}\nregister with: curl -X POST -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' -d '{"redirect_uris":["https://app.example/callback"]}' <issuer>/register`);
    });

  registration.command('list').description('list initial access tokens that are still valid')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const tokens = await withContext((ctx) => ctx.storage.clients.listInitialAccessTokens(ctx.clock()));
      const rows = tokens.map((t) => ({ id: t.hash.slice(0, 12), label: t.label, uses: t.uses, max_uses: t.maxUses, expires_at: new Date(t.expiresAt).toISOString() }));
      print(!!o.json, rows, rows.length ? rows.map((r) => `${r.id}  ${r.uses}/${r.max_uses} used  until ${r.expires_at}  ${r.label}`).join('\n') : 'no initial access tokens');
    });

  registration.command('revoke').description('withdraw an initial access token by its id (from the list)')
    .argument('<id>', 'the id shown when it was issued, or in the list')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      if (!/^[0-9a-f]{12,64}$/.test(id)) throw new CliError('the id is 12 hexadecimal characters, as `gatehouse registration list` shows');
      const deleted = await withContext(async (ctx) => {
        const n = await ctx.storage.clients.deleteInitialAccessTokens(id);
        if (n > 0) await ctx.audit.record({ action: 'registration_token_revoked', actor: { type: 'operator' }, details: { id } });
        return n;
      });
      if (deleted === 0) throw new CliError(`no initial access token with id ${id}`);
      print(!!o.json, { revoked: id }, `revoked ${id}`);
    });
}
