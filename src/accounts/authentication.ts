/**
 * How a user proved who they are, in the words relying parties read: the
 * Authentication Method Reference values of RFC 8176 (`amr`) and a level
 * (`acr`) derived from them.
 *
 * - `pwd`: a password;
 * - `otp`: a code from an authenticator app (or a one-time recovery code);
 * - `hwk` / `swk`: a security key or a passkey (hardware- or software-bound key);
 * - `user`: the key checked that its user is present and verified (PIN, fingerprint);
 * - `fed`: another identity provider vouched for the user (src/upstreams/); one factor, whatever
 *   the provider asked of them, because Gatehouse cannot see what that was;
 * - `mfa`: more than one of the above.
 *
 * The levels are those most relying parties already know: `1` for one factor,
 * `2` for two (a password and a code or key, or a passkey that verified its
 * user: something held plus something known or something one is).
 */
export type Amr = 'pwd' | 'otp' | 'hwk' | 'swk' | 'user' | 'fed' | 'mfa';

export const ACR_VALUES = ['1', '2'] as const;
export type Acr = (typeof ACR_VALUES)[number];

/** The `amr` of a sign-in that used all of `methods`, `mfa` added when they are two factors. */
export function amrOf(methods: readonly Amr[]): Amr[] {
  const set = new Set<Amr>(methods.filter((m) => m !== 'mfa'));
  if (isTwoFactor([...set])) set.add('mfa');
  const order: Amr[] = ['pwd', 'otp', 'hwk', 'swk', 'user', 'fed', 'mfa'];
  return order.filter((m) => set.has(m));
}

/** Whether a sign-in with these methods is two-step: two factors, or a key that verified its user. */
export function isTwoFactor(amr: readonly string[]): boolean {
  if (amr.includes('mfa')) return true;
  const key = amr.includes('hwk') || amr.includes('swk');
  // A federated sign-in counts as the first factor, as a password does: a code or a key after it makes two.
  const knowledge = amr.includes('pwd') || amr.includes('fed');
  return (key && (knowledge || amr.includes('user'))) || (knowledge && amr.includes('otp'));
}

/** The level of a sign-in (`acr`); null when nothing is known of it (sessions from before this was recorded). */
export function acrOf(amr: readonly string[]): Acr | null {
  if (amr.length === 0) return null;
  return isTwoFactor(amr) ? '2' : '1';
}

/** Whether a sign-in reaches a level that an app asked for with `acr_values` (any one of them; unknown values ask for nothing). */
export function meetsAcr(amr: readonly string[], requested: readonly string[]): boolean {
  const known = requested.filter((v): v is Acr => (ACR_VALUES as readonly string[]).includes(v));
  if (known.length === 0) return true;
  const level = acrOf(amr);
  return level !== null && known.some((v) => v <= level);
}
