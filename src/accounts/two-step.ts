/**
 * Two-step sign-in with an authenticator app (TOTP, RFC 6238: SHA-1, 6 digits,
 * 30-second steps) and ten one-time recovery codes, free of HTTP. The pages on
 * /account, the sign-in steps and the operator's reset (/admin, the CLI) all
 * come here, so the checks and the audit log are the same whatever the door.
 *
 * - The secret (160 random bits, RFC 4226 §4) is kept sealed with the server
 *   key; it stays `pending` until a code from the app proves it was scanned.
 * - A code is accepted for its own step or one step either side (clock drift,
 *   RFC 6238 §5.2), and only for a step after the last one accepted, so no
 *   code works twice (an atomic compare-and-set in storage).
 * - Recovery codes are 12 characters (about 59 bits) from an alphabet without
 *   look-alikes; only an HMAC of each, keyed with a key derived from the server
 *   key, is stored, so a copy of the database alone cannot be searched for them.
 * - Wrong codes are counted per account before they are checked
 *   (`twoStepPerAccount`), so parallel guesses cannot slip past the limit;
 *   right ones are forgiven.
 */
import { createHmac } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import { randomFromAlphabet, type SecretHash } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Limits } from '../oauth/attempts.js';
import type { Storage, UserRecord } from '../storage/storage.js';
import type { Clock, UserId } from '../types.js';

const PERIOD = 30;
const DIGITS = 6;
/** Steps either side of now whose codes are accepted (RFC 6238 §5.2: at most one is recommended). */
const WINDOW = 1;
/** How long a shown QR code can still be confirmed; after that a new secret is made. */
const PENDING_TTL_MS = 60 * 60_000;
export const RECOVERY_CODE_COUNT = 10;
/** No 0/o, 1/l/i: read off paper without doubt. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const RECOVERY_LENGTH = 12;
/** The name authenticator apps show above the login. */
export const TOTP_ISSUER = 'Gatehouse';

export interface Enrolment {
  /** The secret in base32, as typed into an app by hand. */
  secret: string;
  /** `otpauth://totp/…`: the QR code's content and the link phones open. */
  uri: string;
}

export type CodeMethod = 'totp' | 'recovery';

export type CodeCheck =
  | { ok: true; method: CodeMethod }
  /** `reused`: a right code of a step already used (RFC 6238 §5.2: never accepted twice). */
  | { ok: false; reason: 'wrong' | 'reused' }
  | { ok: false; reason: 'limited'; retryAfterSeconds: number };

export type Confirmation =
  | { ok: true; recoveryCodes: string[] }
  /** `expired`: no secret is waiting to be confirmed (never shown, too old, or replaced meanwhile). */
  | { ok: false; reason: 'wrong' | 'expired' }
  | { ok: false; reason: 'limited'; retryAfterSeconds: number };

function totpOf(secret: string, login: string, issuer = TOTP_ISSUER): TOTP {
  return new TOTP({ issuer, label: login, algorithm: 'SHA1', digits: DIGITS, period: PERIOD, secret: Secret.fromBase32(secret) });
}

/** `abcd-efgh-jkmn` as typed, in any case, with or without the dashes and spaces. */
function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

const attemptsKey = (userId: UserId) => `two_step:account:${userId}`;

