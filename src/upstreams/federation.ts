/**
 * Signing in through an upstream, as a protocol with no HTTP in it: the
 * routes (src/http/routes/upstreams.ts) call `start`, `callback`, `resolve`
 * and the registration verbs, and map what they return to pages.
 *
 * The defences, each where it belongs:
 * - `state` is random, stored as its hash bound to the browser (the hash of a
 *   cookie) and to the one upstream it was sent to, used at most once, and
 *   dead after 10 minutes: a callback in another browser, at another
 *   upstream's callback or a second time finds nothing (RFC 9700 §4.7, §4.4).
 * - Each upstream has its own redirect URI (`/upstream/{name}/callback`), and
 *   an `iss` naming another issuer is refused (RFC 9207): the mix-up defences
 *   of RFC 9700 §4.4.2.
 * - PKCE (S256) on every upstream, `nonce` checked in the id_token (OIDC Core
 *   §3.1.3.7): an injected code or id_token of another sign-in is refused.
 * - An identity is linked to an existing account only by a sign-in to that
 *   account, or by an address the upstream says it verified when the operator
 *   turned that on for the upstream; never by an address alone.
 * - The upstream's tokens live only in the callback's memory: nothing of them
 *   is stored, logged or handed to apps.
 */
import * as client from 'openid-client';
import type { AuditLog } from '../audit/audit-log.js';
import { randomToken, sha256Hex, type SecretHash } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Storage, UserRecord } from '../storage/storage.js';
import type { UpstreamRecord } from '../storage/upstream-store.js';
import type { Clock, UserId } from '../types.js';
import { validateLogin } from '../accounts/users.js';
import { oauthUpstream } from './oauth-upstream.js';
import { oidcUpstream } from './oidc-upstream.js';
import { UpstreamError, type UpstreamProfile } from './profile.js';
import type { UpstreamClient } from './upstream-client.js';
import type { Upstreams } from './upstreams.js';

/** How long a user may take at the upstream, and to pick a login afterwards. */
export const FLOW_TTL_MS = 10 * 60_000;

export interface Flow {
  /** Started on the sign-in page, or from /account to link another identity. */
  purpose: 'sign_in' | 'link';
  returnTo: string;
  display: 'page' | 'popup';
  /** For a link: the user who asked, who must still be the one signed in at the callback. */
  userId: UserId | null;
}

interface Sealed { v: string; n: string; s: string; f: Flow }

/** A profile waiting on the confirmation page for its new account's login. */
export interface Registration {
  upstream: UpstreamRecord;
  profile: UpstreamProfile;
  flow: Flow;
}

export type Outcome =
  /**
   * A known identity, or one just linked by a verified address: sign this
   * user in. `record` writes the sign-in's audit entry; the caller runs it in
   * the unit of work that opens the session (webhooks announce the sign-in).
   */
  | { kind: 'sign_in'; user: UserRecord; linked: boolean; record: () => Promise<void> }
  /** A link asked for from /account is done (or was there already). */
  | { kind: 'linked'; user: UserRecord }
  /** A new identity and sign-up is open: confirm the profile and pick a login. */
  | { kind: 'register' }
  | { kind: 'refused'; reason: 'signup_disabled' | 'linked_elsewhere' | 'session_changed' | 'blocked' };

const clientFor = (u: UpstreamRecord): UpstreamClient => (u.kind === 'oidc' ? oidcUpstream : oauthUpstream);

export class Federation {
  constructor(
    private readonly storage: Storage,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly upstreams: Upstreams,
  ) {}

  /** The upstream's authorization URL for a new sign-in by this browser. Throws UpstreamError (`unreachable`) when discovery fails. */
  async start(u: UpstreamRecord, browser: SecretHash, flow: Flow): Promise<string> {
    const state = randomToken(32);
    const nonce = randomToken(32);
    const verifier = client.randomPKCECodeVerifier();
    const now = this.clock();
    const url = await clientFor(u).authorizationUrl(this.upstreams.settings(u), {
      redirectUri: this.upstreams.redirectUri(u.name), state, nonce, codeChallenge: await client.calculatePKCECodeChallenge(verifier),
    }, now);
    const sealed: Sealed = { v: verifier, n: nonce, s: state, f: flow };
    await this.storage.upstreams.createUpstreamState({
      hash: sha256Hex(state), browser, upstream: u.name, purpose: 'callback', payloadSealed: this.secrets.seal(JSON.stringify(sealed)),
      createdAt: now, expiresAt: now + FLOW_TTL_MS, consumedAt: null,
    });
    return url.toString();
  }

