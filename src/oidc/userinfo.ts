/**
 * Standard claims by scope (OIDC Core §5.1, §5.4, docs/protocol.md §7). Yandex's
 * `login:*` scopes grant the claims of the same data, so an app with Yandex-era
 * scopes gets the same user in either API.
 */
import { releasedContacts } from '../accounts/addresses.js';
import type { UserRecord } from '../storage/storage.js';

export const STANDARD_CLAIMS = [
  'name', 'given_name', 'family_name', 'preferred_username', 'picture', 'birthdate', 'gender',
  'email', 'email_verified', 'phone_number', 'phone_number_verified',
] as const;

const NAME_SCOPES = ['profile', 'login:info'];
const EMAIL_SCOPES = ['email', 'login:email'];
const PHONE_SCOPES = ['phone', 'login:default_phone'];
const PICTURE_SCOPES = ['profile', 'login:avatar'];
const BIRTHDATE_SCOPES = ['profile', 'login:birthday'];

/** OIDC's birthdate wants unknown parts omitted or as 0000 (year); docs/protocol.md §1 stores zeros. */
function birthdate(value: string | null): string | null {
  if (value === null) return null;
  const [y, m, d] = value.split('-');
  if (y === '0000' && m !== '00' && d !== '00') return value;
  if (m === '00' || d === '00') return y === '0000' ? null : y!;
  return value;
}

export function userClaims(user: UserRecord, scopes: readonly string[], issuer: string, sub: string): Record<string, unknown> {
  const any = (list: string[]) => list.some((s) => scopes.includes(s));
  const claims: Record<string, unknown> = { sub };
  if (any(NAME_SCOPES)) {
    Object.assign(claims, {
      name: user.displayName ?? user.login,
      given_name: user.firstName ?? undefined,
      family_name: user.lastName ?? undefined,
      preferred_username: user.login,
      gender: user.sex ?? undefined,
    });
  }
  if (any(PICTURE_SCOPES) && user.avatarId) claims.picture = `${issuer}/avatars/${user.avatarId}/islands-200`;
  if (any(BIRTHDATE_SCOPES)) {
    const b = birthdate(user.birthday);
    if (b) claims.birthdate = b;
  }
  // Only confirmed addresses and numbers are released (src/accounts/addresses.ts), so those released are verified.
  const contacts = releasedContacts(user);
  if (any(EMAIL_SCOPES) && contacts.defaultEmail) Object.assign(claims, { email: contacts.defaultEmail, email_verified: true });
  if (any(PHONE_SCOPES) && contacts.phone) Object.assign(claims, { phone_number: contacts.phone, phone_number_verified: true });
  for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
  return claims;
}
