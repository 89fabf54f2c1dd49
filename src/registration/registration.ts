/**
 * Dynamic client registration (RFC 7591) and its management protocol
 * (RFC 7592), free of HTTP:
 *
 * - who may register depends on `GATEHOUSE_REGISTRATION`: `open`, anyone;
 *   `token`, whoever holds an initial access token an operator issued
 *   (`gatehouse registration token`), stored as a SHA-256 hash, with an
 *   expiry and a number of uses; `off`, nobody. Registrations are limited per
 *   network either way (`registrationPerAddress`).
 * - a registered app is an ordinary app (src/apps/apps.ts validates it as it
 *   validates the console's), owned by no developer, listed on /admin as
 *   "registered", blockable there like any app.
 * - it gets a registration access token (shown once, stored as a hash) with
 *   which, at its `registration_client_uri`, it reads (GET), replaces (PUT)
 *   and deletes (DELETE) its own registration and nothing else.
 */
import { endAppAccess } from '../accounts/revocation.js';
import type { Apps } from '../apps/apps.js';
import type { AuditLog } from '../audit/audit-log.js';
import { constantTimeEqual, randomToken, sha256Hex } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { InputError } from '../errors.js';
import { recordFailure, sourceAddress, TooManyAttempts, type Limit } from '../oauth/attempts.js';
import { InvalidClientMetadata, InvalidRedirectUri, InvalidToken, OAuthError } from '../oauth/errors.js';
import type { InitialAccessTokenRecord } from '../storage/client-store.js';
import type { AppRecord, Storage } from '../storage/storage.js';
import type { ClientId, Clock } from '../types.js';
import { describeApp, readMetadata, usesSecret } from './metadata.js';

export const REGISTRATION_TOKEN_PREFIX = 'gate_rat_';
export const INITIAL_ACCESS_TOKEN_PREFIX = 'gate_iat_';

export type RegistrationMode = 'off' | 'token' | 'open';

/** Registration is off: the endpoint does not exist. */
export class RegistrationOff extends OAuthError {
  constructor() {
    super('not_found', 'client registration is not enabled on this server', 404);
  }
}

/** Apps' validation in RFC 7591's words: a redirect URI's problem, or the metadata's (the validator's sentence up to any value it quotes). */
function asMetadataError(err: unknown): unknown {
  if (!(err instanceof InputError)) return err;
  const description = err.message.split(/: |; /)[0]!;
  return /redirect URI/.test(err.message) ? new InvalidRedirectUri(description) : new InvalidClientMetadata(description);
}

export class Registrations {
  constructor(
    private readonly storage: Storage,
    private readonly apps: Apps,
    private readonly secrets: SecretBox,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly options: { issuer: string; mode: RegistrationMode; limit: Limit },
  ) {}

  get mode(): RegistrationMode {
    return this.options.mode;
  }

  /** The address an app manages its registration at (RFC 7592 §1). */
  clientUri(clientId: string): string {
    return `${this.options.issuer}/register/${clientId}`;
  }

  /** A new initial access token for the operator to hand out; shown once. */
  async issueInitialAccessToken(o: { ttlSeconds: number; maxUses: number; label: string }): Promise<{ token: string; record: InitialAccessTokenRecord }> {
    if (!Number.isInteger(o.ttlSeconds) || o.ttlSeconds < 60 || o.ttlSeconds > 366 * 86400) throw new InputError('the token must live from 1 minute to 366 days');
    if (!Number.isInteger(o.maxUses) || o.maxUses < 1 || o.maxUses > 10_000) throw new InputError('the token may register 1 to 10000 apps');
    if (o.label.length > 200) throw new InputError('the label may have at most 200 characters');
    const token = INITIAL_ACCESS_TOKEN_PREFIX + randomToken(32);
    const now = this.clock();
    const record: InitialAccessTokenRecord = { hash: sha256Hex(token), label: o.label, maxUses: o.maxUses, uses: 0, createdAt: now, expiresAt: now + o.ttlSeconds * 1000 };
    await this.storage.clients.createInitialAccessToken(record);
    await this.audit.record({ action: 'registration_token_issued', actor: { type: 'operator' }, details: { label: o.label, uses: o.maxUses, expires: new Date(record.expiresAt).toISOString() } });
    return { token, record };
  }

