/**
 * The scope catalogue (docs/protocol.md §1): which permissions exist, what they are called
 * in plain words on the consent page, and what they unlock.
 */
import type { AppRecord } from '../storage/storage.js';
import { InvalidScope } from './errors.js';

export interface ScopeDefinition {
  readonly name: string;
  /** Shown on the consent page as "<app> wants to: <label>". */
  readonly label: string;
}

export const SCOPE_CATALOGUE: readonly ScopeDefinition[] = [
  { name: 'login:info', label: 'See your name, display name and sex' },
  { name: 'login:email', label: 'See your email addresses' },
  { name: 'login:avatar', label: 'See your profile picture' },
  { name: 'login:birthday', label: 'See your date of birth' },
  { name: 'login:default_phone', label: 'See your phone number' },
  { name: 'openid', label: 'Sign you in with your Gatehouse account' },
  { name: 'profile', label: 'See your name, profile picture and birthday' },
  { name: 'email', label: 'See your email address' },
  { name: 'phone', label: 'See your phone number' },
];

const BY_NAME = new Map(SCOPE_CATALOGUE.map((s) => [s.name, s]));

/**
 * Scopes of the management API (/api/v1, docs/management-api.md): permissions
 * over Gatehouse itself, not over a user's data. Only an operator grants them
 * (the CLI, the API), to apps made for automation, which use them with
 * `client_credentials`. They are never asked for at /authorize or the device
 * flow, never consented to by users, and /console cannot give them.
 * `gatehouse:admin` holds every other; a `…:write` scope holds its `…:read`.
 */
export const MANAGEMENT_SCOPES = [
  'gatehouse:admin',
  'gatehouse:users:read', 'gatehouse:users:write',
  'gatehouse:apps:read', 'gatehouse:apps:write',
  'gatehouse:tokens:read', 'gatehouse:tokens:write',
  'gatehouse:consents:read', 'gatehouse:consents:write',
  'gatehouse:keys:read', 'gatehouse:keys:write',
  'gatehouse:audit:read',
  'gatehouse:webhooks:read', 'gatehouse:webhooks:write',
] as const;

export type ManagementScope = (typeof MANAGEMENT_SCOPES)[number];

export function isManagementScope(name: string): name is ManagementScope {
  return (MANAGEMENT_SCOPES as readonly string[]).includes(name);
}

/** Whether scopes a token holds allow a call that needs `needed`. */
export function managementScopeHeld(held: readonly string[], needed: ManagementScope): boolean {
  if (held.includes('gatehouse:admin') || held.includes(needed)) return true;
  return needed.endsWith(':read') && held.includes(needed.replace(/:read$/, ':write'));
}

export function isKnownScope(name: string): boolean {
  return BY_NAME.has(name);
}

export function scopeLabel(name: string): string {
  return BY_NAME.get(name)?.label ?? name;
}

/**
 * A scope the app may not ask for. Only a scope from the catalogue is named:
 * its name is Gatehouse's own text, while anything else is input, which an
 * error description never repeats (RFC 6749 §5.2).
 */
export function scopeNotAllowed(scope: string): InstanceType<typeof InvalidScope> {
  return new InvalidScope(isKnownScope(scope) ? `scope ${scope} is not allowed for this app` : 'a requested scope does not exist');
}

/**
 * Splits a space-delimited scope parameter (RFC 6749 §3.3): order is kept,
 * duplicates dropped, and each token must be printable ASCII without `"` or `\`.
 * Returns null when the string is not a valid scope list.
 */
export function parseScopeParam(value: string | undefined): string[] | null {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const token of value.split(' ')) {
    if (token === '') continue;
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(token)) return null;
    if (!out.includes(token)) out.push(token);
  }
  return out;
}

/**
 * OIDC Core §11: asks for a refresh token. Gatehouse issues one with every
 * code and device grant anyway (as Yandex ID does), so the scope is accepted
 * from any app and asks for nothing more: it is dropped from the request and
 * never shown on the consent page or listed among a token's scopes.
 */
export const OFFLINE_ACCESS = 'offline_access';

export function withoutOfflineAccess(scopes: string[]): string[] {
  return scopes.filter((s) => s !== OFFLINE_ACCESS);
}

export function formatScopes(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/**
 * The scopes a request asks for (`scope` and `optional_scope`, docs/protocol.md §3), each
 * allowed for the app; none asked means the app's default scopes.
 */
export function resolveRequestedScopes(app: AppRecord, params: Readonly<Record<string, string | undefined>>): { scopes: string[]; optionalScopes: string[] } {
  const parsedScope = parseScopeParam(params.scope);
  const parsedOptional = parseScopeParam(params.optional_scope);
  if (parsedScope === null || parsedOptional === null) throw new InvalidScope('scope is malformed');
  const scope = withoutOfflineAccess(parsedScope);
  const optional = withoutOfflineAccess(parsedOptional);
  // Management scopes are the operator's grant to the app itself (client_credentials): no user consents to them.
  const allowed = [...app.scopes, ...app.optionalScopes].filter((s) => !isManagementScope(s));
  const unknown = [...scope, ...optional].find((s) => !allowed.includes(s));
  if (unknown !== undefined) throw scopeNotAllowed(unknown);
  if (scope.length === 0 && optional.length === 0) return { scopes: app.scopes.filter((s) => !isManagementScope(s)), optionalScopes: [] };
  return { scopes: scope, optionalScopes: optional.filter((s) => !scope.includes(s)) };
}
