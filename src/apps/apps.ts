/** Registering and changing apps (OAuth clients, docs/protocol.md §1). */
import { randomHex, sha256Hex, constantTimeEqual } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { InputError } from '../errors.js';
import { isKnownScope, isManagementScope, SCOPE_CATALOGUE } from '../oauth/scopes.js';
import type { AppBlocker, AppPatch, AppRecord, AppStatus, IdTokenAlg, Platform, PlatformType, Storage, TokenEndpointAuthMethod } from '../storage/storage.js';
import type { ClientId, Clock, UserId } from '../types.js';
import { endAppAccess } from '../accounts/revocation.js';
import { isConfidential, validatePlatform } from './platforms.js';
import { validateOrigin, validateRedirectUri } from './redirect-uris.js';
import { AUTH_METHODS, isAuthMethod, validateJwks, validateJwksUri } from './client-keys.js';

export { isConfidential, PLATFORM_TYPES } from './platforms.js';

export interface AppInput {
  name?: string | undefined;
  description?: string | undefined;
  redirectUris?: string[] | undefined;
  scopes?: string[] | undefined;
  optionalScopes?: string[] | undefined;
  /** A bare type keeps the fields the app already has for it; an object replaces them (docs/protocol.md §9). */
  platforms?: (PlatformType | Platform)[] | undefined;
  suggestHostnames?: string[] | undefined;
  ownerId?: UserId | null | undefined;
  accessTokenTtlSeconds?: number | undefined;
  idTokenAlg?: IdTokenAlg | undefined;
  requireTwoStep?: boolean | undefined;
  /** Tokens only bound to a DPoP key (RFC 9449). */
  requireDpop?: boolean | undefined;
  /** Authorization requests only through /par (RFC 9126). */
  requirePar?: boolean | undefined;
  postLogoutRedirectUris?: string[] | undefined;
  /**
   * How the app authenticates (RFC 7591 §2): a confidential app by its secret
   * (`client_secret_basic`, the default, or `client_secret_post`), by an HMAC
   * assertion made with it (`client_secret_jwt`) or by an assertion signed with
   * its own key (`private_key_jwt`); public apps by `none` only.
   */
  tokenEndpointAuthMethod?: string | undefined;
  /** Its public keys for `private_key_jwt`: a JWK Set (JSON text or parsed); null removes them. */
  jwks?: unknown;
  /** Or the https address they are published at; null removes it. */
  jwksUri?: string | null | undefined;
  /**
   * An operator's decision (the CLI's `--status`): `blocked` blocks as an
   * operator, `active` lifts any block. Owners go through `block`/`unblock`.
   */
  status?: AppStatus | undefined;
}

export interface CreatedApp {
  app: AppRecord;
  /** Shown once; only its hash and a sealed copy are stored. Null for public clients. */
  clientSecret: string | null;
}

const CLIENT_ID = /^[0-9a-f]{32}$/;

/** Where app icons are served: `/icons/{id}` (routes/pictures.ts). */
export const ICON_PATH = '/icons/';

export function isClientId(value: string): value is ClientId {
  return CLIENT_ID.test(value);
}

export function checkClientSecret(app: AppRecord, secret: string): boolean {
  return app.secretHash !== null && constantTimeEqual(sha256Hex(secret), app.secretHash);
}

/**
 * Who changes an app: an operator (the CLI, /admin, the management API) or its
 * owner (/console). Only an operator may give an app management scopes.
 */
export type AppEditor = 'operator' | 'owner';

/** `held`: the app's scopes now; an owner may keep a management scope an operator gave, not add one. */
function validateScopes(scopes: string[], what: string, by: AppEditor, held: readonly string[] = []): string[] {
  const unique = [...new Set(scopes.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean))];
  for (const s of unique) {
    if (isManagementScope(s)) {
      if (by !== 'operator' && !held.includes(s)) throw new InputError(`only an operator can give an app the scope ${s}`);
      continue;
    }
    if (!isKnownScope(s)) throw new InputError(`unknown ${what}: ${s.slice(0, 60)}; known: ${SCOPE_CATALOGUE.map((d) => d.name).join(' ')}`);
  }
  return unique;
}

/** The owner tried to lift an operator's block. */
export class OperatorBlockError extends InputError {
  constructor() {
    super('an operator blocked this app; only an operator can unblock it');
  }
}

