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
    config: { limits: { passwordResetPerAccount: { max: 2, windowMs: HOUR }, passwordResetPerIp: { max: 8, windowMs: HOUR } } },
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
});
