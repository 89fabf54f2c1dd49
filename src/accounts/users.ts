/** Accounts: creating users, checking passwords, changing them. */
import { randomInt } from 'node:crypto';
import { hashPassword, verifyPassword } from '../crypto/passwords.js';
import type { SecretHash } from '../crypto/random.js';
import { InputError } from '../errors.js';
import type { Storage, UserRecord } from '../storage/storage.js';
import type { Clock, UserId } from '../types.js';
import { endUserAccess } from './revocation.js';

export interface NewUser {
  login: string;
  /** Null for an account created through another identity provider (src/upstreams/): it has no password until its owner sets one. */
  password: string | null;
  email?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  isDeveloper?: boolean | undefined;
  isAdmin?: boolean | undefined;
  /**
   * Whether the address counts as confirmed: true when an operator sets it
   * (they vouch for it), false when a person types it in at sign-up; an
   * unconfirmed address is not released until its owner confirms it
   * (src/accounts/addresses.ts). Default false.
   */
  emailConfirmed?: boolean | undefined;
}

const LOGIN = /^[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?$/i;
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]+\.[^\s@<>"]{2,}$/;
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;

export function validateLogin(login: string): string {
  if (!LOGIN.test(login)) {
    throw new InputError('login must be 1–40 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit');
  }
  return login.toLowerCase();
}

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD) throw new InputError(`password must be at least ${MIN_PASSWORD} characters`);
  if (password.length > MAX_PASSWORD) throw new InputError(`password must be at most ${MAX_PASSWORD} characters`);
}

export function validateEmail(email: string): string {
  if (email.length > 254 || !EMAIL.test(email)) throw new InputError(`not an email address: ${JSON.stringify(email.slice(0, 80))}`);
  return email;
}

function validateName(name: string | undefined, what: string): string | null {
  if (name === undefined || name.trim() === '') return null;
  const trimmed = name.trim();
  if (trimmed.length > 100 || /[\u0000-\u001f\u007f]/.test(trimmed)) throw new InputError(`${what} must be at most 100 printable characters`);
  return trimmed;
}

/** Decimal ids like Yandex ID's: 15 digits, never starting with 0, so they stay exact as JSON numbers too. */
function newUserId(): UserId {
  let id = String(randomInt(1, 10));
  for (let i = 0; i < 14; i++) id += String(randomInt(10));
  return id as UserId;
}

export class Users {
  constructor(private readonly storage: Storage, private readonly clock: Clock) {}

  /**
   * Creates an account. `record` writes the audit entry of its creation in the
   * same unit of work (Storage.atomically); the password is hashed before the
   * unit begins, so the unit stays short.
   */
  async create(input: NewUser, record?: (user: UserRecord) => Promise<unknown>): Promise<UserRecord> {
    const login = validateLogin(input.login);
    if (input.password !== null) validatePassword(input.password);
    const email = input.email ? validateEmail(input.email) : null;
    const firstName = validateName(input.firstName, 'first name');
    const lastName = validateName(input.lastName, 'last name');
    if (await this.storage.findUserByLogin(login)) throw new InputError(`the login ${login} is taken`);
    const now = this.clock();
    const user: UserRecord = {
      id: newUserId(),
      login,
      passwordHash: input.password === null ? null : await hashPassword(input.password),
      firstName,
      lastName,
      displayName: [firstName, lastName].filter(Boolean).join(' ') || login,
      sex: null,
      birthday: null,
      emails: email ? [email] : [],
      defaultEmail: email,
      confirmedEmails: email && input.emailConfirmed ? [email.toLowerCase()] : [],
      defaultPhone: null,
      confirmedPhone: null,
      avatarId: null,
      isDeveloper: input.isDeveloper ?? false,
      isAdmin: input.isAdmin ?? false,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.storage.atomically(async () => {
        await this.storage.createUser(user);
        await record?.(user);
      });
    } catch (err) {
      // Two sign-ups raced for the same login: the unique index decided. On SQLite the winner's row may
      // still sit in the group commit's open transaction, which the read connection does not see yet: the
      // engine's own word (a unique violation) says it too.
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') throw new InputError(`the login ${login} is taken`);
      if (await this.storage.findUserByLogin(login)) throw new InputError(`the login ${login} is taken`);
      throw err;
    }
    return user;
  }

  /**
   * The user whose login and password these are, or null. The answer does not
   * say which of the two was wrong, and an unknown login costs a hash too.
   */
  async authenticate(login: string, password: string): Promise<UserRecord | null> {
    const user = login.length <= 64 && password.length <= MAX_PASSWORD ? await this.storage.findUserByLogin(login.trim()) : null;
    const ok = await verifyPassword(user?.passwordHash ?? null, password.slice(0, MAX_PASSWORD));
    return ok && user && user.status === 'active' ? user : null;
  }

  /**
   * Sets a new password and signs the user out everywhere else, ending their
   * tokens, codes and instant-login grants (docs/protocol.md §4), except the
   * session `keepSession`. `record` writes the audit entry of the change in
   * the same unit of work; the password is hashed before the unit begins.
   */
  async changePassword(user: UserRecord, password: string, options: { keepSession?: SecretHash; record?: () => Promise<unknown> } = {}): Promise<void> {
    validatePassword(password);
    const passwordHash = await hashPassword(password);
    await this.storage.atomically(async () => {
      const now = this.clock();
      await this.storage.updateUser(user.id, { passwordHash, updatedAt: now });
      await endUserAccess(this.storage, now, user.id, options.keepSession);
      await options.record?.();
    });
  }
}
