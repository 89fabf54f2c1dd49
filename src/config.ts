/**
 * Every setting Gatehouse reads, with its default and why. Nothing else in the
 * code base reads `process.env`: the server, the CLI and the tests all build a
 * `Config` here (tests pass overrides instead of touching the environment).
 *
 * Sources, later ones winning: built-in defaults, the JSON config file named by
 * `GATEHOUSE_CONFIG` (if any), environment variables, explicit overrides.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { checkOrganisationField, type OrganisationField } from './organisation/organisation.js';

/** proxy-addr's names for address ranges, accepted in GATEHOUSE_TRUST_PROXY besides addresses and CIDRs. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGES.has(entry)) return true;
  const [ip = '', prefix, ...rest] = entry.split('/');
  const family = isIP(ip);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** `true`/`false`, a hop count, or a comma-separated list of addresses and CIDRs, from text or JSON. */
function readTrustProxy(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (/^(false|no|off|0)?$/i.test(text)) return false;
  if (/^(true|yes|on)$/i.test(text)) return true;
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** A GATEHOUSE_ORG_* value, checked as /admin/settings checks it. */
const orgField = (field: OrganisationField) => z.string().transform((value, ctx) => {
  try {
    return checkOrganisationField(field, value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const configSchema = z.object({
  /** Public origin of this server; every endpoint lives under it (docs/protocol.md §2). */
  issuer: z.string().url().transform((s) => s.replace(/\/+$/, '')),
  /** Port the HTTP server listens on. */
  port: z.coerce.number().int().min(0).max(65535),
  /** Interface to bind: loopback by default, `0.0.0.0` to serve a network. */
  host: z.string().min(1),
  /**
   * Which reverse proxies to believe about the client (`X-Forwarded-For`) and
   * the scheme (`X-Forwarded-Proto`): `false` (default) believes nobody, and
   * every request comes from its TCP peer; a comma-separated list of
   * addresses and CIDRs (or `loopback`, `linklocal`, `uniquelocal`) believes
   * those peers only, the safe choice; a number believes that many hops, and
   * `true` every hop — both only safe when nothing but the proxy can reach
   * Gatehouse, since a client connecting directly could then name any address.
   */
  trustProxy: z.preprocess(readTrustProxy, z.union([
    z.boolean(),
    z.number().int().min(0).max(32),
    z.array(z.string().refine(isProxyAddress, { message: 'expected true, false, a hop count, or addresses and CIDRs separated by commas' })).min(1),
  ], { message: 'expected true, false, a hop count, or addresses and CIDRs separated by commas' })),
  /** Directory for the SQLite file and the server's secret key. */
  dataDir: z.string().min(1),
  /** `postgres://…` for PostgreSQL; empty means the embedded SQLite file `<dataDir>/gatehouse.db`. */
  databaseUrl: z.string(),
  /** PostgreSQL connections per process for writes; size so that processes × (this + the read pool) stays under the server's max_connections. */
  databasePoolSize: z.coerce.number().int().min(1).max(1000),
  /**
   * PostgreSQL connections per process kept for token checks and the reads beside them, apart from the pool
   * above: writes waiting on a lock cannot leave them without a connection.
   */
  databaseReadPoolSize: z.coerce.number().int().min(1).max(1000),
  /** Server processes on one port (node:cluster): a count, or `auto` for one per core. */
  workers: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)], { message: 'expected auto or a number of processes from 1 to 256' }),
  /** Default access-token lifetime for new apps: one year, as Yandex ID does (docs/protocol.md §4). */
  accessTokenTtlSeconds: z.coerce.number().int().positive(),
  /** Upper bound operators may put on every app's access-token lifetime. */
  maxAccessTokenTtlSeconds: z.coerce.number().int().positive(),
  /** Refresh-token lifetime: longer than any access token (docs/protocol.md §4). */
  refreshTokenTtlSeconds: z.coerce.number().int().positive(),
  /** Authorization codes live 10 minutes (docs/protocol.md §3). */
  codeTtlSeconds: z.coerce.number().int().positive(),
  /** id_token lifetime; retired signing keys stay published at least this long (docs/protocol.md §2). */
  idTokenTtlSeconds: z.coerce.number().int().positive(),
  /** How long a sign-in lasts without activity (the idle timeout): each request moves the end, at most once a minute. */
  sessionTtlSeconds: z.coerce.number().int().positive(),
  /** How long a sign-in lasts however active (the absolute lifetime): then the password is asked for again. */
  sessionMaxAgeSeconds: z.coerce.number().int().positive(),
  /** Days the audit log keeps an entry; the periodic clean-up deletes older ones. 0 keeps entries for ever. */
  auditRetentionDays: z.coerce.number().int().min(0),
  /**
   * The server key (32 bytes, base64) that seals client secrets and signing
   * keys. Empty: `<dataDir>/secret.key`, created on first start. Several
   * machines sharing one database must share this key.
   */
  secretKey: z.string(),
  /** `debug`, `info`, `warn`, `error` or `silent` (pino levels). */
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  /**
   * Overrides of the guessing and abuse limits (src/oauth/attempts.ts `LIMITS`),
   * e.g. `{"loginPerAccount":{"max":20,"windowMs":3600000}}`.
   */
  limits: z.record(z.string(), z.object({ max: z.number().int().positive(), windowMs: z.number().int().positive() })),
  /** Whether anyone may create an account on /signup. */
  signupEnabled: z.preprocess((v) => (typeof v === 'string' ? !/^(0|false|no|off)$/i.test(v) : v), z.boolean()),
  /**
   * Who may register apps in the developer console (/console): `anyone`, any
   * signed-in user, who becomes a developer on first use (as with Yandex ID,
   * where any account can register apps); `developers`, only users made
   * developers by an operator (`gatehouse user create --developer` or /admin).
   */
  developers: z.enum(['anyone', 'developers']),
  /**
   * Where mail goes: `smtp://user:pass@host:587` (STARTTLS when the server
   * offers it) or `smtps://user:pass@host:465` (TLS from the start). Empty:
   * nothing is sent, and every mail waits in the outbox operators read on
   * /admin/mail, so a fresh install can still be tried end to end.
   */
  smtpUrl: z.string().refine((v) => v === '' || /^smtps?:\/\/[^/?#\s]+/i.test(v), 'must be empty, smtp://… or smtps://…'),
  /** The From of every mail, `Name <address>` or an address. Empty: `Gatehouse <gatehouse@<issuer's host>>`, with the organisation's name once set. */
  mailFrom: z.string().max(200),
  /**
   * Who must sign in with two steps (a password and an authenticator-app code):
   * `off`, nobody is made to; `staff`, operators and developers; `all`, everyone.
   * Those it covers who have no second factor set one up right after their
   * password at their next sign-in.
   */
  requireTwoStep: z.enum(['off', 'staff', 'all']),
  /**
   * Dynamic client registration (RFC 7591) at `POST /register`: `off` (the
   * default), no such endpoint; `token`, with an initial access token an
   * operator issues (`gatehouse registration token`); `open`, anyone may
   * register an app (limited per address). Registered apps are ordinary apps
   * owned by no developer, listed on /admin where operators can block them.
   */
  registration: z.enum(['off', 'token', 'open']),
  /**
   * Whether an app's `jwks_uri` may point into loopback, private or link-local
   * networks (and use plain http). Off: such addresses are refused when the
   * keys are fetched, so an app cannot make Gatehouse call into the network it
   * runs in. For tests and labs only.
   */
  allowPrivateJwksUri: z.preprocess((v) => (typeof v === 'string' ? /^(1|true|yes|on)$/i.test(v) : v), z.boolean()),
  /**
   * The organisation users see instead of "Gatehouse" (docs/operations.md): its name, a
   * logo file (PNG, JPEG, WebP or SVG), a brand colour (#rrggbb), a support contact (an
   * email or web address) and links to its terms and privacy policy. Starting values:
   * what an operator saves on /admin/settings wins over them.
   */
  /**
   * Whether webhook deliveries may go to loopback, private, link-local and
   * other non-public addresses (docs/webhooks.md). Off by default: an endpoint
   * URL, or what its name resolves to at delivery time, must not turn
   * Gatehouse into a way into the network it runs in. Turn on for receivers on
   * the operator's own network.
   */
  webhookAllowPrivate: z.preprocess((v) => (typeof v === 'string' ? /^(1|true|yes|on)$/i.test(v) : v), z.boolean()),
  /** Seconds a webhook endpoint has to answer one delivery before the attempt counts as failed. */
  webhookTimeoutSeconds: z.coerce.number().int().min(1).max(120),
  orgName: orgField('name'),
  orgLogo: z.string(),
  orgColour: orgField('colour'),
  orgSupport: orgField('support'),
  orgTermsUrl: orgField('terms'),
  orgPrivacyUrl: orgField('privacy'),
});

export type Config = z.infer<typeof configSchema> & {
  /** Derived: the issuer is https, so cookies are Secure and `__Host-` prefixed. */
  readonly secureCookies: boolean;
};

export type ConfigInput = Partial<z.input<typeof configSchema>>;

const DAY = 24 * 60 * 60;

function defaults(env: NodeJS.ProcessEnv): z.input<typeof configSchema> {
  // Empty means unset, as for every variable (loadConfig).
  const port = env.GATEHOUSE_PORT || '8080';
  return {
    issuer: `http://localhost:${port}`,
    port,
    host: '127.0.0.1',
    trustProxy: false,
    dataDir: './data',
    databaseUrl: '',
    databasePoolSize: 10,
    databaseReadPoolSize: 4,
    workers: 1,
    accessTokenTtlSeconds: 365 * DAY,
    maxAccessTokenTtlSeconds: 365 * DAY,
    refreshTokenTtlSeconds: 2 * 365 * DAY,
    codeTtlSeconds: 600,
    idTokenTtlSeconds: 3600,
    sessionTtlSeconds: 30 * DAY,
    sessionMaxAgeSeconds: 90 * DAY,
    auditRetentionDays: 365,
    secretKey: '',
    logLevel: 'info',
    signupEnabled: true,
    developers: 'anyone',
    limits: {},
    smtpUrl: '',
    mailFrom: '',
    requireTwoStep: 'off',
    webhookAllowPrivate: false,
    webhookTimeoutSeconds: 15,
    registration: 'off',
    allowPrivateJwksUri: false,
    orgName: '',
    orgLogo: '',
    orgColour: '',
    orgSupport: '',
    orgTermsUrl: '',
    orgPrivacyUrl: '',
  };
}

/** Environment variable for each setting; unset variables leave the default. */
const ENV_NAMES: Record<keyof z.input<typeof configSchema>, string> = {
  issuer: 'GATEHOUSE_ISSUER',
  port: 'GATEHOUSE_PORT',
  host: 'GATEHOUSE_HOST',
  trustProxy: 'GATEHOUSE_TRUST_PROXY',
  dataDir: 'GATEHOUSE_DATA_DIR',
  databaseUrl: 'GATEHOUSE_DATABASE_URL',
  databasePoolSize: 'GATEHOUSE_DATABASE_POOL_SIZE',
  databaseReadPoolSize: 'GATEHOUSE_DATABASE_READ_POOL_SIZE',
  workers: 'GATEHOUSE_WORKERS',
  accessTokenTtlSeconds: 'GATEHOUSE_ACCESS_TOKEN_TTL',
  maxAccessTokenTtlSeconds: 'GATEHOUSE_MAX_ACCESS_TOKEN_TTL',
  refreshTokenTtlSeconds: 'GATEHOUSE_REFRESH_TOKEN_TTL',
  codeTtlSeconds: 'GATEHOUSE_CODE_TTL',
  idTokenTtlSeconds: 'GATEHOUSE_ID_TOKEN_TTL',
  sessionTtlSeconds: 'GATEHOUSE_SESSION_TTL',
  sessionMaxAgeSeconds: 'GATEHOUSE_SESSION_MAX_AGE',
  auditRetentionDays: 'GATEHOUSE_AUDIT_RETENTION',
  secretKey: 'GATEHOUSE_SECRET_KEY',
  logLevel: 'GATEHOUSE_LOG_LEVEL',
  signupEnabled: 'GATEHOUSE_SIGNUP',
  developers: 'GATEHOUSE_DEVELOPERS',
  limits: 'GATEHOUSE_LIMITS',
  smtpUrl: 'GATEHOUSE_SMTP_URL',
  mailFrom: 'GATEHOUSE_MAIL_FROM',
  requireTwoStep: 'GATEHOUSE_REQUIRE_TWO_STEP',
  webhookAllowPrivate: 'GATEHOUSE_WEBHOOK_ALLOW_PRIVATE',
  webhookTimeoutSeconds: 'GATEHOUSE_WEBHOOK_TIMEOUT',
  registration: 'GATEHOUSE_REGISTRATION',
  allowPrivateJwksUri: 'GATEHOUSE_ALLOW_PRIVATE_JWKS_URI',
  orgName: 'GATEHOUSE_ORG_NAME',
  orgLogo: 'GATEHOUSE_ORG_LOGO',
  orgColour: 'GATEHOUSE_ORG_COLOUR',
  orgSupport: 'GATEHOUSE_ORG_SUPPORT',
  orgTermsUrl: 'GATEHOUSE_ORG_TERMS_URL',
  orgPrivacyUrl: 'GATEHOUSE_ORG_PRIVACY_URL',
};

export class ConfigError extends Error {}

function parseJson(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError(`invalid setting ${name}: not JSON`);
  }
}

export function loadConfig(overrides: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const merged: Record<string, unknown> = { ...defaults(env) };
  const file = env.GATEHOUSE_CONFIG;
  if (file) {
    try {
      Object.assign(merged, JSON.parse(readFileSync(file, 'utf8')));
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
  }
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (key === 'limits') merged[key] = parseJson(name, value);
    else merged[key] = value;
  }
  Object.assign(merged, overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    // The default issuer follows GATEHOUSE_PORT: a bad port is reported as itself, not as the issuer built from it.
    const derivedIssuer = merged.issuer === defaults(env).issuer;
    const issue = parsed.error.issues.find((i) => !(derivedIssuer && i.path[0] === 'issuer')) ?? parsed.error.issues[0]!;
    const key = String(issue.path[0]);
    const name = ENV_NAMES[key as keyof typeof ENV_NAMES] ?? key;
    throw new ConfigError(`invalid setting ${name}: ${issue.message}`);
  }
  const config = parsed.data;
  if (config.maxAccessTokenTtlSeconds < config.accessTokenTtlSeconds) config.accessTokenTtlSeconds = config.maxAccessTokenTtlSeconds;
  if (config.refreshTokenTtlSeconds <= config.accessTokenTtlSeconds) {
    throw new ConfigError('invalid setting GATEHOUSE_REFRESH_TOKEN_TTL: refresh tokens must outlive access tokens');
  }
  const mailFrom = config.mailFrom || `Gatehouse <gatehouse@${new URL(config.issuer).hostname}>`;
  return { ...config, mailFrom, dataDir: path.resolve(config.dataDir), secureCookies: config.issuer.startsWith('https:') };
}
