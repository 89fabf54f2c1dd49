/**
 * What a person changes about their own account on /account (docs/protocol.md §10):
 * profile fields, the avatar, and what they granted to apps and devices.
 * Every rule that decides what an app may later read (docs/protocol.md §1, §6) is here,
 * free of HTTP.
 */
import { randomHex } from '../crypto/random.js';
import { InputError } from '../errors.js';
import type { PictureUploads } from '../images/picture-uploads.js';
import type { Sex, Storage, UserPatch, UserRecord } from '../storage/storage.js';
import type { ClientId, Clock, UserId } from '../types.js';
import { endGrant, endUserAccess } from './revocation.js';
import { validateEmail } from './users.js';

export interface ProfileInput {
  firstName: string;
  lastName: string;
  displayName: string;
  /** One address a line (or separated by commas). */
  emails: string;
  defaultEmail: string;
  /** `YYYY-MM-DD`, unknown parts as zeros; empty when unknown. */
  birthday: string;
  sex: string;
  phone: string;
}

export const MAX_EMAILS = 10;

/** Keys of the messages that explain each refusal (pages/messages), so the page can say it in the reader's language. */
export type ProfileProblem = 'name' | 'email' | 'tooManyEmails' | 'birthday' | 'phone' | 'sex';

export class ProfileError extends InputError {
  constructor(readonly problem: ProfileProblem, message: string) {
    super(message);
  }
}

function name(value: string, what: string): string | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (trimmed.length > 100 || /[\u0000-\u001f\u007f]/.test(trimmed)) throw new ProfileError('name', `${what} must be at most 100 printable characters`);
  return trimmed;
}

/** docs/protocol.md §1: `YYYY-MM-DD` with unknown parts as zeros (`0000-12-31` when the year is not told). */
export function parseBirthday(value: string): string | null {
  const v = value.trim();
  if (v === '') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) throw new ProfileError('birthday', 'birthday must look like 1990-12-31 (zeros for unknown parts)');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const thisYear = new Date().getUTCFullYear();
  if ((year !== 0 && (year < 1900 || year > thisYear)) || month > 12 || day > 31) {
    throw new ProfileError('birthday', 'birthday is not a date');
  }
  if (year !== 0 && month !== 0 && day !== 0) {
    const date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCMonth() !== month - 1) throw new ProfileError('birthday', 'birthday is not a date');
  }
  return v === '0000-00-00' ? null : v;
}

/** E.164 (docs/protocol.md §1): `+` and up to 15 digits; spaces, dashes, dots and brackets people type are dropped. */
export function parsePhone(value: string): string | null {
  const v = value.trim().replace(/[\s().-]/g, '');
  if (v === '') return null;
  if (!/^\+[1-9]\d{6,14}$/.test(v)) throw new ProfileError('phone', 'phone number must be in international form, like +44 20 7946 0958');
  return v;
}

export function validateProfile(input: ProfileInput, user: Pick<UserRecord, 'login'>): UserPatch {
  const firstName = name(input.firstName, 'first name');
  const lastName = name(input.lastName, 'last name');
  const displayName = name(input.displayName, 'display name') ?? ([firstName, lastName].filter(Boolean).join(' ') || user.login);
  const emails: string[] = [];
  for (const raw of input.emails.split(/[\s,;]+/)) {
    if (raw === '') continue;
    let email: string;
    try {
      email = validateEmail(raw);
    } catch (err) {
      throw new ProfileError('email', (err as Error).message);
    }
    if (!emails.some((e) => e.toLowerCase() === email.toLowerCase())) emails.push(email);
  }
  if (emails.length > MAX_EMAILS) throw new ProfileError('tooManyEmails', `at most ${MAX_EMAILS} email addresses`);
  const wanted = input.defaultEmail.trim().toLowerCase();
  const defaultEmail = emails.find((e) => e.toLowerCase() === wanted) ?? emails[0] ?? null;
  if (input.sex !== '' && input.sex !== 'male' && input.sex !== 'female') throw new ProfileError('sex', 'sex must be male, female or not told');
  return {
    firstName,
    lastName,
    displayName,
    emails,
    defaultEmail,
    birthday: parseBirthday(input.birthday),
    sex: input.sex === '' ? null : (input.sex as Sex),
    defaultPhone: parsePhone(input.phone),
  };
}

/**
 * The account's own changes. Revocations here end tokens at once (they are
 * looked up on every use), sessions at their next request, and the
 * instant-login grants of the sites involved.
 */
export class Profiles {
  constructor(private readonly storage: Storage, private readonly clock: Clock, private readonly pictures: PictureUploads) {}

  /**
   * Saves the profile; returns the addresses that are new and so need
   * confirming (src/accounts/addresses.ts). Confirmation stays with the
   * addresses kept; a changed phone number is no longer confirmed.
   */
  async update(user: UserRecord, input: ProfileInput): Promise<string[]> {
    const patch = validateProfile(input, user);
    const emails = patch.emails ?? [];
    const kept = new Set(emails.map((e) => e.toLowerCase()));
    const confirmedEmails = user.confirmedEmails.filter((e) => kept.has(e));
    const confirmedPhone = patch.defaultPhone === user.confirmedPhone ? user.confirmedPhone : null;
    await this.storage.updateUser(user.id, { ...patch, confirmedEmails, confirmedPhone, updatedAt: this.clock() });
    const before = new Set(user.emails.map((e) => e.toLowerCase()));
    return emails.filter((e) => !before.has(e.toLowerCase()) && !confirmedEmails.includes(e.toLowerCase()));
  }

