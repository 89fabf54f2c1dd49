/**
 * Limits on guessing, counted in storage so they hold across every process on
 * one database. Passwords and codes are counted before they are checked, so
 * parallel guesses cannot slip past a limit, and the right ones are forgiven
 * (`Storage.forgiveAttempt`); once a key passes its limit, further attempts are
 * refused without being checked until the window passes.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Storage } from '../storage/storage.js';
import type { Clock } from '../types.js';
import { OAuthError } from './errors.js';

export interface Limit {
  max: number;
  windowMs: number;
}

const HOUR = 3_600_000;

/** The defaults; operators override any of them with `GATEHOUSE_LIMITS` (see src/config.ts). */
export const LIMITS = {
  /**
   * Wrong 7-digit confirmation codes per app and address (docs/protocol.md §5.2): 5 a
   * minute, so 50 guesses in a code's 10-minute life. Right codes are forgiven.
   */
  verificationCode: { max: 5, windowMs: 60_000 },
  /**
   * Wrong 7-digit codes per app from one network (an IPv4 /24, an IPv6 /48),
   * so that one guesser with many addresses of one network (an IPv6 host has
   * billions) gets no more. Never counted across networks: a limit for the
   * whole app would let anyone lock every user of the app out (issue 15).
   */
  verificationCodePerClient: { max: 30, windowMs: 60_000 },
  /** Wrong user codes typed on /device, per session and per IP (RFC 8628 §5.1). */
  userCode: { max: 10, windowMs: 10 * 60_000 },
  /**
   * Wrong passwords for one account from browsers without the account's device
   * cookie (NIST SP 800-63B §5.2.2, OWASP's device cookies): after `max`, such
   * browsers are refused without the password being checked until the window
   * (from the first failure) ends. The owner's browser is not affected.
   */
  loginPerAccount: { max: 20, windowMs: HOUR },
  /** Wrong passwords from one browser with the account's device cookie; past it, that browser counts as unknown. */
  loginPerDevice: { max: 10, windowMs: HOUR },
  /**
   * Failed sign-ins to one account in a row, from anywhere (NIST SP 800-63B
   * §5.2.2: at most 100): past it, browsers without the account's device
   * cookie are refused until an operator unlocks the account (`gatehouse user
   * unlock`, or /admin) or the owner signs in from such a browser. There is
   * no mail to reset it by. The window is how long the count is kept.
   */
  loginFailuresBeforeReset: { max: 100, windowMs: 10 * 365 * 24 * HOUR },
  /** Wrong passwords from one address (from browsers without a device cookie), whatever the account (spraying). */
  loginPerIp: { max: 200, windowMs: HOUR },
  /** New accounts from one address. */
  signupPerIp: { max: 20, windowMs: HOUR },
  /**
   * Failed answers from other identity providers (a state of no sign-in, a code or id_token that does not hold up) per
   * network, as wrong passwords are counted: past it, that network's callbacks are refused unchecked until the window ends.
   */
  upstreamCallbackPerIp: { max: 60, windowMs: HOUR },
  /** Sign-ins started at other identity providers per address: each keeps a row for ten minutes. */
  upstreamStartPerIp: { max: 300, windowMs: HOUR },
  /**
   * Wrong client secrets at /token per client and address: past it, that
   * address's wrong secrets get 429 instead of 401. The right secret is never
   * refused (secrets carry 256 bits: a limit cannot make guessing any more
   * hopeless, it could only lock the app out on an attacker's behalf).
   */
  tokenFailuresPerClient: { max: 100, windowMs: 60_000 },
  /** Device authorizations started per client with its secret (each creates a pending row). */
  deviceCodePerClient: { max: 120, windowMs: 60_000 },
  /**
   * Device authorizations started without a secret (public apps, or Yandex's
   * secret-less /device/code), per client and address: anyone can send these,
   * so they never spend the app's own budget above.
   */
  deviceCodePerAddress: { max: 30, windowMs: 60_000 },
  /** Apps registered at `POST /register` (RFC 7591) from one network, whether open or with an initial access token. */
  registrationPerAddress: { max: 20, windowMs: HOUR },
  /** Pictures (avatars, app icons) uploaded per user: each can cost a second of a core to decode. */
  pictureUploadsPerUser: { max: 20, windowMs: HOUR },
  /** "Forgot your password?" mails per account (or per text typed, when it names no account): a mailbox is not flooded. */
  passwordResetPerAccount: { max: 5, windowMs: HOUR },
  /** "Forgot your password?" requests from one address, whatever they name (probing many accounts). */
  passwordResetPerIp: { max: 30, windowMs: HOUR },
  /** Address confirmation mails per account (sign-up, added addresses, "send again"). */
  confirmationMailPerAccount: { max: 10, windowMs: HOUR },
  /**
   * Wrong two-step codes (authenticator app or recovery code) per account, at
   * sign-in and on /account: past it, codes are refused unchecked until the
   * window ends. 10 an hour lets a guesser who knows the password try 240 codes
   * a day, about a 0.07% chance a day against 6 digits (RFC 6238 §5.2).
   */
  twoStepPerAccount: { max: 10, windowMs: HOUR },
  /**
   * WebAuthn challenges handed out per address (each is a row for a few
   * minutes): a sign-in page offering passkeys in the login field's autofill
   * asks for one each time it is shown.
   */
  webauthnChallengePerIp: { max: 600, windowMs: HOUR },
  /** Management API calls (/api/v1) per calling app: past it, 429 until the window ends. */
  apiRequestsPerClient: { max: 600, windowMs: 60_000 },
} satisfies Record<string, Limit>;

