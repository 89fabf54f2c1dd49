/** `gatehouse app …` */
import { Option, type Command } from 'commander';
import { adminOf } from '../admin/admin.js';
import { isManagementScope } from '../oauth/scopes.js';
import { isClientId, PLATFORM_TYPES, type AppInput } from '../apps/apps.js';
import { DERIVED_LOOPBACK_URIS, derivedMobileRedirectUris } from '../apps/platforms.js';
import type { AppRecord, Platform, PlatformType } from '../storage/storage.js';
import type { ClientId } from '../types.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AUTH_METHODS } from '../apps/client-keys.js';
import { randomHex, randomToken } from '../crypto/random.js';
import { CliError, OPERATOR, print, warn, withContext } from './support.js';

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
  introspects?: string;
  iosAppId?: string;
  androidPackage?: string;
  androidSha256?: string[];
  iosStoreUrl?: string;
  androidStoreUrl?: string;
  storeUrl?: string;
  firstParty?: boolean;
  requireTwoStep?: boolean;
  authMethod?: string;
  jwksUri?: string;
  jwksFile?: string;
  requireDpop?: boolean;
  requirePar?: boolean;
  json?: boolean;
  env?: boolean;
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
    .option('--ios-app-id <id>', 'iOS App ID: team prefix and bundle id, e.g. ABCDE12345.org.example.app')
    .option('--android-package <name>', 'Android package name, e.g. org.example.app')
    .option('--android-sha256 <fingerprint>', 'SHA-256 fingerprint of the Android signing certificate (repeatable)', collect)
    .option('--ios-store-url <url>', 'App Store URL')
    .option('--android-store-url <url>', 'Google Play URL')
    .option('--store-url <url>', 'store URL of the one mobile platform (ios or android)')
    .option('--first-party', 'the provider\'s own app: listed in the issuer host\'s app-link files and webcredentials')
    .option('--no-first-party', 'a third-party app (the default): its app links live on yx<client_id>.<issuer host> only')
    .option('--require-two-step', 'users sign in with two steps (or a passkey) before the app gets a code or token')
    .option('--no-require-two-step', 'a password alone is enough (the default)')
    .addOption(new Option('--auth-method <method>', 'how a web app authenticates (token_endpoint_auth_method); default client_secret_basic').choices([...AUTH_METHODS]))
    .option('--jwks-uri <url>', 'https address of the app\'s public keys (JWK Set), for private_key_jwt; "" removes it')
    .option('--jwks-file <path>', 'file with the app\'s public keys (a JWK Set in JSON), for private_key_jwt; "" removes them')
    .option('--require-dpop', 'issue tokens only bound to a DPoP key (RFC 9449)')
    .option('--no-require-dpop', 'bearer tokens are issued to requests without a DPoP proof (the default)')
    .option('--require-par', 'accept authorization requests only through /par (RFC 9126)')
    .option('--no-require-par', 'authorization requests may come directly to /authorize (the default)')
    .option('--json', 'print JSON');
}

/** The platform fields, in the wire names of docs/protocol.md §9's console. */
function platformDetails(a: AppRecord) {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of a.platforms) {
    if (p.type === 'ios') out.ios = { app_id: p.appId ?? null, store_url: p.storeUrl ?? null };
    if (p.type === 'android') out.android = { package_name: p.packageName ?? null, sha256_cert_fingerprints: p.sha256Fingerprints ?? [], store_url: p.storeUrl ?? null };
  }
  return out;
}

/** The redirect URIs Gatehouse accepts for the app's native platforms without registration (docs/protocol.md §9). */
function derivedUris(a: AppRecord, issuer: string): string[] {
  const loopback = a.platforms.some((p) => p.type === 'desktop') ? DERIVED_LOOPBACK_URIS.map((u) => `${u} (any port)`) : [];
  return [...derivedMobileRedirectUris(a, issuer), ...loopback];
}

