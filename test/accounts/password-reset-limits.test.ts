/**
 * Limits on "forgot your password?" (GATEHOUSE_LIMITS `passwordResetPerAccount`
 * and `passwordResetPerIp`), counted in the database like every other limit:
 * a mailbox is not flooded (past the account's limit no mail goes out, and
 * the answer stays the same, so the limit tells nothing about the account),
 * and one network address cannot probe accounts without end (429).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PASSWORD } from '../console/support.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import { randomToken, sha256Hex } from '../../src/crypto/random.js';

let gh: TestGatehouse;
const clock = testClock();
const HOUR = 3_600_000;

async function forgot(value: string): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const visitor = new HttpUser(gh, '', '');
  const form = hiddenFields(await (await visitor.get('/login/forgot')).text());
  const res = await visitor.post('/login/forgot', { ...form, login: value });
  return { status: res.status, body: (await res.text()).replace(/value="[^"]*"/g, ''), retryAfter: res.headers.get('retry-after') };
}

const resetMails = async () => (await gh.ctx.storage.mail.listMails({ limit: 1000 })).filter((m) => m.kind === 'password_reset').length;

beforeAll(async () => {
  gh = await startGatehouse({
    clock,
    config: { limits: { passwordResetPerAccount: { max: 2, windowMs: HOUR }, passwordResetPerIp: { max: 8, windowMs: HOUR }, loginFailuresBeforeReset: { max: 3, windowMs: 24 * HOUR } } },
  });
  await gh.createUser('nadia', PASSWORD, { email: 'nadia@example.org' });
});
afterAll(async () => { await gh?.close(); });

describe('"forgot your password?" limits', () => {
  test('per account: past the limit no mail goes out, by login or by address, and the answer does not change', async () => {
    const first = await forgot('nadia');
    expect(first.status).toBe(200);
    await forgot('nadia@example.org');
    expect(await resetMails()).toBe(2);
    const third = await forgot('NADIA@example.org');
    expect(third).toEqual(first);
    expect(await resetMails()).toBe(2);
    const refused = (await gh.ctx.storage.listAudit({ action: 'mail_sent', limit: 100 })).filter((e) => e.outcome === 'refused');
    expect(refused.map((e) => e.details)).toEqual([{ kind: 'password_reset', reason: 'limited' }]);

    clock.advance(HOUR + 1);
    await forgot('nadia');
    expect(await resetMails()).toBe(3);
  });

  test('per network address: refused with 429 and Retry-After, whatever is typed', async () => {
    clock.advance(HOUR + 1);
    for (let i = 0; i < 8; i++) expect((await forgot(`someone${i}`)).status).toBe(200);
    const refused = await forgot('nadia');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('3600');
    expect(refused.body).toContain('Too many requests from your network');
  });

  test('a reset by mail lifts the lock that failed sign-ins in a row put on the account', async () => {
    const user = await gh.createUser('olga', PASSWORD, { email: 'olga@example.org' });
    for (let i = 0; i < 4; i++) await gh.ctx.signInGuard.signIn('olga', 'wrong password', `198.51.100.${i}`);
    expect(await gh.ctx.signInGuard.needsReset('olga')).toBe(true);
    expect(await gh.ctx.signInGuard.signIn('olga', PASSWORD, '198.51.100.9')).toEqual({ ok: false, reason: 'needs_reset' });

    const token = randomToken(32);
    const now = gh.ctx.clock();
    await gh.ctx.storage.mail.createMailLink({ hash: sha256Hex(token), kind: 'reset_password', userId: user.id, address: null, createdAt: now, expiresAt: now + HOUR, consumedAt: null });
    expect((await gh.ctx.passwordResets.complete(token, 'a brand new passphrase', '198.51.100.9')).ok).toBe(true);
    expect(await gh.ctx.signInGuard.needsReset('olga')).toBe(false);
    expect((await gh.ctx.signInGuard.signIn('olga', 'a brand new passphrase', '198.51.100.9')).ok).toBe(true);
  });
});