export class TwoStep {
  private readonly codeKey: Buffer;

  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly limits: Pick<Limits, 'twoStepPerAccount'>,
    /** The name authenticator apps list the account under: the organisation's (src/organisation/). */
    private readonly issuerName: () => Promise<string> = async () => TOTP_ISSUER,
  ) {
    this.codeKey = secrets.deriveKey('recovery codes');
  }

  /**
   * The secret to show for setting up an app: the one already waiting, or a
   * new one. Null when two-step sign-in is already on.
   */
  async enrolment(user: UserRecord): Promise<Enrolment | null> {
    const now = this.clock();
    const found = await this.storage.twoStep.findTotp(user.id);
    if (found?.status === 'enabled') return null;
    if (found && found.createdAt > now - PENDING_TTL_MS) {
      const secret = this.secrets.open(found.secretSealed);
      return { secret, uri: totpOf(secret, user.login, await this.issuerName()).toString() };
    }
    const secret = new Secret({ size: 20 }).base32;
    if (!(await this.storage.twoStep.savePendingTotp(user.id, this.secrets.seal(secret), now))) return null;
    return { secret, uri: totpOf(secret, user.login, await this.issuerName()).toString() };
  }

  /**
   * Turns two-step sign-in on with a code from the app that scanned the
   * pending secret; answers the ten recovery codes, to be shown once.
   */
  async confirm(user: UserRecord, code: string, actor: AuditActor, ip: string | null): Promise<Confirmation> {
    const now = this.clock();
    const found = await this.storage.twoStep.findTotp(user.id);
    if (!found || found.status !== 'pending' || found.createdAt <= now - PENDING_TTL_MS) return { ok: false, reason: 'expired' };
    const limited = await this.countAttempt(user.id);
    if (limited) return limited;
    const step = this.stepOf(this.secrets.open(found.secretSealed), user.login, code, now);
    if (step === null) {
      await this.audit.record({ action: 'two_step_enabled', outcome: 'failed', actor, userId: user.id, ip, details: { reason: 'wrong code' } });
      return { ok: false, reason: 'wrong' };
    }
    const recoveryCodes = this.newRecoveryCodes();
    if (!(await this.storage.twoStep.enableTotp(user.id, found.secretSealed, step, recoveryCodes.map((c) => this.hashOf(user.id, c)), now))) {
      return { ok: false, reason: 'expired' };
    }
    await this.storage.forgiveAttempt(attemptsKey(user.id));
    await this.audit.record({ action: 'two_step_enabled', actor, userId: user.id, ip, details: { method: 'authenticator app', by: 'user' } });
    await this.audit.record({ action: 'recovery_codes_created', actor, userId: user.id, ip, details: { count: RECOVERY_CODE_COUNT } });
    return { ok: true, recoveryCodes };
  }

  /**
   * Checks a second-step code of an account with two-step sign-in on: a code
   * from the app (`totp`), or a recovery code, which is used up. Counted
   * against the account's limit first.
   */
  async check(user: UserRecord, code: string, method: CodeMethod, ip: string | null): Promise<CodeCheck> {
    const limited = await this.countAttempt(user.id);
    if (limited) return limited;
    const result = method === 'totp' ? await this.checkTotp(user, code) : await this.useRecoveryCode(user, code, ip);
    if (result.ok) await this.storage.forgiveAttempt(attemptsKey(user.id));
    return result;
  }

  /** Turns two-step sign-in off: the secret and every recovery code go. The caller checked the password and a code. */
  async turnOff(user: UserRecord, actor: AuditActor, ip: string | null): Promise<void> {
    await this.storage.twoStep.deleteTwoStep(user.id);
    await this.audit.record({ action: 'two_step_disabled', actor, userId: user.id, ip, details: { by: actor.type === 'user' && actor.id === user.id ? 'user' : 'operator' } });
  }

  /** The operator's reset (/admin, `gatehouse user reset-two-step`): the user sets it up again, or signs in with the password alone. */
  async reset(user: UserRecord, operator: AuditActor, ip: string | null): Promise<void> {
    await this.storage.twoStep.deleteTwoStep(user.id);
    await this.storage.resetAttempts(attemptsKey(user.id));
    await this.audit.record({ action: 'two_step_disabled', actor: operator, userId: user.id, ip, details: { login: user.login, by: 'operator' } });
  }

  /** Ten new recovery codes, shown once; the old ones stop working. */
  async regenerateRecoveryCodes(user: UserRecord, actor: AuditActor, ip: string | null): Promise<string[]> {
    const codes = this.newRecoveryCodes();
    await this.storage.twoStep.replaceRecoveryCodes(user.id, codes.map((c) => this.hashOf(user.id, c)), this.clock());
    await this.audit.record({ action: 'recovery_codes_created', actor, userId: user.id, ip, details: { count: RECOVERY_CODE_COUNT, replaced: true } });
    return codes;
  }

  private async checkTotp(user: UserRecord, code: string): Promise<CodeCheck> {
    const found = await this.storage.twoStep.findTotp(user.id);
    if (found?.status !== 'enabled') return { ok: false, reason: 'wrong' };
    const step = this.stepOf(this.secrets.open(found.secretSealed), user.login, code, this.clock());
    if (step === null) return { ok: false, reason: 'wrong' };
    return (await this.storage.twoStep.acceptTotpStep(user.id, step)) ? { ok: true, method: 'totp' } : { ok: false, reason: 'reused' };
  }

  private async useRecoveryCode(user: UserRecord, code: string, ip: string | null): Promise<CodeCheck> {
    const normalized = normalizeRecoveryCode(code);
    if (normalized.length !== RECOVERY_LENGTH) return { ok: false, reason: 'wrong' };
    if (!(await this.storage.twoStep.consumeRecoveryCode(user.id, this.hashOf(user.id, normalized), this.clock()))) return { ok: false, reason: 'wrong' };
    const left = await this.storage.twoStep.countRecoveryCodes(user.id);
    await this.audit.record({ action: 'recovery_code_used', actor: { type: 'user', id: user.id }, userId: user.id, ip, details: { left } });
    return { ok: true, method: 'recovery' };
  }

  /** The time step a right code belongs to, or null. */
  private stepOf(secret: string, login: string, code: string, now: number): number | null {
    const token = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(token)) return null;
    const delta = totpOf(secret, login).validate({ token, timestamp: now, window: WINDOW });
    return delta === null ? null : TOTP.counter({ period: PERIOD, timestamp: now }) + delta;
  }

  /** Counts one attempt; the refusal when the account is past its limit. */
  private async countAttempt(userId: UserId): Promise<Extract<CodeCheck, { reason: 'limited' }> | null> {
    const limit = this.limits.twoStepPerAccount;
    const count = await this.storage.countAttempt(attemptsKey(userId), limit.windowMs, this.clock());
    return count > limit.max ? { ok: false, reason: 'limited', retryAfterSeconds: Math.ceil(limit.windowMs / 1000) } : null;
  }

  private newRecoveryCodes(): string[] {
    return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      const raw = randomFromAlphabet(RECOVERY_ALPHABET, RECOVERY_LENGTH);
      return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
    });
  }

  private hashOf(userId: UserId, code: string): SecretHash {
    return createHmac('sha256', this.codeKey).update(`${userId}\n${normalizeRecoveryCode(code)}`).digest('hex') as SecretHash;
  }
}