  /**
   * RFC 7591 §3: registers an app. `initialAccessToken` is the bearer token of
   * the request, if any. Returns the client information response (§3.2.1).
   */
  async register(body: unknown, meta: { ip: string; initialAccessToken: string | null }): Promise<Record<string, unknown>> {
    const mode = this.options.mode;
    if (mode === 'off') throw new RegistrationOff();
    const count = await recordFailure(this.storage, this.clock, `register:ip:${sourceAddress(meta.ip)}`, this.options.limit);
    if (count > this.options.limit.max) throw new TooManyAttempts('too many registrations from this network: try again later');
    if (mode === 'token') {
      const token = meta.initialAccessToken;
      if (token === null) throw new InvalidToken('registration on this server needs an initial access token from its operator');
      if (token.length > 200 || !(await this.storage.clients.useInitialAccessToken(sha256Hex(token), this.clock()))) {
        throw new InvalidToken('the initial access token is unknown, expired or used up');
      }
    }
    const { input } = readMetadata(body);
    const registrationToken = REGISTRATION_TOKEN_PREFIX + randomToken(32);
    const { created, app } = await this.storage.atomically(async () => {
      const made = await this.apps.create({ ...input, ownerId: null }).catch((err: unknown) => { throw asMetadataError(err); });
      await this.storage.updateApp(made.app.clientId, { registrationTokenHash: sha256Hex(registrationToken), updatedAt: this.clock() });
      const registered = { ...made.app, registrationTokenHash: sha256Hex(registrationToken) };
      await this.audit.record({
        action: 'app_registered', actor: { type: 'anonymous' }, clientId: registered.clientId, ip: meta.ip,
        details: { name: registered.name, method: registered.tokenEndpointAuthMethod, platform: registered.platforms[0]?.type, mode },
      });
      return { created: made, app: registered };
    });
    return {
      ...describeApp(app),
      ...this.secretOf(app, created.clientSecret),
      registration_access_token: registrationToken,
      registration_client_uri: this.clientUri(app.clientId),
    };
  }

  /** RFC 7592 §2: the app the registration access token belongs to, or `invalid_token` (401) — also for another app's token. */
  async authorize(clientId: string, token: string | null): Promise<AppRecord> {
    const fail = () => new InvalidToken('the registration access token is not valid for this client');
    if (token === null || token.length > 200 || !/^[0-9a-f]{32}$/.test(clientId)) throw fail();
    const app = await this.storage.findApp(clientId as ClientId);
    if (!app || app.registrationTokenHash === null || !constantTimeEqual(sha256Hex(token), app.registrationTokenHash)) throw fail();
    return app;
  }

  /** RFC 7592 §2.1. */
  async read(clientId: string, token: string | null): Promise<Record<string, unknown>> {
    const app = await this.authorize(clientId, token);
    return { ...describeApp(app), ...this.secretOf(app, null), registration_client_uri: this.clientUri(app.clientId) };
  }

  /**
   * RFC 7592 §2.2: the metadata sent replaces the registration; fields left
   * out take their defaults. `client_id` must be the app's; a `client_secret`
   * sent must be its secret. A blocked app may not change itself.
   */
  async update(clientId: string, token: string | null, body: unknown, ip: string): Promise<Record<string, unknown>> {
    const app = await this.authorize(clientId, token);
    const m = (body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null || m.client_id !== app.clientId) throw new InvalidClientMetadata('client_id must be sent and be this client\'s');
    if (m.client_secret !== undefined && (typeof m.client_secret !== 'string' || app.secretHash === null || !constantTimeEqual(sha256Hex(m.client_secret), app.secretHash))) {
      throw new InvalidClientMetadata('client_secret is not this client\'s secret');
    }
    if (app.status === 'blocked') throw new OAuthError('unauthorized_client', 'an operator blocked this app: it cannot change its registration', 403);
    const { input } = readMetadata(body);
    const changed = await this.storage.atomically(async () => {
      const done = await this.apps.update(app.clientId, { ...input, jwks: input.jwks ?? null, jwksUri: input.jwksUri ?? null })
        .catch((err: unknown) => { throw asMetadataError(err); });
      await this.audit.record({ action: 'app_updated', actor: { type: 'app', id: app.clientId }, clientId: app.clientId, ip, details: { registration: true } });
      return done;
    });
    return { ...describeApp(changed.app), ...this.secretOf(changed.app, changed.clientSecret), registration_client_uri: this.clientUri(app.clientId) };
  }

  /** RFC 7592 §2.3: the app goes, and every token and grant with it. */
  async delete(clientId: string, token: string | null, ip: string): Promise<void> {
    const app = await this.authorize(clientId, token);
    await this.storage.atomically(async () => {
      await endAppAccess(this.storage, this.clock(), app.clientId);
      await this.storage.deleteApp(app.clientId);
      await this.audit.record({ action: 'app_deleted', actor: { type: 'app', id: app.clientId }, clientId: app.clientId, ip, details: { name: app.name, registration: true } });
    });
  }

  /** The secret, for a client that authenticates with it: the new one, or the stored one opened with the server key. */
  private secretOf(app: AppRecord, fresh: string | null): Record<string, unknown> {
    if (!usesSecret(app.tokenEndpointAuthMethod)) return {};
    const secret = fresh ?? (app.secretSealed ? this.secrets.open(app.secretSealed) : null);
    return secret === null ? {} : { client_secret: secret, client_secret_expires_at: 0 };
  }
}
