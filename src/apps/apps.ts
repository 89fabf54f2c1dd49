/** Registering and changing apps (OAuth clients, docs/protocol.md §1). */
import { randomHex, sha256Hex, constantTimeEqual } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { InputError } from '../errors.js';
import { isKnownScope, SCOPE_CATALOGUE } from '../oauth/scopes.js';
import type { AppBlocker, AppPatch, AppRecord, AppStatus, IdTokenAlg, Platform, PlatformType, Storage } from '../storage/storage.js';
import type { ClientId, Clock, UserId } from '../types.js';
import { endAppAccess } from '../accounts/revocation.js';
import { isConfidential, validatePlatform } from './platforms.js';
import { validateOrigin, validateRedirectUri } from './redirect-uris.js';

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

export function isClientId(value: string): value is ClientId {
  return CLIENT_ID.test(value);
}

export function checkClientSecret(app: AppRecord, secret: string): boolean {
  return app.secretHash !== null && constantTimeEqual(sha256Hex(secret), app.secretHash);
}

function validateScopes(scopes: string[], what: string): string[] {
  const unique = [...new Set(scopes.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean))];
  for (const s of unique) if (!isKnownScope(s)) throw new InputError(`unknown ${what}: ${s.slice(0, 60)}; known: ${SCOPE_CATALOGUE.map((d) => d.name).join(' ')}`);
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
    private readonly limits: { defaultTtlSeconds: number; maxTtlSeconds: number },
  ) {}

  private newSecret(): { clientSecret: string; secretHash: AppRecord['secretHash']; secretSealed: string } {
    const clientSecret = randomHex(32); // 256 bits (docs/protocol.md §1)
    return { clientSecret, secretHash: sha256Hex(clientSecret), secretSealed: this.secrets.seal(clientSecret) };
  }

  private validate(input: AppInput, current?: AppRecord): Omit<AppPatch, 'updatedAt'> {
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
    if (input.scopes !== undefined) patch.scopes = validateScopes(input.scopes, 'scope');
    if (input.optionalScopes !== undefined) patch.optionalScopes = validateScopes(input.optionalScopes, 'optional scope');
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
    return patch;
  }

  async create(input: AppInput & { name: string }): Promise<CreatedApp> {
    const patch = this.validate({ platforms: ['web'], ...input });
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
  async update(clientId: ClientId, input: AppInput): Promise<CreatedApp> {
    const current = await this.storage.findApp(clientId);
    if (!current) throw new InputError(`no app with client_id ${clientId}`);
    const patch: AppPatch = { ...this.validate(input, current), updatedAt: this.clock() };
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
