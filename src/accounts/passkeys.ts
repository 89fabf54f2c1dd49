/**
 * Passkeys and security keys (WebAuthn Level 3), with @simplewebauthn/server
 * doing the cryptography and the checks of WebAuthn §7.1 and §7.2 (origin,
 * RP ID hash, challenge, flags, signature, counter).
 *
 * Three ceremonies, each a pair of steps: options, then the browser's answer.
 *
 * - **Adding a key** on /account: a discoverable credential (residentKey
 *   `required`), user verification preferred, never the same authenticator
 *   twice (`excludeCredentials`).
 * - **Signing in with a key**, no login typed: `allowCredentials` is empty and
 *   the key says whose it is (its user handle). Only an assertion in which
 *   the key verified its user (PIN, fingerprint: the UV flag) is a sign-in by
 *   itself; a key that only proved presence is a second factor, nothing more.
 * - **A key as the second step** after a password: options name the user's own
 *   credentials only; any assertion of one of them will do.
 *
 * The relying party is the issuer: its host is the RP ID, its origin the only
 * origin accepted. Challenges are kept in storage as hashes, bound to the
 * browser they were issued to (the hash of a cookie the HTTP layer keeps),
 * for one purpose, used once (an atomic consume), for five minutes.
 */
import type {
  AuthenticationResponseJSON, AuthenticatorTransportFuture, PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import type { AuditActor, AuditEvent, AuditLog } from '../audit/audit-log.js';
import { sha256Hex, type SecretHash } from '../crypto/random.js';
import { isLimited, recordFailure, sourceAddress, type Limits } from '../oauth/attempts.js';
import type { PasskeyRecord, WebAuthnPurpose } from '../storage/passkey-store.js';
import type { Storage, UserRecord } from '../storage/storage.js';
import type { Clock, UserId } from '../types.js';
import type { Amr } from './authentication.js';
import { ipKey } from './sign-in-guard.js';

/**
 * @simplewebauthn/server and the certificate libraries under it are a fifth of
 * the server's code: loaded at the first passkey ceremony, not at every start.
 */
let webauthnLibrary: Promise<typeof import('@simplewebauthn/server')> | null = null;
const webauthn = () => (webauthnLibrary ??= import('@simplewebauthn/server'));

const CHALLENGE_TTL_MS = 5 * 60_000;
const MAX_NAME = 100;

const b64url = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*={0,2}$/);

/** The browser's answer to a registration (what @simplewebauthn/browser's startRegistration returns), shape only. */
const RegistrationResponse = z.object({
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(16_384),
    transports: z.array(z.string().max(20)).max(10).optional(),
  }),
  clientExtensionResults: z.object({}).passthrough(),
  authenticatorAttachment: z.string().max(20).optional(),
});

/** The browser's answer to a sign-in (startAuthentication), shape only. */
const AuthenticationResponse = z.object({
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(4096),
    signature: b64url(2048),
    userHandle: b64url(200).optional(),
  }),
  clientExtensionResults: z.object({}).passthrough(),
  authenticatorAttachment: z.string().max(20).optional(),
});

/** Why a ceremony did not succeed (the HTTP layer words it; the audit log records it). */
export type PasskeyRefusal =
  /** The answer is malformed, its challenge unknown, used, expired or another browser's, or its signature wrong. */
  | 'failed'
  /** The key is not (or no longer) registered, or not to this user. */
  | 'unknown_key'
  /** The key did not verify its user: it may serve as a second step after the password only. */
  | 'no_user_verification'
  /** The account is blocked. */
  | 'blocked'
  /** Too many failures or challenges from this address. */
  | 'limited'
  /** Adding a key: this authenticator is registered already. */
  | 'already_registered';

export type PasskeySignIn = { ok: true; user: UserRecord; passkey: PasskeyRecord; amr: Amr[] } | { ok: false; reason: PasskeyRefusal };

/**
 * A passkey sign-in's answer. A successful one carries `record`, which writes
 * its audit entry: the caller runs it in the unit of work that opens the
 * session, since webhooks announce the sign-in.
 */
export type PasskeySignInAnswer = (PasskeySignIn & { ok: true; record: () => Promise<unknown> }) | { ok: false; reason: PasskeyRefusal };

export class PasskeyNameError extends Error {}