function publicApp(a: AppRecord, clientSecret?: string | null, issuer?: string) {
  return {
    client_id: a.clientId,
    ...(clientSecret ? { client_secret: clientSecret } : {}),
    name: a.name,
    description: a.description,
    confidential: a.secretHash !== null,
    platforms: a.platforms.map((p) => p.type),
    ...platformDetails(a),
    redirect_uris: a.redirectUris,
    ...(issuer !== undefined ? { derived_redirect_uris: derivedUris(a, issuer) } : {}),
    scopes: a.scopes,
    optional_scopes: a.optionalScopes,
    suggest_hostnames: a.suggestHostnames,
    owner_id: a.ownerId,
    access_token_ttl: a.accessTokenTtlSeconds,
    id_token_alg: a.idTokenAlg,
    post_logout_redirect_uris: a.postLogoutRedirectUris,
    introspects: a.introspects,
    status: a.status,
    blocked_by: a.blockedBy,
    first_party: a.firstParty,
    require_two_step: a.requireTwoStep,
    token_endpoint_auth_method: a.tokenEndpointAuthMethod,
    ...(a.jwks ? { jwks: a.jwks } : {}),
    ...(a.jwksUri ? { jwks_uri: a.jwksUri } : {}),
    registered: a.registrationTokenHash !== null,
    require_dpop: a.requireDpop,
    require_par: a.requirePar,
  };
}

const PLATFORM_FIELD_OPTIONS = ['iosAppId', 'androidPackage', 'androidSha256', 'iosStoreUrl', 'androidStoreUrl', 'storeUrl'] as const;

/**
 * The platforms with their fields. `current` are the app's platforms, used when
 * fields are given without `--platform` (an update of one platform's fields).
 */
function platformsInput(o: AppOptions, current: readonly Platform[] | null): AppInput['platforms'] {
  const fieldsGiven = PLATFORM_FIELD_OPTIONS.some((k) => o[k] !== undefined);
  if (o.platform === undefined && !fieldsGiven) return undefined;
  const types = (o.platform as PlatformType[] | undefined) ?? current?.map((p) => p.type) ?? ['web'];
  const mobile = types.filter((t) => t === 'ios' || t === 'android');
  let { iosStoreUrl, androidStoreUrl } = o;
  if (o.storeUrl !== undefined) {
    if (mobile.length !== 1) throw new CliError('--store-url needs exactly one of the ios and android platforms; use --ios-store-url or --android-store-url');
    if (mobile[0] === 'ios') iosStoreUrl = o.storeUrl;
    else androidStoreUrl = o.storeUrl;
  }
  const needs = (given: unknown, option: string, type: PlatformType) => {
    if (given !== undefined && !types.includes(type)) throw new CliError(`${option} needs --platform ${type}`);
  };
  needs(o.iosAppId, '--ios-app-id', 'ios');
  needs(iosStoreUrl, '--ios-store-url', 'ios');
  needs(o.androidPackage, '--android-package', 'android');
  needs(o.androidSha256, '--android-sha256', 'android');
  needs(androidStoreUrl, '--android-store-url', 'android');
  return types.map((type): PlatformType | Platform => {
    const kept = current?.find((p) => p.type === type) ?? { type };
    if (type === 'ios') {
      return { ...kept, ...(o.iosAppId !== undefined ? { appId: o.iosAppId } : {}), ...(iosStoreUrl !== undefined ? { storeUrl: iosStoreUrl } : {}) };
    }
    if (type === 'android') {
      return {
        ...kept,
        ...(o.androidPackage !== undefined ? { packageName: o.androidPackage } : {}),
        ...(o.androidSha256 !== undefined ? { sha256Fingerprints: o.androidSha256 } : {}),
        ...(androidStoreUrl !== undefined ? { storeUrl: androidStoreUrl } : {}),
      };
    }
    return type;
  });
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
    suggestHostnames: o.suggestHostname,
    accessTokenTtlSeconds: ttl,
    idTokenAlg: o.idTokenAlg,
    requireTwoStep: o.requireTwoStep,
    requireDpop: o.requireDpop,
    requirePar: o.requirePar,
    postLogoutRedirectUris: o.postLogoutRedirectUri,
    status: o.status,
    tokenEndpointAuthMethod: o.authMethod,
    jwksUri: o.jwksUri,
    jwks: o.jwksFile === undefined ? undefined : o.jwksFile === '' ? null : readJwksFile(o.jwksFile),
  };
}

function readJwksFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --jwks-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function describe(a: AppRecord, secret: string | null, issuer: string): string {
  const lines = [`client_id:     ${a.clientId}`];
  if (secret) lines.push(`client_secret: ${secret}   (shown once: store it now)`);
  lines.push(`name:          ${a.name}`, `platforms:     ${a.platforms.map((p) => p.type).join(', ')}`,
    `redirect URIs: ${a.redirectUris.join(' ') || '(none)'}`);
  const derived = derivedUris(a, issuer);
  if (derived.length > 0) lines.push(`also accepted: ${derived.join(' ')}`);
  lines.push(`scopes:        ${a.scopes.join(' ') || '(none)'}`);
  if (a.tokenEndpointAuthMethod !== 'none' && a.tokenEndpointAuthMethod !== 'client_secret_basic') lines.push(`auth method:   ${a.tokenEndpointAuthMethod}${a.jwksUri ? ` (keys at ${a.jwksUri})` : a.jwks ? ` (${a.jwks.keys.length} key${a.jwks.keys.length === 1 ? '' : 's'} registered)` : ''}`);
  if (a.registrationTokenHash !== null) lines.push('registered:    by itself (dynamic client registration)');
  if (a.firstParty) lines.push('first-party:   yes (listed in the issuer host\'s app-link files)');
  if (a.requireTwoStep) lines.push('two-step:      required at sign-in');
  if (a.requireDpop) lines.push('DPoP:          required (tokens bound to the app\'s key)');
  if (a.requirePar) lines.push('PAR:           required (authorization requests through /par)');
  if (a.blockedBy) lines.push(`blocked by:    ${a.blockedBy}`);
  if (a.introspects.length > 0) lines.push(`introspects:   tokens of ${a.introspects.join(' ')}`);
  return lines.join('\n');
}

/** Shell lines a script can eval; a secret only for apps that have one. */
function envLines(clientId: string, secret: string | null): string {
  return `CLIENT_ID=${clientId}\n${secret ? `CLIENT_SECRET=${secret}\n` : ''}`;
}

/** What makes a new app unusable as made, said on stderr so that --json and --env output stay clean. */
function warnIncomplete(a: AppRecord): void {
  // An app for automation (management scopes, client_credentials) signs nobody in.
  if (a.scopes.length > 0 && a.scopes.every(isManagementScope)) return;
  const web = a.platforms.some((p) => p.type === 'web');
  if (web && a.redirectUris.length === 0) warn(`the web app has no redirect URI, so sign-ins to it cannot finish: gatehouse app update ${a.clientId} --redirect-uri https://…/callback`);
  if (web && a.scopes.length === 0 && a.optionalScopes.length === 0) warn(`the app has no scope, so its users grant it nothing to read: gatehouse app update ${a.clientId} --scope login:info`);
}

