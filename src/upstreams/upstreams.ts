/**
 * The upstreams an operator configures (`gatehouse upstream …`, /admin): one
 * service for both doors, so validation and the audit log are the same
 * wherever the change comes from. Client secrets are sealed with the server
 * key (src/crypto/secret-box.ts), as the apps' own are, and never printed.
 */
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { InputError } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import type { UpstreamKind, UpstreamRecord } from '../storage/upstream-store.js';
import type { Clock } from '../types.js';
import { OIDC_SCOPE, PRESETS } from './presets.js';
import { isLoopbackHttp, type UpstreamSettings } from './upstream-client.js';

export const UPSTREAM_KINDS: readonly UpstreamKind[] = ['oidc', 'yandex', 'github'];

export interface UpstreamInput {
  name?: string | undefined;
  displayName?: string | undefined;
  kind?: UpstreamKind | undefined;
  issuer?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  scope?: string | undefined;
  /** '' removes an override. */
  authorizationEndpoint?: string | undefined;
  tokenEndpoint?: string | undefined;
  userinfoEndpoint?: string | undefined;
  linkVerifiedEmail?: boolean | undefined;
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/;

function validName(name: string): string {
  if (!NAME.test(name)) throw new InputError('an upstream name must be 1–40 lowercase letters, digits or hyphens, starting and ending with a letter or digit');
  return name;
}

function validText(value: string, what: string, max: number): string {
  const v = value.trim();
  if (v === '' || v.length > max || /[\u0000-\u001f\u007f]/.test(v)) throw new InputError(`${what} must be 1–${max} printable characters`);
  return v;
}

/** https, or http to this machine; no fragment, no credentials. */
export function validUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`${what} is not a URL: ${JSON.stringify(value.slice(0, 80))}`);
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(value)) throw new InputError(`${what} must be https (http only to localhost)`);
  if (url.hash || url.username || url.password) throw new InputError(`${what} must have no fragment and no user name`);
  if (value.length > 1000) throw new InputError(`${what} is too long`);
  return value.replace(/\/$/, '') === url.origin ? url.origin : value;
}

function validScope(value: string, kind: UpstreamKind): string {
  const tokens = value.split(/[\s,]+/).filter(Boolean);
  if (tokens.length === 0 || tokens.length > 30 || !tokens.every((t) => SCOPE_TOKEN.test(t))) throw new InputError('the scope must be 1–30 space-separated scope names');
  // An OpenID Connect sign-in is one with `openid` (OIDC Core §3.1.2.1).
  if (kind === 'oidc' && !tokens.includes('openid')) tokens.unshift('openid');
  return [...new Set(tokens)].join(' ');
}

const endpoint = (v: string | undefined, what: string): string | null | undefined => (v === undefined ? undefined : v === '' ? null : validUrl(v, what));

