/**
 * The scope catalogue (SPEC §1): which permissions exist, what they are called
 * in plain words on the consent page, and what they unlock.
 */
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

export function isKnownScope(name: string): boolean {
  return BY_NAME.has(name);
}

export function scopeLabel(name: string): string {
  return BY_NAME.get(name)?.label ?? name;
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

export function formatScopes(scopes: readonly string[]): string {
  return scopes.join(' ');
}