export function appCommands(cli: Command): void {
  const app = cli.command('app').description('manage apps (OAuth clients)');

  withAppOptions(app.command('create').description('register an app; prints its client_id and, for web apps, its secret')
    .requiredOption('--name <name>', 'app name shown on the consent page'))
    .option('--env', 'print CLIENT_ID=… and CLIENT_SECRET=… lines for a shell (eval "$(gatehouse app create … --env)")')
    .action(async (o: AppOptions) => {
      const created = await withContext(async (ctx) => {
        let ownerId = null;
        if (o.owner !== undefined) {
          const owner = await ctx.storage.findUserByLogin(o.owner);
          if (!owner) throw new CliError(`no user with login ${o.owner}`);
          ownerId = owner.id;
        }
        const made = await adminOf(ctx).createApp(OPERATOR, { ...toInput(o), platforms: platformsInput(o, null), name: o.name!, ownerId, firstParty: !!o.firstParty }, null);
        return { ...made, issuer: ctx.config.issuer };
      });
      warnIncomplete(created.app);
      if (o.env) process.stdout.write(envLines(created.app.clientId, created.clientSecret));
      else print(!!o.json, publicApp(created.app, created.clientSecret, created.issuer), describe(created.app, created.clientSecret, created.issuer));
    });

  withAppOptions(app.command('update').description('change an app; changing scopes revokes its tokens')
    .argument('<client_id>', 'the app to change')
    .option('--name <name>', 'app name'))
    .addOption(new Option('--status <status>', 'active or blocked (blocking revokes its tokens)').choices(['active', 'blocked']))
    .option('--introspects <client_ids>', 'make this app the resource server of these apps: it may introspect their tokens (comma-separated client_ids; "" for none)')
    .action(async (clientId: string, o: AppOptions) => {
      if (!isClientId(clientId)) throw new CliError(`not a client_id (32 hex characters): ${clientId.slice(0, 40)}`);
      const updated = await withContext(async (ctx) => {
        const input = toInput(o);
        const current = await ctx.storage.findApp(clientId as ClientId);
        input.platforms = platformsInput(o, current?.platforms ?? null);
        if (o.owner !== undefined) {
          const owner = await ctx.storage.findUserByLogin(o.owner);
          if (!owner) throw new CliError(`no user with login ${o.owner}`);
          input.ownerId = owner.id;
        }
        const introspects = o.introspects === undefined ? undefined : o.introspects.split(/[\s,]+/).filter(Boolean);
        const changed = await adminOf(ctx).updateApp(OPERATOR, clientId as ClientId, { ...input, firstParty: o.firstParty, introspects }, null);
        return { ...changed, issuer: ctx.config.issuer };
      });
      print(!!o.json, publicApp(updated.app, updated.clientSecret, updated.issuer), describe(updated.app, updated.clientSecret, updated.issuer));
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
    .option('--env', 'print CLIENT_ID=… and CLIENT_SECRET=… lines for a shell')
    .action(async (clientId: string, o: { json?: boolean; env?: boolean }) => {
      if (!isClientId(clientId)) throw new CliError(`not a client_id (32 hex characters): ${clientId.slice(0, 40)}`);
      const secret = await withContext(async (ctx) => {
        return adminOf(ctx).rotateAppSecret(OPERATOR, clientId as ClientId, null);
      });
      if (o.env) process.stdout.write(envLines(clientId, secret));
      else print(!!o.json, { client_id: clientId, client_secret: secret }, `client_secret: ${secret}   (shown once: store it now)`);
    });

  app.command('url').description('print the link that starts a sign-in to the app (the authorization request), to open in a browser')
    .argument('<client_id>', 'the app')
    .option('--redirect-uri <uri>', 'one of the app\'s redirect URIs (default: its first)')
    .option('--scope <scopes>', 'ask for fewer scopes than the app has (space-separated)')
    .option('--state <state>', 'the state to send (default: random)')
    .action(async (clientId: string, o: { redirectUri?: string; scope?: string; state?: string }) => {
      if (!isClientId(clientId)) throw new CliError(`not a client_id (32 hex characters): ${clientId.slice(0, 40)}`);
      const { found, issuer } = await withContext(async (ctx) => ({ found: await ctx.storage.findApp(clientId as ClientId), issuer: ctx.config.issuer }));
      if (!found) throw new CliError(`no app with client_id ${clientId}`);
      if (o.redirectUri !== undefined && !found.redirectUris.includes(o.redirectUri)) {
        throw new CliError(`not a redirect URI of the app: ${o.redirectUri.slice(0, 100)}; registered: ${found.redirectUris.join(' ') || '(none)'}`);
      }
      const redirectUri = o.redirectUri ?? found.redirectUris[0];
      if (redirectUri === undefined) throw new CliError(`the app has no redirect URI: add one with gatehouse app update ${clientId} --redirect-uri https://…/callback`);
      const params = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state: o.state ?? randomHex(8) });
      if (o.scope !== undefined) params.set('scope', o.scope);
      if (found.secretHash === null) {
        // A public app must use PKCE (RFC 7636): the link carries the challenge; the verifier goes to /token with the code.
        const verifier = randomToken(32);
        params.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
        params.set('code_challenge_method', 'S256');
        process.stderr.write(`gatehouse: the app has no secret, so the link uses PKCE: send code_verifier=${verifier} to /token with the code\n`);
      }
      print(false, null, `${issuer}/authorize?${params.toString()}`);
    });
}
