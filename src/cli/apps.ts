/** `gatehouse app …` */
import { Option, type Command } from 'commander';
import { isClientId, PLATFORM_TYPES, type AppInput } from '../apps/apps.js';
import type { AppRecord, PlatformType } from '../storage/storage.js';
import type { ClientId } from '../types.js';
import { CliError, print, withContext } from './support.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface AppOptions {
  name?: string;
  description?: string;
  redirectUri?: string[];
  scope?: string[];
  optionalScope?: string[];
  platform?: string[];
  suggestHostname?: string[];
  owner?: string;
  tokenTtl?: string;
  idTokenAlg?: 'ES256' | 'RS256';
  postLogoutRedirectUri?: string[];
  status?: 'active' | 'blocked';
  json?: boolean;
}

function withAppOptions(cmd: Command): Command {
  return cmd
    .option('--description <text>', 'description shown to developers')
    .option('--redirect-uri <uri>', 'redirect URI (repeatable)', collect)
    .option('--scope <scope>', 'scope granted by default (repeatable, or space-separated)', collect)
    .option('--optional-scope <scope>', 'scope the user may decline (repeatable)', collect)
    .addOption(new Option('--platform <platform>', 'platform (repeatable)').choices([...PLATFORM_TYPES]).argParser(collect))
    .option('--suggest-hostname <origin>', 'origin allowed to embed the login button (repeatable)', collect)
    .option('--owner <login>', 'developer who owns the app')
    .option('--token-ttl <seconds>', 'access-token lifetime in seconds')
    .addOption(new Option('--id-token-alg <alg>', 'id_token signing algorithm').choices(['ES256', 'RS256']))
    .option('--post-logout-redirect-uri <uri>', 'where /logout may return to (repeatable)', collect)
    .option('--json', 'print JSON');
}

function publicApp(a: AppRecord, clientSecret?: string | null) {
  return {
    client_id: a.clientId,
    ...(clientSecret ? { client_secret: clientSecret } : {}),
    name: a.name,
    description: a.description,
    confidential: a.secretHash !== null,
    platforms: a.platforms.map((p) => p.type),
    redirect_uris: a.redirectUris,
    scopes: a.scopes,
    optional_scopes: a.optionalScopes,
    suggest_hostnames: a.suggestHostnames,
    owner_id: a.ownerId,
    access_token_ttl: a.accessTokenTtlSeconds,
    id_token_alg: a.idTokenAlg,
    post_logout_redirect_uris: a.postLogoutRedirectUris,
    status: a.status,
  };
}

function toInput(o: AppOptions): AppInput {
  let ttl: number | undefined;
  if (o.tokenTtl !== undefined) {
    if (!/^\d+$/.test(o.tokenTtl)) throw new CliError('--token-ttl must be a whole number of seconds');
    ttl = Number(o.tokenTtl);
  }
  return {
    name: o.name,
    description: o.description,
    redirectUris: o.redirectUri,
    scopes: o.scope,
    optionalScopes: o.optionalScope,
    platforms: o.platform as PlatformType[] | undefined,
    suggestHostnames: o.suggestHostname,
    accessTokenTtlSeconds: ttl,
    idTokenAlg: o.idTokenAlg,
    postLogoutRedirectUris: o.postLogoutRedirectUri,
    status: o.status,
  };
}

function describe(a: AppRecord, secret: string | null): string {
  const lines = [`client_id:     ${a.clientId}`];
  if (secret) lines.push(`client_secret: ${secret}   (shown once: store it now)`);
  lines.push(`name:          ${a.name}`, `platforms:     ${a.platforms.map((p) => p.type).join(', ')}`,
    `redirect URIs: ${a.redirectUris.join(' ') || '(none)'}`, `scopes:        ${a.scopes.join(' ') || '(none)'}`);
  return lines.join('\n');
}

export function appCommands(cli: Command): void {
  const app = cli.command('app').description('manage apps (OAuth clients)');

  withAppOptions(app.command('create').description('register an app; prints its client_id and, for web apps, its secret')
    .requiredOption('--name <name>', 'app name shown on the consent page'))
    .action(async (o: AppOptions) => {
      const created = await withContext(async (ctx) => {
        let ownerId = null;
        if (o.owner !== undefined) {
          const owner = await ctx.storage.findUserByLogin(o.owner);
          if (!owner) throw new CliError(`no user with login ${o.owner}`);
          ownerId = owner.id;
        }
        return ctx.apps.create({ ...toInput(o), name: o.name!, ownerId });
      });
      print(!!o.json, publicApp(created.app, created.clientSecret), describe(created.app, created.clientSecret));
    });

  withAppOptions(app.command('update').description('change an app; changing scopes revokes its tokens')
    .argument('<client_id>', 'the app to change')
    .option('--name <name>', 'app name'))
    .addOption(new Option('--status <status>', 'active or blocked (blocking revokes its tokens)').choices(['active', 'blocked']))
    .action(async (clientId: string, o: AppOptions) => {
      if (!isClientId(clientId)) throw new CliError(`not a client_id (32 hex characters): ${clientId.slice(0, 40)}`);
      const updated = await withContext(async (ctx) => {
        const input = toInput(o);
        if (o.owner !== undefined) {
          const owner = await ctx.storage.findUserByLogin(o.owner);
          if (!owner) throw new CliError(`no user with login ${o.owner}`);
          input.ownerId = owner.id;
        }
        return ctx.apps.update(clientId as ClientId, input);
      });
      print(!!o.json, publicApp(updated.app, updated.clientSecret), describe(updated.app, updated.clientSecret));
    });

  app.command('list').description('list apps')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const apps = await withContext((ctx) => ctx.storage.listApps());
      const rows = apps.map((a) => `${a.clientId}  ${a.status.padEnd(8)} ${a.platforms.map((p) => p.type).join(',').padEnd(12)} ${a.name}`);
      print(!!o.json, apps.map((a) => publicApp(a)), rows.length ? rows.join('\n') : 'no apps yet');
    });

  app.command('rotate-secret').description('issue a new client secret; the old one stops working at once')
    .argument('<client_id>', 'the app')
    .option('--json', 'print JSON')
    .action(async (clientId: string, o: { json?: boolean }) => {
      if (!isClientId(clientId)) throw new CliError(`not a client_id (32 hex characters): ${clientId.slice(0, 40)}`);
      const secret = await withContext((ctx) => ctx.apps.rotateSecret(clientId as ClientId));
      print(!!o.json, { client_id: clientId, client_secret: secret }, `client_secret: ${secret}   (shown once: store it now)`);
    });
}