  /**
   * Stores the upload in every size of docs/protocol.md §6 under a new id, then
   * drops the old picture. `record` writes the change's audit entry in the same
   * unit of work; the picture is resized before the unit begins, so it stays short.
   */
  async setAvatar(user: UserRecord, file: Buffer, record?: () => Promise<unknown>): Promise<string> {
    const variants = await this.pictures.avatar(user.id, file);
    const id = randomHex(16);
    await this.storage.atomically(async () => {
      const now = this.clock();
      await this.storage.saveImages([...variants].map(([variant, data]) => ({ id, variant, contentType: 'image/png', data, createdAt: now })));
      await this.storage.updateUser(user.id, { avatarId: id, updatedAt: now });
      if (user.avatarId) await this.storage.deleteImages(user.avatarId);
      await record?.();
    });
    return id;
  }

  async removeAvatar(user: UserRecord): Promise<void> {
    if (!user.avatarId) return;
    await this.storage.updateUser(user.id, { avatarId: null, updatedAt: this.clock() });
    await this.storage.deleteImages(user.avatarId);
  }

  /** "Revoke access": the app's tokens, the consent (so the next sign-in asks again) and its instant-login grants. */
  async revokeApp(userId: UserId, clientId: ClientId): Promise<void> {
    await endGrant(this.storage, this.clock(), userId, clientId);
  }

  /** Revokes the token families issued to one device of one app (docs/protocol.md §3 `device_id`). */
  async revokeDevice(userId: UserId, clientId: ClientId, deviceId: string): Promise<void> {
    const now = this.clock();
    const tokens = await this.storage.listTokens({ userId, clientId, deviceBound: true, activeAt: now });
    for (const family of new Set(tokens.filter((t) => t.deviceId === deviceId).map((t) => t.familyId))) {
      await this.storage.revokeFamily(family, now);
    }
  }

  /** "Sign out everywhere": every session but this one, every token, every instant-login grant (docs/protocol.md §4). */
  async signOutEverywhere(userId: UserId, keepSession?: Parameters<Storage['deleteSessionsOfUser']>[1]): Promise<void> {
    await endUserAccess(this.storage, this.clock(), userId, keepSession);
  }
}

export interface GrantedApp {
  clientId: ClientId;
  name: string;
  iconUrl: string | null;
  /** What the user allowed (consent), or what live tokens carry when there is no consent (device flow, debug tokens). */
  scopes: string[];
  /** When a token was last issued to the app for this user (sign-in or refresh). */
  lastUsedAt: number | null;
  grantedAt: number;
}

export interface Device {
  clientId: ClientId;
  appName: string;
  deviceId: string;
  deviceName: string | null;
  lastUsedAt: number;
}

/** What the account page lists: apps with access, and devices signed in. */
export async function accessOverview(storage: Storage, userId: UserId, now: number): Promise<{ apps: GrantedApp[]; devices: Device[] }> {
  const [consents, tokens] = await Promise.all([storage.listConsentsOfUser(userId), storage.listTokens({ userId, activeAt: now, limit: 5000 })]);
  const byApp = new Map<ClientId, GrantedApp>();
  const names = new Map<ClientId, { name: string; iconUrl: string | null } | null>();
  const app = async (clientId: ClientId) => {
    if (!names.has(clientId)) {
      const found = await storage.findApp(clientId);
      names.set(clientId, found ? { name: found.name, iconUrl: found.iconUrl } : null);
    }
    return names.get(clientId)!;
  };
  for (const c of consents) {
    const found = await app(c.clientId);
    if (found) byApp.set(c.clientId, { clientId: c.clientId, ...found, scopes: c.scopes, lastUsedAt: null, grantedAt: c.createdAt });
  }
  const devices = new Map<string, Device>();
  for (const t of tokens) {
    const found = await app(t.clientId);
    if (!found) continue;
    const entry = byApp.get(t.clientId) ?? { clientId: t.clientId, ...found, scopes: [], lastUsedAt: null, grantedAt: t.createdAt };
    for (const s of t.scopes) if (!entry.scopes.includes(s)) entry.scopes.push(s);
    entry.lastUsedAt = Math.max(entry.lastUsedAt ?? 0, t.createdAt);
    entry.grantedAt = Math.min(entry.grantedAt, t.createdAt);
    byApp.set(t.clientId, entry);
    if (t.deviceId !== null) {
      const key = `${t.clientId} ${t.deviceId}`;
      const seen = devices.get(key);
      if (!seen || seen.lastUsedAt < t.createdAt) {
        devices.set(key, { clientId: t.clientId, appName: found.name, deviceId: t.deviceId, deviceName: t.deviceName ?? seen?.deviceName ?? null, lastUsedAt: t.createdAt });
      }
    }
  }
  return {
    apps: [...byApp.values()].sort((a, b) => (b.lastUsedAt ?? b.grantedAt) - (a.lastUsedAt ?? a.grantedAt)),
    devices: [...devices.values()].sort((a, b) => b.lastUsedAt - a.lastUsedAt),
  };
}
