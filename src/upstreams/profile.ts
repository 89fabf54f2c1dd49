/**
 * What Gatehouse takes from an upstream account, whatever the provider: who
 * it is there (`subject`, stable), and the profile a new account starts from.
 * Nothing else is kept; the upstream's tokens are dropped once this is read.
 */
export interface UpstreamProfile {
  /** The upstream's stable id of its user (`sub`, Yandex's `id`, GitHub's numeric `id`), as a string. */
  subject: string;
  /** A login to suggest for a new account (`preferred_username`, Yandex's or GitHub's `login`). */
  login: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  email: string | null;
  /** True only when the upstream said in so many words that it verified the address (`email_verified: true`, GitHub's `verified`). */
  emailVerified: boolean;
}

/** Why a sign-in through an upstream ended without a profile; each has its own page. */
export type UpstreamFailure =
  /** The user said no at the upstream (`access_denied`). */
  | 'denied'
  /** No state, a state of another browser, another upstream or already used, or expired. */
  | 'bad_state'
  /** The answer names another issuer than the upstream's (`iss`, RFC 9207): a mix-up. */
  | 'wrong_issuer'
  /** The upstream's answer did not hold up: an invalid id_token, a nonce of another sign-in, a refused code. */
  | 'invalid_response'
  /** The upstream could not be reached, or answered with a server error. */
  | 'unreachable';

export class UpstreamError extends Error {
  constructor(readonly failure: UpstreamFailure, message: string) {
    super(message);
  }
}

const text = (v: unknown, max: number): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : null);

/** A subject as a string: OIDC's `sub` is one; Yandex's and GitHub's ids may be numbers. */
export function subjectOf(v: unknown): string {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && v !== '' && v.length <= 255) return v;
  throw new UpstreamError('invalid_response', 'the upstream named no user id');
}

/** OpenID Connect's standard claims (OIDC Core §5.1), from the id_token and userinfo together. */
export function profileFromClaims(claims: Record<string, unknown>): UpstreamProfile {
  return {
    subject: subjectOf(claims.sub),
    login: text(claims.preferred_username, 100) ?? text(claims.nickname, 100),
    firstName: text(claims.given_name, 100),
    lastName: text(claims.family_name, 100),
    displayName: text(claims.name, 100),
    email: text(claims.email, 254),
    emailVerified: claims.email_verified === true,
  };
}