export class Apps {
  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    private readonly limits: { defaultTtlSeconds: number; maxTtlSeconds: number; allowPrivateJwksUri?: boolean },
  ) {}

  private newSecret(): { clientSecret: string; secretHash: AppRecord['secretHash']; secretSealed: string } {
    const clientSecret = randomHex(32); // 256 bits (docs/protocol.md §1)
    return { clientSecret, secretHash: sha256Hex(clientSecret), secretSealed: this.secrets.seal(clientSecret) };
  }

  private async validate(input: AppInput, by: AppEditor, current?: AppRecord): Promise<Omit<AppPatch, 'updatedAt'>> {
    const patch: AppPatch = {};
    if (input.name !== undefined) {
      const name = input.name.trim();
      if (name.length < 1 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) throw new InputError('app name must be 1–100 printable characters');
      patch.name = name;
    }
    if (input.description !== undefined) {
      if (input.description.length > 2000) throw new InputError('description must be at most 2000 characters');
      patch.description = input.description;
    }
    if (input.redirectUris !== undefined) {
      if (input.redirectUris.length > 50) throw new InputError('at most 50 redirect URIs');
      patch.redirectUris = [...new Set(input.redirectUris.map(validateRedirectUri))];
    }
    if (input.suggestHostnames !== undefined) patch.suggestHostnames = [...new Set(input.suggestHostnames.map(validateOrigin))];
    if (input.scopes !== undefined) patch.scopes = validateScopes(input.scopes, 'scope', by, current?.scopes);
    if (input.optionalScopes !== undefined) patch.optionalScopes = validateScopes(input.optionalScopes, 'optional scope', by);
    if (patch.optionalScopes?.some(isManagementScope)) throw new InputError('management scopes cannot be optional: the app holds them or not');
    const scopes = patch.scopes ?? current?.scopes ?? [];
    if (patch.optionalScopes) patch.optionalScopes = patch.optionalScopes.filter((s) => !scopes.includes(s));
    if (input.platforms !== undefined) {
      const kept = current?.platforms ?? [];
      const platforms = new Map<PlatformType, Platform>();
      for (const p of input.platforms) {
        const given = typeof p === 'string' ? (kept.find((k) => k.type === p) ?? { type: p }) : p;
        if (platforms.has(given.type)) {
          if (typeof p === 'string') continue;
          throw new InputError(`platform ${given.type} is given twice`);
        }
        platforms.set(given.type, validatePlatform(given));
      }
      patch.platforms = [...platforms.values()];
    }
    if (input.accessTokenTtlSeconds !== undefined) {
      const ttl = input.accessTokenTtlSeconds;
      if (!Number.isInteger(ttl) || ttl < 60 || ttl > this.limits.maxTtlSeconds) {
        throw new InputError(`token lifetime must be a whole number of seconds between 60 and ${this.limits.maxTtlSeconds}`);
      }
      patch.accessTokenTtlSeconds = ttl;
    }
    if (input.idTokenAlg !== undefined) {
      if (input.idTokenAlg !== 'ES256' && input.idTokenAlg !== 'RS256') throw new InputError('id_token algorithm must be ES256 or RS256');
      patch.idTokenAlg = input.idTokenAlg;
    }
    if (input.requireTwoStep !== undefined) patch.requireTwoStep = input.requireTwoStep;
    if (input.requireDpop !== undefined) patch.requireDpop = input.requireDpop;
    if (input.requirePar !== undefined) patch.requirePar = input.requirePar;
    if (input.postLogoutRedirectUris !== undefined) {
      if (input.postLogoutRedirectUris.length > 50) throw new InputError('at most 50 post-logout redirect URIs');
      patch.postLogoutRedirectUris = [...new Set(input.postLogoutRedirectUris.map(validateRedirectUri))];
    }
    // A browser app's pages are web pages: its redirect URIs are https (http on localhost), never a custom scheme.
    const platformsNow = patch.platforms ?? current?.platforms ?? [];
    if (platformsNow.some((p) => p.type === 'spa')) {
      const bad = (patch.redirectUris ?? current?.redirectUris ?? []).find((u) => !/^https?:\/\//.test(u));
      if (bad !== undefined) throw new InputError(`a browser app's redirect URIs must be https (http only on localhost): ${bad.slice(0, 200)}`);
    }
    if (input.status === 'pending') patch.status = input.status;
    if (input.ownerId !== undefined) patch.ownerId = input.ownerId;
    await this.validateClientAuth(input, patch, current);
    return patch;
  }

  /**
   * The method and keys, judged against what the app is after the change: a
   * public app uses `none`; a confidential one any other method, the default
   * `client_secret_basic`; `private_key_jwt` needs keys, inline or by address,
   * never both (RFC 7591 §2).
   */
  private async validateClientAuth(input: AppInput, patch: AppPatch, current?: AppRecord): Promise<void> {
    if (input.jwks !== undefined) patch.jwks = input.jwks === null || input.jwks === '' ? null : await validateJwks(input.jwks);
    if (input.jwksUri !== undefined) patch.jwksUri = input.jwksUri === null || input.jwksUri === '' ? null : validateJwksUri(input.jwksUri, this.limits.allowPrivateJwksUri ?? false);
    const platforms = patch.platforms ?? current?.platforms ?? [{ type: 'web' }];
    const confidential = isConfidential(platforms);
    let method: TokenEndpointAuthMethod;
    if (input.tokenEndpointAuthMethod !== undefined) {
      if (!isAuthMethod(input.tokenEndpointAuthMethod)) throw new InputError(`unknown token_endpoint_auth_method; known: ${AUTH_METHODS.join(' ')}`);
      method = input.tokenEndpointAuthMethod;
      if (!confidential && method !== 'none') throw new InputError('apps without the web platform are public clients: their token_endpoint_auth_method is none');
      if (confidential && method === 'none') throw new InputError('web apps are confidential clients: they authenticate with their secret or their keys, not none');
    } else {
      const kept = current?.tokenEndpointAuthMethod;
      method = !confidential ? 'none' : kept === undefined || kept === 'none' ? 'client_secret_basic' : kept;
    }
    if (method !== current?.tokenEndpointAuthMethod) patch.tokenEndpointAuthMethod = method;
    const jwks = patch.jwks !== undefined ? patch.jwks : (current?.jwks ?? null);
    const jwksUri = patch.jwksUri !== undefined ? patch.jwksUri : (current?.jwksUri ?? null);
    if (jwks !== null && jwksUri !== null) throw new InputError('give the keys either inline (jwks) or by address (jwks_uri), not both');
    if (method === 'private_key_jwt' && jwks === null && jwksUri === null) throw new InputError('private_key_jwt needs the app\'s public keys: jwks or jwks_uri');
  }

  /** `by`: owner for /console, operator for the CLI and the management API (AppEditor). */
  async create(input: AppInput & { name: string }, by: AppEditor = 'owner'): Promise<CreatedApp> {
    const patch = await this.validate({ platforms: ['web'], ...input }, by);
    const platforms = patch.platforms ?? [{ type: 'web' }];
    const secret = isConfidential(platforms) ? this.newSecret() : null;
    const now = this.clock();
    const app: AppRecord = {
      clientId: randomHex(16) as ClientId,
      secretHash: secret?.secretHash ?? null,
      secretSealed: secret?.secretSealed ?? null,
      name: patch.name!,
      description: patch.description ?? '',
      iconUrl: null,
      ownerId: patch.ownerId ?? null,
      platforms,
      redirectUris: patch.redirectUris ?? [],
      suggestHostnames: patch.suggestHostnames ?? [],
      scopes: patch.scopes ?? [],
      optionalScopes: patch.optionalScopes ?? [],
      accessTokenTtlSeconds: patch.accessTokenTtlSeconds ?? this.limits.defaultTtlSeconds,
      idTokenAlg: patch.idTokenAlg ?? 'ES256',
      requireTwoStep: patch.requireTwoStep ?? false,
      postLogoutRedirectUris: patch.postLogoutRedirectUris ?? [],
      introspects: [],
      status: input.status ?? 'active',
      blockedBy: input.status === 'blocked' ? 'operator' : null,
      firstParty: false,
      tokenEndpointAuthMethod: patch.tokenEndpointAuthMethod ?? (secret ? 'client_secret_basic' : 'none'),
      jwks: patch.jwks ?? null,
      jwksUri: patch.jwksUri ?? null,
      registrationTokenHash: null,
      requireDpop: patch.requireDpop ?? false,
      requirePar: patch.requirePar ?? false,
      createdAt: now,
      updatedAt: now,
    };
    await this.storage.createApp(app);
    return { app, clientSecret: secret?.clientSecret ?? null };
  }

  /**
   * Changes an app. Changing its scopes revokes every token issued to it: the
   * users consented to something else (docs/protocol.md §1). Becoming confidential creates
   * a secret (returned); becoming public drops it.
   */
  async update(clientId: ClientId, input: AppInput, by: AppEditor = 'owner'): Promise<CreatedApp> {
    const current = await this.storage.findApp(clientId);
    if (!current) throw new InputError(`no app with client_id ${clientId}`);
    const patch: AppPatch = { ...(await this.validate(input, by, current)), updatedAt: this.clock() };
    let clientSecret: string | null = null;
    if (patch.platforms) {
      const confidential = isConfidential(patch.platforms);
      if (confidential && current.secretHash === null) {
        const secret = this.newSecret();
        clientSecret = secret.clientSecret;
        Object.assign(patch, { secretHash: secret.secretHash, secretSealed: secret.secretSealed });
      } else if (!confidential && current.secretHash !== null) {
        Object.assign(patch, { secretHash: null, secretSealed: null });
      }
    }
    const scopesChanged =
      (patch.scopes && !sameSet(patch.scopes, current.scopes)) ||
      (patch.optionalScopes && !sameSet(patch.optionalScopes, current.optionalScopes));
    await this.storage.updateApp(clientId, patch);
    if (scopesChanged) await endAppAccess(this.storage, this.clock(), clientId);
    if (input.status === 'blocked') await this.block(clientId, 'operator');
    if (input.status === 'active') await this.unblock(clientId, 'operator');
    const app = (await this.storage.findApp(clientId))!;
    return { app, clientSecret };
  }

  /**
   * Blocks the app as its owner or an operator and revokes every token it
   * had. Who blocked is stored on the app: an operator's block stays an
   * operator's when the owner blocks too.
   */
  async block(clientId: ClientId, by: AppBlocker): Promise<void> {
    const now = this.clock();
    await this.storage.blockApp(clientId, by, now);
    await endAppAccess(this.storage, now, clientId);
  }

  /**
   * Lifts a block: an operator lifts any; the owner only their own, decided
   * from who blocked as stored on the app (whatever the owner did since), in
   * the same statement that lifts it, so every door obeys the same rule.
   */
  async unblock(clientId: ClientId, by: AppBlocker): Promise<void> {
    if (!(await this.storage.unblockApp(clientId, by, this.clock()))) throw new OperatorBlockError();
  }

  /**
   * Marks the app first-party or takes the mark away: an operator's decision
   * (the CLI and /admin), never the developer console's. Only first-party apps
   * are listed in the issuer host's app-link files and `webcredentials`.
   */
  async setFirstParty(clientId: ClientId, firstParty: boolean): Promise<AppRecord> {
    const current = await this.storage.findApp(clientId);
    if (!current) throw new InputError(`no app with client_id ${clientId}`);
    await this.storage.updateApp(clientId, { firstParty, updatedAt: this.clock() });
    return (await this.storage.findApp(clientId))!;
  }

  /**
   * Makes an app the resource server of others: it may introspect their
   * tokens (RFC 7662 §4), which otherwise only their own app may. For
   * operators only (the CLI): no AppInput carries it, so neither /console nor
   * an app's owner can set it. An empty list withdraws it.
   */
  async setIntrospection(clientId: ClientId, targets: readonly string[]): Promise<AppRecord> {
    const current = await this.storage.findApp(clientId);
    if (!current) throw new InputError(`no app with client_id ${clientId}`);
    const introspects: ClientId[] = [];
    for (const target of new Set(targets)) {
      if (!isClientId(target)) throw new InputError(`not a client_id (32 hex characters): ${target.slice(0, 40)}`);
      // An app always introspects its own tokens.
      if (target === clientId) continue;
      if (!(await this.storage.findApp(target))) throw new InputError(`no app with client_id ${target}`);
      introspects.push(target);
    }
    await this.storage.updateApp(clientId, { introspects, updatedAt: this.clock() });
    return (await this.storage.findApp(clientId))!;
  }

  /**
   * Deletes the app: its tokens, codes and consents end, and an uploaded icon
   * goes with it. Who may (the owner on /console, an operator) is the caller's rule.
   */
  async delete(app: AppRecord): Promise<void> {
    await endAppAccess(this.storage, this.clock(), app.clientId);
    await this.storage.deleteApp(app.clientId);
    await this.dropIcon(app);
  }

  /** Deletes an icon uploaded to Gatehouse (`/icons/{id}`, routes/pictures.ts); an outside URL is left alone. */
  async dropIcon(app: AppRecord): Promise<void> {
    if (app.iconUrl?.startsWith(ICON_PATH)) await this.storage.deleteImages(app.iconUrl.slice(ICON_PATH.length));
  }

  /** A new secret; the old one stops working at once. */
  async rotateSecret(clientId: ClientId): Promise<string> {
    const current = await this.storage.findApp(clientId);
    if (!current) throw new InputError(`no app with client_id ${clientId}`);
    if (!isConfidential(current.platforms)) throw new InputError('public apps have no client secret');
    const secret = this.newSecret();
    await this.storage.updateApp(clientId, { secretHash: secret.secretHash, secretSealed: secret.secretSealed, updatedAt: this.clock() });
    return secret.clientSecret;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
