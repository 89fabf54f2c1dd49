/**
 * The two OAuth 2.0 providers without OpenID Connect that Gatehouse knows by
 * name: their endpoints, default scopes, and how their profile maps onto
 * Gatehouse's (src/upstreams/profile.ts). `--authorization-endpoint`,
 * `--token-endpoint` and `--userinfo-endpoint` override the endpoints.
 *
 * - Yandex ID (https://yandex.ru/dev/id/doc/en/): `/info?format=json` with
 *   `Authorization: OAuth <token>`; `id` → subject, `login` → login,
 *   `first_name`, `last_name`, `display_name` (or `real_name`), and
 *   `default_email` (else the first of `emails`). Yandex's answer does not say
 *   whether an address was confirmed, so it never counts as verified: a Yandex
 *   identity is never linked to an account by its address.
 * - GitHub (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps):
 *   `GET /user` → `id` → subject, `login` → login, `name` → display name;
 *   `GET /user/emails` (scope `user:email`) → the primary address when GitHub
 *   says it is `verified`, else the first verified one; else `/user`'s public
 *   `email`, unverified.
 */
import type { UpstreamKind } from '../storage/upstream-store.js';
import { subjectOf, UpstreamError, type UpstreamProfile } from './profile.js';

export interface Preset {
  displayName: string;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  scope: string;
}

export const PRESETS: Record<Exclude<UpstreamKind, 'oidc'>, Preset> = {
  yandex: {
    displayName: 'Yandex ID',
    issuer: 'https://oauth.yandex.ru',
    authorizationEndpoint: 'https://oauth.yandex.ru/authorize',
    tokenEndpoint: 'https://oauth.yandex.ru/token',
    userinfoEndpoint: 'https://login.yandex.ru/info?format=json',
    scope: 'login:info login:email',
  },
  github: {
    displayName: 'GitHub',
    issuer: 'https://github.com',
    authorizationEndpoint: 'https://github.com/login/oauth/authorize',
    tokenEndpoint: 'https://github.com/login/oauth/access_token',
    userinfoEndpoint: 'https://api.github.com/user',
    scope: 'read:user user:email',
  },
};

/** The default scope of an OpenID Connect upstream. */
export const OIDC_SCOPE = 'openid profile email';

const text = (v: unknown, max: number): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : null);
const record = (v: unknown): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UpstreamError('invalid_response', 'the profile was not a JSON object');
  return v as Record<string, unknown>;
};

export function yandexProfile(info: unknown): UpstreamProfile {
  const i = record(info);
  const emails = Array.isArray(i.emails) ? i.emails : [];
  return {
    subject: subjectOf(i.id),
    login: text(i.login, 100),
    firstName: text(i.first_name, 100),
    lastName: text(i.last_name, 100),
    displayName: text(i.display_name, 100) ?? text(i.real_name, 100),
    email: text(i.default_email, 254) ?? text(emails[0], 254),
    emailVerified: false,
  };
}

export function githubProfile(user: unknown, emails: unknown): UpstreamProfile {
  const u = record(user);
  const list = (Array.isArray(emails) ? emails : []).filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null);
  const verified = list.find((e) => e.primary === true && e.verified === true) ?? list.find((e) => e.verified === true);
  const email = verified ? text(verified.email, 254) : text(u.email, 254);
  return {
    subject: subjectOf(u.id),
    login: text(u.login, 100),
    firstName: null,
    lastName: null,
    displayName: text(u.name, 100),
    email,
    emailVerified: verified !== undefined && email !== null,
  };
}