/** A name as typed: trimmed, 1 to 100 printable characters. */
export function passkeyName(name: string | undefined): string {
  const trimmed = (name ?? '').trim();
  if (trimmed === '' || trimmed.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(trimmed)) throw new PasskeyNameError('a passkey needs a name of at most 100 printable characters');
  return trimmed;
}

/** The RFC 8176 method a key stands for: `swk` when it can be synced off its device (a software-bound key), `hwk` otherwise. */
export function keyMethod(passkey: Pick<PasskeyRecord, 'backupEligible' | 'backedUp'>): 'hwk' | 'swk' {
  return passkey.backupEligible || passkey.backedUp ? 'swk' : 'hwk';
}

/** The challenge a browser's answer signed (clientDataJSON.challenge), or null when it cannot be read. */
function challengeOf(clientDataJSON: string): string | null {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' && data.challenge.length <= 200 ? data.challenge : null;
  } catch {
    return null;
  }
}

function parseJson<T>(schema: z.ZodType<T>, text: string | undefined): T | null {
  if (!text || text.length > 40_000) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The user handle of a Gatehouse user: its id (random digits, no personal data: WebAuthn §14.6.1). */
const userHandleOf = (userId: UserId) => new TextEncoder().encode(userId);

export class Passkeys {
  /** The RP ID: the issuer's host. */
  readonly rpId: string;
  /** The only origin accepted: the issuer's. */
  readonly origin: string;
  /**
   * Whether browsers can use passkeys with this issuer at all: WebAuthn takes
   * a domain as the RP ID, never an IP address, and runs only in a secure
   * context (https, or http on localhost). Otherwise the pages do not offer them.
   */
  readonly available: boolean;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    issuer: string,
    /** The name authenticators show for the site: the organisation's (src/organisation/). */
    private readonly rpName: () => Promise<string>,
    private readonly limits: Pick<Limits, 'loginPerIp' | 'webauthnChallengePerIp'>,
  ) {
    const url = new URL(issuer);
    this.rpId = url.hostname;
    this.origin = url.origin;
    const ipAddress = /^[\d.]+$/.test(url.hostname) || url.hostname.startsWith('[');
    const local = url.hostname === 'localhost' || url.hostname.endsWith('.localhost');
    this.available = !ipAddress && (url.protocol === 'https:' || local);
  }

  list(userId: UserId): Promise<PasskeyRecord[]> {
    return this.storage.passkeys.listPasskeys(userId);
  }

  /** Whether this address may have another challenge now (each one is a row for a few minutes). */
  async mayChallenge(ip: string): Promise<boolean> {
    const count = await recordFailure(this.storage, this.clock, `webauthn:challenge:${sourceAddress(ip)}`, this.limits.webauthnChallengePerIp);
    return count <= this.limits.webauthnChallengePerIp.max;
  }

  private async keepChallenge(challenge: string, browser: SecretHash, purpose: WebAuthnPurpose, userId: UserId | null): Promise<void> {
    const now = this.clock();
    await this.storage.passkeys.createWebAuthnChallenge({
      hash: sha256Hex(challenge), browser, purpose, userId, createdAt: now, expiresAt: now + CHALLENGE_TTL_MS, consumedAt: null,
    });
  }

  /** Uses the challenge an answer signed, if this browser was given it for this purpose and it is fresh and unused. */
  private async useChallenge(clientDataJSON: string, browser: SecretHash, purpose: WebAuthnPurpose): Promise<{ challenge: string; userId: UserId | null } | null> {
    const challenge = challengeOf(clientDataJSON);
    if (challenge === null) return null;
    const used = await this.storage.passkeys.consumeWebAuthnChallenge(sha256Hex(challenge), browser, purpose, this.clock());
    return used.outcome === 'consumed' ? { challenge, userId: used.record.userId } : null;
  }

  // Adding a key

  async registrationOptions(user: UserRecord, browser: SecretHash): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.list(user.id);
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: await this.rpName(),
      rpID: this.rpId,
      userName: user.login,
      userDisplayName: user.displayName ?? user.login,
      userID: userHandleOf(user.id),
      timeout: CHALLENGE_TTL_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    await this.keepChallenge(options.challenge, browser, 'register', user.id);
    return options;
  }

  /** Verifies the browser's answer and keeps the new key under `name` (already checked with `passkeyName`). */
  async register(user: UserRecord, browser: SecretHash, responseText: string | undefined, name: string, ip: string | null): Promise<{ ok: true; passkey: PasskeyRecord } | { ok: false; reason: PasskeyRefusal }> {
    const response = parseJson(RegistrationResponse, responseText) as RegistrationResponseJSON | null;
    if (!response) return { ok: false, reason: 'failed' };
    const used = await this.useChallenge(response.response.clientDataJSON, browser, 'register');
    if (!used || used.userId !== user.id) return { ok: false, reason: 'failed' };
    let info;
    try {
      const verified = await (await webauthn()).verifyRegistrationResponse({
        response, expectedChallenge: used.challenge, expectedOrigin: this.origin, expectedRPID: this.rpId, requireUserVerification: false,
      });
      if (!verified.verified) return { ok: false, reason: 'failed' };
      info = verified.registrationInfo;
    } catch {
      return { ok: false, reason: 'failed' };
    }
    const passkey: PasskeyRecord = {
      id: info.credential.id,
      userId: user.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: (response.response.transports ?? []).slice(0, 10),
      aaguid: info.aaguid,
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      userVerified: info.userVerified,
      name,
      createdAt: this.clock(),
      lastUsedAt: null,
    };
    if (!(await this.storage.passkeys.addPasskey(passkey))) return { ok: false, reason: 'already_registered' };
    await this.audit.record({
      action: 'passkey_added', actor: { type: 'user', id: user.id }, ip,
      details: { name, credential: passkey.id.slice(0, 16), method: keyMethod(passkey), verifiedUser: passkey.userVerified },
    });
    return { ok: true, passkey };
  }

  async rename(user: UserRecord, id: string, name: string): Promise<boolean> {
    return this.storage.passkeys.renamePasskey(user.id, id, name);
  }

  /** Removes one of `owner`'s keys, by the owner or an operator (the audit log says which). */
  async remove(ownerId: UserId, id: string, by: AuditActor, ip: string | null): Promise<boolean> {
    const passkey = await this.storage.passkeys.findPasskey(id);
    if (!passkey || passkey.userId !== ownerId || !(await this.storage.passkeys.deletePasskey(ownerId, id))) return false;
    await this.audit.record({
      action: 'passkey_removed', actor: by, userId: ownerId, ip,
      details: { name: passkey.name, credential: passkey.id.slice(0, 16), by: by.type === 'operator' || (by.type === 'user' && by.id !== ownerId) ? 'operator' : 'user' },
    });
    return true;
  }

  // Signing in with a key (no login typed)

  async signInOptions(browser: SecretHash): Promise<PublicKeyCredentialRequestOptionsJSON> {
    // No allowCredentials: the browser offers every passkey it holds for this RP ID (discoverable credentials).
    const options = await (await webauthn()).generateAuthenticationOptions({ rpID: this.rpId, userVerification: 'preferred', timeout: CHALLENGE_TTL_MS });
    await this.keepChallenge(options.challenge, browser, 'sign_in', null);
    return options;
  }

  /**
   * A complete sign-in when the key verified its user; audited as `sign_in`
   * with `method: passkey` (a success by the caller, with its session:
   * `record`), and limited per address like passwords.
   */
  async signIn(browser: SecretHash, responseText: string | undefined, ip: string): Promise<PasskeySignInAnswer> {
    const result = await this.checkSignIn(browser, responseText, ip);
    const entry = (outcome: 'ok' | 'failed' | 'refused', userId: UserId | null, details: AuditEvent['details']) => this.audit.record({
      action: 'sign_in', outcome, actor: outcome === 'ok' && userId ? { type: 'user', id: userId } : { type: 'anonymous' }, userId, ip,
      details: { method: 'passkey', ...details },
    });
    if (result.ok) return { ...result, record: () => entry('ok', result.user.id, { name: result.passkey.name, amr: result.amr }) };
    if (result.reason !== 'limited') await recordFailure(this.storage, this.clock, ipKey(ip), this.limits.loginPerIp);
    const userId = 'userId' in result ? result.userId : null;
    await entry(result.reason === 'failed' || result.reason === 'unknown_key' ? 'failed' : 'refused', userId, { reason: result.reason });
    return { ok: false, reason: result.reason };
  }

  private async checkSignIn(browser: SecretHash, responseText: string | undefined, ip: string): Promise<PasskeySignIn | { ok: false; reason: PasskeyRefusal; userId: UserId }> {
    if (await isLimited(this.storage, this.clock, ipKey(ip), this.limits.loginPerIp)) return { ok: false, reason: 'limited' };
    const response = parseJson(AuthenticationResponse, responseText) as AuthenticationResponseJSON | null;
    if (!response) return { ok: false, reason: 'failed' };
    const used = await this.useChallenge(response.response.clientDataJSON, browser, 'sign_in');
    if (!used) return { ok: false, reason: 'failed' };
    const passkey = await this.storage.passkeys.findPasskey(response.id);
    if (!passkey) return { ok: false, reason: 'unknown_key' };
    // The key says whose it is; it must be the account the credential was registered to.
    const handle = response.response.userHandle;
    if (handle === undefined || Buffer.from(handle, 'base64url').toString('utf8') !== passkey.userId) return { ok: false, reason: 'unknown_key', userId: passkey.userId };
    const verified = await this.verify(response, used.challenge, passkey);
    if (!verified) return { ok: false, reason: 'failed', userId: passkey.userId };
    if (!verified.userVerified) return { ok: false, reason: 'no_user_verification', userId: passkey.userId };
    const user = await this.storage.findUserById(passkey.userId);
    if (!user || user.status !== 'active') return { ok: false, reason: 'blocked', userId: passkey.userId };
    // Recorded only while the key still exists and its counter moves forward: a key removed meanwhile signs nobody in.
    if (!(await this.storage.passkeys.recordPasskeyUse(passkey.id, { counter: verified.newCounter, backedUp: verified.backedUp, at: this.clock() }))) {
      return { ok: false, reason: 'unknown_key', userId: passkey.userId };
    }
    const used2 = { ...passkey, backedUp: verified.backedUp };
    return { ok: true, user, passkey: used2, amr: [keyMethod(used2), 'user'] };
  }

  private async verify(response: AuthenticationResponseJSON, challenge: string, passkey: PasskeyRecord) {
    try {
      const result = await (await webauthn()).verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        credential: {
          id: passkey.id,
          publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
          counter: passkey.counter,
          transports: passkey.transports as AuthenticatorTransportFuture[],
        },
        // Whether the user was verified decides what the assertion is worth; it is read from the result below.
        requireUserVerification: false,
      });
      if (!result.verified) return null;
      const info = result.authenticationInfo;
      return { userVerified: info.userVerified, newCounter: info.newCounter, backedUp: info.credentialBackedUp };
    } catch {
      return null;
    }
  }

  // A key as the second step after the password

  /** Options naming `user`'s own keys only; any of them, verified user or not, will do. Null when the user has none. */
  async secondFactorOptions(user: UserRecord, browser: SecretHash): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    const keys = await this.list(user.id);
    if (keys.length === 0) return null;
    const options = await (await webauthn()).generateAuthenticationOptions({
      rpID: this.rpId,
      allowCredentials: keys.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransportFuture[] })),
      userVerification: 'discouraged',
      timeout: CHALLENGE_TTL_MS,
    });
    await this.keepChallenge(options.challenge, browser, 'second_factor', user.id);
    return options;
  }

  /**
   * The second step: an assertion by one of `user`'s keys, for a challenge
   * issued to this browser for this user. Its methods (`hwk` or `swk`, and
   * `user` when the key verified its user) join the password's `pwd`.
   */
  async verifySecondFactor(user: UserRecord, browser: SecretHash, responseText: string | undefined): Promise<{ ok: true; passkey: PasskeyRecord; amr: Amr[] } | { ok: false; reason: PasskeyRefusal }> {
    const response = parseJson(AuthenticationResponse, responseText) as AuthenticationResponseJSON | null;
    if (!response) return { ok: false, reason: 'failed' };
    const used = await this.useChallenge(response.response.clientDataJSON, browser, 'second_factor');
    if (!used || used.userId !== user.id) return { ok: false, reason: 'failed' };
    const passkey = await this.storage.passkeys.findPasskey(response.id);
    if (!passkey || passkey.userId !== user.id) return { ok: false, reason: 'unknown_key' };
    const verified = await this.verify(response, used.challenge, passkey);
    if (!verified) return { ok: false, reason: 'failed' };
    if (!(await this.storage.passkeys.recordPasskeyUse(passkey.id, { counter: verified.newCounter, backedUp: verified.backedUp, at: this.clock() }))) {
      return { ok: false, reason: 'unknown_key' };
    }
    const used2 = { ...passkey, backedUp: verified.backedUp };
    return { ok: true, passkey: used2, amr: verified.userVerified ? [keyMethod(used2), 'user'] : [keyMethod(used2)] };
  }
}
