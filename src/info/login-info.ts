/**
 * The login info API's answer (docs/protocol.md §6): exactly the fields of the scopes the
 * token holds, as JSON, XML or a JWT signed with the app's own secret.
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { releasedContacts } from '../accounts/addresses.js';
import { randomHex } from '../crypto/random.js';
import type { AppRecord, TokenRecord, UserRecord } from '../storage/storage.js';

export type InfoFields = Record<string, unknown>;

/**
 * A stable per-app pseudonymous id: the same user gets different ids in
 * different apps. It is also the OpenID Connect `sub` (pairwise, OIDC Core §8.1).
 */
export function psuid(key: Buffer, app: Pick<AppRecord, 'clientId'>, user: Pick<UserRecord, 'id'>): string {
  const input = `${app.clientId}:${user.id}`;
  let known = remembered.get(key);
  if (known === undefined) {
    known = new Map();
    remembered.set(key, known);
  }
  let value = known.get(input);
  if (value === undefined) {
    value = `1.${createHmac('sha256', key).update(input).digest('base64url').slice(0, 32)}`;
    if (known.size >= REMEMBERED_PSUIDS) known.clear();
    known.set(input, value);
  }
  return value;
}

/**
 * psuids already computed, by key: a psuid depends on nothing else, never
 * changes, and an HMAC on every /info and /userinfo was a visible share of
 * their cost. Bounded (about a megabyte), emptied when full.
 */
const remembered = new WeakMap<Buffer, Map<string, string>>();
const REMEMBERED_PSUIDS = 10_000;

export function loginInfo(user: UserRecord, app: AppRecord, token: TokenRecord, psuidKey: Buffer): InfoFields {
  const has = (scope: string) => token.scopes.includes(scope);
  const info: InfoFields = { id: user.id, login: user.login, client_id: app.clientId, psuid: psuid(psuidKey, app, user) };
  if (has('login:info')) {
    Object.assign(info, {
      display_name: user.displayName ?? user.login,
      real_name: [user.firstName, user.lastName].filter(Boolean).join(' '),
      first_name: user.firstName ?? '',
      last_name: user.lastName ?? '',
      sex: user.sex,
    });
  }
  // Only confirmed addresses and numbers leave Gatehouse (src/accounts/addresses.ts).
  const contacts = releasedContacts(user);
  if (has('login:email')) Object.assign(info, { default_email: contacts.defaultEmail, emails: contacts.emails });
  if (has('login:avatar')) Object.assign(info, { default_avatar_id: user.avatarId ?? '0/0-0', is_avatar_empty: user.avatarId === null });
  if (has('login:birthday')) info.birthday = user.birthday;
  if (has('login:default_phone')) info.default_phone = contacts.phone === null ? null : { id: 1, number: contacts.phone };
  return info;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

function xmlValue(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name}/>`;
  if (Array.isArray(value)) return `<${name}>${value.map((v) => xmlValue('address', v)).join('')}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value).map(([k, v]) => xmlValue(k, v)).join('')}</${name}>`;
  }
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** Yandex ID's XML form: root `<user>`, one element per field, lists as `<address>` items. */
export function toXml(info: InfoFields): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<user>${Object.entries(info).map(([k, v]) => xmlValue(k, v)).join('')}</user>`;
}

/** Yandex ID's JWT form: HS256 keyed by the client secret (or `jwt_secret`), claims by scope. */
export async function toJwt(info: InfoFields, token: TokenRecord, issuer: string, key: string, nowSeconds: number): Promise<string> {
  const claims: Record<string, unknown> = { uid: Number(info.id), login: info.login, psuid: info.psuid };
  if ('default_email' in info) claims.email = info.default_email;
  if ('default_avatar_id' in info) claims.avatar_id = info.default_avatar_id;
  if ('birthday' in info) claims.birthday = info.birthday;
  if ('display_name' in info) {
    claims.name = info.real_name;
    claims.display_name = info.display_name;
    claims.gender = info.sex;
  }
  if ('default_phone' in info) claims.number = (info.default_phone as { number: string } | null)?.number ?? null;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(nowSeconds)
    .setJti(randomHex(16))
    .setExpirationTime(Math.floor(token.expiresAt / 1000))
    .setIssuer(issuer)
    .sign(new TextEncoder().encode(key));
}