export type Limits = Record<keyof typeof LIMITS, Limit>;

/** Progressive delay before checking a password: nothing for the first few failures, then up to 5 s. */
export function loginDelayMs(failures: number): number {
  return failures < 5 ? 0 : Math.min(5_000, (failures - 4) * 250);
}

/** IPv6 as 8 numbers, or null; IPv4-mapped and IPv4-embedded tails are expanded too. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const groups = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/** `::ffff:192.0.2.1` (or `::ffff:c000:201`) is 192.0.2.1. */
function plainIp(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const g = ipv6Groups(ip);
  if (!g || g.slice(0, 5).some((n) => n !== 0) || g[5] !== 0xffff) return ip;
  return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.');
}

/**
 * The unit per-address limits count: an IPv4 address, or an IPv6 /64 (one
 * host or home gets a whole /64, so its single addresses would cost nothing).
 */
export function sourceAddress(ip: string): string {
  const plain = plainIp(ip);
  if (isIPv4(plain) || !isIPv6(plain)) return plain;
  const g = ipv6Groups(plain);
  return g ? `${g.slice(0, 4).map((n) => n.toString(16)).join(':')}::/64` : plain;
}

/** The network a source belongs to: an IPv4 /24 or an IPv6 /48. */
export function sourceNetwork(ip: string): string {
  const plain = plainIp(ip);
  if (isIPv4(plain)) return `${plain.split('.').slice(0, 3).join('.')}.0/24`;
  const g = isIPv6(plain) ? ipv6Groups(plain) : null;
  return g ? `${g.slice(0, 3).map((n) => n.toString(16)).join(':')}::/48` : plain;
}

export class TooManyAttempts extends OAuthError {
  constructor(description: string) {
    super('slow_down', description, 429);
  }
}

export async function isLimited(storage: Storage, clock: Clock, key: string, limit: Limit): Promise<boolean> {
  return (await storage.peekAttempts(key, limit.windowMs, clock())) >= limit.max;
}

/** Counts one failure; returns the count in the current window. */
export async function recordFailure(storage: Storage, clock: Clock, key: string, limit: Limit): Promise<number> {
  return storage.countAttempt(key, limit.windowMs, clock());
}
