/** `gatehouse upstream …`: the identity providers users sign in through (src/upstreams/upstreams.ts). */
import { Option, type Command } from 'commander';
import type { UpstreamKind } from '../storage/upstream-store.js';
import type { UpstreamInput } from '../upstreams/upstreams.js';
import { CliError, OPERATOR, print, readStdin, withContext } from './support.js';

interface UpstreamOptions {
  name?: string;
  displayName?: string;
  issuer?: string;
  clientId?: string;
  clientSecretStdin?: boolean;
  scope?: string[];
  preset?: Exclude<UpstreamKind, 'oidc'>;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  userinfoEndpoint?: string;
  linkVerifiedEmail?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const STDIN_REFUSAL = '--client-secret-stdin reads the secret from standard input: pipe it in (echo … | gatehouse upstream add …)';

function withUpstreamOptions(cmd: Command): Command {
  return cmd
    .option('--display-name <text>', 'what the sign-in page says: "Continue with <text>"')
    .option('--issuer <url>', 'the provider\'s issuer (OpenID Connect discovery; for a preset, the `iss` its answers may carry)')
    .option('--client-id <id>', 'the client id Gatehouse has at the provider')
    .option('--client-secret-stdin', 'read the client secret from standard input')
    .option('--scope <scope>', 'scope to ask for (repeatable, or space-separated); default: the preset\'s, or "openid profile email"', collect)
    .option('--authorization-endpoint <url>', 'override the preset\'s or the discovered endpoint ("" to drop an override)')
    .option('--token-endpoint <url>', 'override the token endpoint')
    .option('--userinfo-endpoint <url>', 'override the userinfo (profile) endpoint')
    .option('--link-verified-email', 'link a new identity to the account with the same address when the provider says it verified it')
    .option('--no-link-verified-email', 'users link identities only by signing in to their account first (the default)')
    .option('--json', 'print JSON');
}

async function input(o: UpstreamOptions): Promise<UpstreamInput> {
  return {
    displayName: o.displayName,
    issuer: o.issuer,
    clientId: o.clientId,
    clientSecret: o.clientSecretStdin ? await readStdin(STDIN_REFUSAL) : undefined,
    scope: o.scope?.join(' '),
    authorizationEndpoint: o.authorizationEndpoint,
    tokenEndpoint: o.tokenEndpoint,
    userinfoEndpoint: o.userinfoEndpoint,
    linkVerifiedEmail: o.linkVerifiedEmail,
  };
}

export function upstreamCommands(cli: Command): void {
  const upstream = cli.command('upstream').description('manage the identity providers users sign in through (OpenID Connect, Yandex ID, GitHub)');

  withUpstreamOptions(upstream.command('add').description('add a provider; prints the redirect URI to register with it')
    .requiredOption('--name <slug>', 'short name, part of the redirect URI: lowercase letters, digits, hyphens')
    .addOption(new Option('--preset <preset>', 'a provider without OpenID Connect, its endpoints and profile built in').choices(['yandex', 'github'])))
    .action(async (o: UpstreamOptions) => {
      if (!o.clientSecretStdin) throw new CliError('give the client secret on standard input with --client-secret-stdin');
      const given = await input(o);
      const added = await withContext(async (ctx) => {
        const u = await ctx.upstreams.add({ ...given, name: o.name, kind: o.preset ?? 'oidc' }, OPERATOR);
        return ctx.upstreams.publicView(u);
      });
      print(!!o.json, added, `added ${added.name} (${added.kind})\nredirect_uri: ${added.redirect_uri}   (register it with the provider)`);
    });

  withUpstreamOptions(upstream.command('update').description('change a provider; a new secret is read with --client-secret-stdin')
    .argument('<name>', 'the provider'))
    .action(async (name: string, o: UpstreamOptions) => {
      const given = await input(o);
      const changed = await withContext(async (ctx) => ctx.upstreams.publicView(await ctx.upstreams.update(name, given, OPERATOR)));
      print(!!o.json, changed, `updated ${changed.name}`);
    });

  upstream.command('list').description('list providers')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const all = await withContext(async (ctx) => (await ctx.upstreams.list()).map((u) => ctx.upstreams.publicView(u)));
      const rows = all.map((u) => `${u.name.padEnd(16)} ${u.kind.padEnd(7)} ${u.issuer}  ${u.redirect_uri}`);
      print(!!o.json, all, rows.length ? rows.join('\n') : 'no providers yet');
    });

  upstream.command('remove').description('remove a provider and unlink every identity linked through it')
    .argument('<name>', 'the provider')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      await withContext((ctx) => ctx.upstreams.remove(name, OPERATOR));
      print(!!o.json, { removed: name }, `removed ${name}`);
    });
}