export class Upstreams {
  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly issuer: string,
  ) {}

  /** Where the upstream sends users back: the URI to register with it. */
  redirectUri(name: string): string {
    return `${this.issuer}/upstream/${name}/callback`;
  }

  list(): Promise<UpstreamRecord[]> {
    return this.storage.upstreams.listUpstreams();
  }

  find(name: string): Promise<UpstreamRecord | null> {
    return NAME.test(name) ? this.storage.upstreams.findUpstream(name) : Promise.resolve(null);
  }

  /** The settings a client speaks with: the secret opened, a preset's endpoints under any overrides. */
  settings(u: UpstreamRecord): UpstreamSettings {
    return {
      name: u.name, kind: u.kind, issuer: u.issuer, clientId: u.clientId, clientSecret: this.secrets.open(u.clientSecretSealed), scope: u.scope,
      authorizationEndpoint: u.authorizationEndpoint, tokenEndpoint: u.tokenEndpoint, userinfoEndpoint: u.userinfoEndpoint, updatedAt: u.updatedAt,
    };
  }

  async add(input: UpstreamInput, actor: AuditActor, ip: string | null = null): Promise<UpstreamRecord> {
    const kind = input.kind ?? 'oidc';
    if (!UPSTREAM_KINDS.includes(kind)) throw new InputError(`unknown preset: ${String(kind)}`);
    const name = validName(input.name ?? '');
    const preset = kind === 'oidc' ? null : PRESETS[kind];
    if (!preset && !input.issuer) throw new InputError('--issuer is required for an OpenID Connect upstream');
    if (!input.clientId) throw new InputError('--client-id is required');
    if (!input.clientSecret) throw new InputError('a client secret is required');
    const now = this.clock();
    const record: UpstreamRecord = {
      name,
      displayName: validText(input.displayName ?? preset?.displayName ?? name, 'the display name', 100),
      kind,
      issuer: validUrl(input.issuer ?? preset!.issuer, 'the issuer'),
      clientId: validText(input.clientId, 'the client id', 500),
      clientSecretSealed: this.secrets.seal(validText(input.clientSecret, 'the client secret', 2000)),
      scope: validScope(input.scope ?? preset?.scope ?? OIDC_SCOPE, kind),
      authorizationEndpoint: endpoint(input.authorizationEndpoint, 'the authorization endpoint') ?? null,
      tokenEndpoint: endpoint(input.tokenEndpoint, 'the token endpoint') ?? null,
      userinfoEndpoint: endpoint(input.userinfoEndpoint, 'the userinfo endpoint') ?? null,
      linkVerifiedEmail: input.linkVerifiedEmail ?? false,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.storage.upstreams.createUpstream(record))) throw new InputError(`an upstream named ${name} exists`);
    await this.audit.record({ action: 'upstream_added', actor, ip, details: { upstream: name, kind, issuer: record.issuer, linkVerifiedEmail: record.linkVerifiedEmail } });
    return record;
  }

  async update(name: string, input: UpstreamInput, actor: AuditActor, ip: string | null = null): Promise<UpstreamRecord> {
    const current = await this.find(name);
    if (!current) throw new InputError(`no upstream named ${JSON.stringify(name.slice(0, 40))}`);
    const patch: Partial<UpstreamRecord> = { updatedAt: this.clock() };
    if (input.displayName !== undefined) patch.displayName = validText(input.displayName, 'the display name', 100);
    if (input.issuer !== undefined) patch.issuer = validUrl(input.issuer, 'the issuer');
    if (input.clientId !== undefined) patch.clientId = validText(input.clientId, 'the client id', 500);
    if (input.clientSecret !== undefined) patch.clientSecretSealed = this.secrets.seal(validText(input.clientSecret, 'the client secret', 2000));
    if (input.scope !== undefined) patch.scope = validScope(input.scope, current.kind);
    const a = endpoint(input.authorizationEndpoint, 'the authorization endpoint');
    const t = endpoint(input.tokenEndpoint, 'the token endpoint');
    const i = endpoint(input.userinfoEndpoint, 'the userinfo endpoint');
    if (a !== undefined) patch.authorizationEndpoint = a;
    if (t !== undefined) patch.tokenEndpoint = t;
    if (i !== undefined) patch.userinfoEndpoint = i;
    if (input.linkVerifiedEmail !== undefined) patch.linkVerifiedEmail = input.linkVerifiedEmail;
    await this.storage.upstreams.updateUpstream(name, patch);
    const fields = Object.keys(patch).filter((k) => k !== 'updatedAt').map((k) => (k === 'clientSecretSealed' ? 'clientSecret' : k));
    await this.audit.record({ action: 'upstream_updated', actor, ip, details: { upstream: name, fields, ...(patch.linkVerifiedEmail !== undefined ? { linkVerifiedEmail: patch.linkVerifiedEmail } : {}) } });
    return (await this.find(name))!;
  }

  /** Removes the upstream and every identity linked through it; accounts stay (with their other ways to sign in). */
  async remove(name: string, actor: AuditActor, ip: string | null = null): Promise<void> {
    if (!NAME.test(name) || !(await this.storage.upstreams.deleteUpstream(name))) throw new InputError(`no upstream named ${JSON.stringify(name.slice(0, 40))}`);
    await this.audit.record({ action: 'upstream_removed', actor, ip, details: { upstream: name } });
  }

  /** The upstream as the CLI's --json and /admin show it: never the secret. */
  publicView(u: UpstreamRecord) {
    return {
      name: u.name,
      display_name: u.displayName,
      preset: u.kind === 'oidc' ? null : u.kind,
      kind: u.kind,
      issuer: u.issuer,
      client_id: u.clientId,
      scope: u.scope,
      authorization_endpoint: u.authorizationEndpoint,
      token_endpoint: u.tokenEndpoint,
      userinfo_endpoint: u.userinfoEndpoint,
      link_verified_email: u.linkVerifiedEmail,
      redirect_uri: this.redirectUri(u.name),
      created_at: new Date(u.createdAt).toISOString(),
      updated_at: new Date(u.updatedAt).toISOString(),
    };
  }
}
