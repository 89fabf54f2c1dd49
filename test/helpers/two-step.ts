/**
 * Two-step sign-in for tests: codes computed as an authenticator app would
 * (otpauth, RFC 6238 with the defaults apps use: SHA-1, 6 digits, 30 s), the
 * key read from the setup page as a person reads it, and the forms of
 * /account and /login/two-step over plain HTTP.
 */
import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../../src/types.js';
import { hiddenFields, type HttpUser } from './http-client.js';

/** The code an app shows at `at` for a key (groups of four, spaces allowed). */
export function totpCode(key: string, at: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(key.replace(/\s/g, '')), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at });
}

/** The key as the setup page shows it, in groups of four. */
export function keyOnPage(page: string): string {
  const m = /id="totp-key"[^>]*>([A-Z2-7 ]+)</.exec(page);
  if (!m) throw new Error(`no key on the page: ${page.slice(0, 300)}`);
  return m[1]!;
}

/** The recovery codes a page lists. */
export function recoveryCodesOnPage(page: string): string[] {
  const list = /<ol id="recovery-codes"[^>]*>([\s\S]*?)<\/ol>/.exec(page);
  if (!list) throw new Error(`no recovery codes on the page: ${page.slice(0, 300)}`);
  return [...list[1]!.matchAll(/<li>([a-z0-9-]+)<\/li>/g)].map((m) => m[1]!);
}

/** A clock at the start of a 30-second step (plus a second), so a test's codes do not straddle two steps by accident. */
export function stepStart(now = Date.now()): number {
  return Math.floor(now / 30_000) * 30_000 + 1_000;
}

/** Turns two-step sign-in on from /account, as the owner does: the key from the page, a code, the password. */
export async function enrol(user: HttpUser, clock: Clock): Promise<{ key: string; recoveryCodes: string[] }> {
  const setup = await user.get('/account/two-step/setup');
  if (setup.status !== 200) throw new Error(`setup page answered ${setup.status}`);
  const page = await setup.text();
  const key = keyOnPage(page);
  const res = await user.post('/account/two-step/setup', { ...hiddenFields(page), code: totpCode(key, clock()), password: user.password });
  const answer = await res.text();
  if (res.status !== 200) throw new Error(`turning two-step sign-in on answered ${res.status}: ${answer.slice(0, 300)}`);
  return { key, recoveryCodes: recoveryCodesOnPage(answer) };
}

/** Posts a code to the second step of signing in (the CSRF token is the browser's own). */
export function secondStep(user: HttpUser, code: string, extra: Record<string, string> = {}): Promise<Response> {
  return user.post('/login/two-step', { csrf: user.jar.get('gatehouse_csrf') ?? '', code, ...extra });
}