  /**
   * The upstream's answer at `/upstream/{name}/callback` (`query`: its query
   * string): the state is used up first, whatever follows, so an answer
   * counts once; then the client checks and reads the profile.
   */
  async callback(u: UpstreamRecord, browser: SecretHash | null, query: URLSearchParams): Promise<{ profile: UpstreamProfile; flow: Flow }> {
    const state = query.get('state');
    if (!state || state.length > 200 || !browser) throw new UpstreamError('bad_state', 'no state of this browser');
    const used = await this.storage.upstreams.consumeUpstreamState(sha256Hex(state), browser, u.name, 'callback', this.clock());
    if (used.outcome !== 'consumed') throw new UpstreamError('bad_state', used.outcome === 'already_consumed' ? 'the state was used already' : 'no such state for this browser and upstream');
    const sealed = JSON.parse(this.secrets.open(used.record.payloadSealed)) as Sealed;
    const redirectUri = this.upstreams.redirectUri(u.name);
    const callbackUrl = new URL(redirectUri);
    callbackUrl.search = query.toString();
    const profile = await clientFor(u).finish(this.upstreams.settings(u), { callbackUrl, redirectUri, state: sealed.s, nonce: sealed.n, codeVerifier: sealed.v }, this.clock());
    return { profile, flow: sealed.f };
  }

  /**
   * What a verified upstream answer leads to (see `Outcome`); links where that
   * is the answer, and writes the audit log, except the entry of a successful
   * sign-in, which goes with its session (`Outcome.record`).
   */
  async resolve(u: UpstreamRecord, profile: UpstreamProfile, flow: Flow, signedIn: UserId | null, signupEnabled: boolean, ip: string | null): Promise<Outcome> {
    const now = this.clock();
    const identity = await this.storage.upstreams.findIdentity(u.name, profile.subject);
    if (flow.purpose === 'link') {
      if (flow.userId === null || signedIn !== flow.userId) return { kind: 'refused', reason: 'session_changed' };
      const user = await this.storage.findUserById(flow.userId);
      if (!user || user.status !== 'active') return { kind: 'refused', reason: 'blocked' };
      if (identity) return identity.userId === user.id ? { kind: 'linked', user } : { kind: 'refused', reason: 'linked_elsewhere' };
      if (!(await this.link(u, profile, user.id, 'signed_in', ip))) return { kind: 'refused', reason: 'linked_elsewhere' };
      return { kind: 'linked', user };
    }
    if (identity) {
      const user = await this.storage.findUserById(identity.userId);
      if (!user || user.status !== 'active') {
        await this.auditSignIn(u, identity.userId, 'refused', ip, 'blocked');
        return { kind: 'refused', reason: 'blocked' };
      }
      await this.storage.upstreams.recordIdentityUse(u.name, profile.subject, now);
      return { kind: 'sign_in', user, linked: false, record: () => this.auditSignIn(u, user.id, 'ok', ip) };
    }
    // Only an address the upstream verified, and only where the operator said that is enough (it trusts the upstream's
    // verification as its own): otherwise whoever controls an upstream account could take any account by naming its address.
    if (u.linkVerifiedEmail && profile.emailVerified && profile.email) {
      const owners = await this.storage.findUsersByConfirmedEmail(profile.email);
      const owner = owners.length === 1 ? owners[0]! : null;
      if (owner && (await this.link(u, profile, owner.id, 'verified_email', ip))) {
        await this.storage.upstreams.recordIdentityUse(u.name, profile.subject, now);
        return { kind: 'sign_in', user: owner, linked: true, record: () => this.auditSignIn(u, owner.id, 'ok', ip) };
      }
    }
    if (!signupEnabled) {
      await this.auditSignIn(u, null, 'refused', ip, 'signup_disabled');
      return { kind: 'refused', reason: 'signup_disabled' };
    }
    return { kind: 'register' };
  }

  /** False when this upstream account is linked already (to anyone). */
  async link(u: UpstreamRecord, profile: UpstreamProfile, userId: UserId, how: 'signed_in' | 'verified_email' | 'sign_up', ip: string | null): Promise<boolean> {
    const now = this.clock();
    const linked = await this.storage.upstreams.linkIdentity({ upstream: u.name, subject: profile.subject, userId, email: profile.email, createdAt: now, lastUsedAt: now });
    if (linked) await this.audit.record({ action: 'upstream_linked', actor: { type: 'user', id: userId }, userId, ip, details: { upstream: u.name, how } });
    return linked;
  }

  /** Unlinks one of the user's identities, unless it is their last way to sign in. */
  async unlink(user: UserRecord, upstream: string, subject: string, ip: string | null): Promise<'unlinked' | 'last_way' | 'not_found'> {
    const identities = await this.storage.upstreams.listIdentities(user.id);
    if (!identities.some((i) => i.upstream === upstream && i.subject === subject)) return 'not_found';
    const passkeys = await this.storage.passkeys.listPasskeys(user.id);
    // Other ways in: a password, a passkey that is a whole sign-in by itself (it verified its user), another identity.
    const otherWays = (user.passwordHash !== null ? 1 : 0) + passkeys.filter((p) => p.userVerified).length + identities.length - 1;
    if (otherWays === 0) return 'last_way';
    if (!(await this.storage.upstreams.unlinkIdentity(user.id, upstream, subject))) return 'not_found';
    await this.audit.record({ action: 'upstream_unlinked', actor: { type: 'user', id: user.id }, userId: user.id, ip, details: { upstream } });
    return 'unlinked';
  }

  async auditSignIn(u: UpstreamRecord, userId: UserId | null, outcome: 'ok' | 'failed' | 'refused', ip: string | null, reason?: string): Promise<void> {
    await this.audit.record({
      action: 'sign_in', outcome, actor: outcome === 'ok' && userId ? { type: 'user', id: userId } : { type: 'anonymous' }, userId, ip,
      details: { method: 'upstream', upstream: u.name, ...(reason ? { reason } : {}) },
    });
  }

  /** Keeps the profile for the confirmation page; returns the token for the browser's cookie. */
  async holdRegistration(u: UpstreamRecord, browser: SecretHash, profile: UpstreamProfile, flow: Flow): Promise<string> {
    const token = randomToken(32);
    const now = this.clock();
    await this.storage.upstreams.createUpstreamState({
      hash: sha256Hex(token), browser, upstream: u.name, purpose: 'register', payloadSealed: this.secrets.seal(JSON.stringify({ p: profile, f: flow })),
      createdAt: now, expiresAt: now + FLOW_TTL_MS, consumedAt: null,
    });
    return `${u.name}.${token}`;
  }

  /** The registration this browser holds; `take` uses it up (exactly one caller gets it). */
  async registration(cookie: string | undefined, browser: SecretHash | null, take: boolean): Promise<Registration | null> {
    const [name, token] = (cookie ?? '').split('.');
    if (!name || !token || token.length > 100 || !browser) return null;
    const u = await this.upstreams.find(name);
    if (!u) return null;
    const hash = sha256Hex(token);
    const now = this.clock();
    let payloadSealed: string;
    if (take) {
      const used = await this.storage.upstreams.consumeUpstreamState(hash, browser, u.name, 'register', now);
      if (used.outcome !== 'consumed') return null;
      payloadSealed = used.record.payloadSealed;
    } else {
      const found = await this.storage.upstreams.findUpstreamState(hash, browser, u.name, 'register', now);
      if (!found) return null;
      payloadSealed = found.payloadSealed;
    }
    const { p, f } = JSON.parse(this.secrets.open(payloadSealed)) as { p: UpstreamProfile; f: Flow };
    return { upstream: u, profile: p, flow: f };
  }

  /** A free login to suggest for a new account: the upstream's, else the address's local part, made valid and free. */
  async suggestLogin(profile: UpstreamProfile): Promise<string> {
    const raw = (profile.login ?? profile.email?.split('@')[0] ?? 'user').toLowerCase();
    let base = raw.replace(/[^a-z0-9._-]+/g, '').replace(/^[._-]+|[._-]+$/g, '').slice(0, 34) || 'user';
    try {
      base = validateLogin(base);
    } catch {
      base = 'user';
    }
    for (let i = 0; i < 20; i++) {
      const candidate = i === 0 ? base : `${base}${String(Math.floor(Math.random() * 10 ** Math.min(2 + i, 5)))}`;
      if (!(await this.storage.findUserByLogin(candidate))) return candidate;
    }
    return `${base}${randomToken(3).toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 40);
  }
}
