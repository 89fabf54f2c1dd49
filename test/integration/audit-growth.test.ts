/**
 * The audit log cannot be grown without bound by people who are not signed
 * in: repeated anonymous failures from one address share one entry per hour
 * that counts them, and the periodic clean-up deletes entries older than
 * `GATEHOUSE_AUDIT_RETENTION` days.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatAuditEntry, listAuditEntries } from '../../src/audit/audit-log.js';
import type { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import { cleanUpOnce } from '../../src/storage/cleanup.js';
import type { AuditEntry } from '../../src/storage/storage.js';
import { startGatehouse, testClock, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const RETENTION_DAYS = 30;

const clock = testClock(Date.UTC(2025, 0, 1));
let gh: TestGatehouse;

beforeAll(async () => {
  gh = await startGatehouse({ clock, config: { auditRetentionDays: RETENTION_DAYS } });
});
afterAll(async () => {
  await gh?.close();
});

const rowCount = async () => Number((await (gh.ctx.storage as SqlStorage).db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** `n` wrong passwords through /login, `parallel` at a time, as a script would send them. */
async function failSignIns(n: number, login: (i: number) => string, parallel = 8): Promise<number[]> {
  const stranger = new HttpUser(gh, 'stranger', 'x');
  const fields = hiddenFields(await (await stranger.get('/login')).text());
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < n) {
      const i = next++;
      statuses.push((await stranger.post('/login', { ...fields, login: login(i), password: `guess ${i}` })).status);
    }
  }));
  return statuses;
}

const signInsSince = (entries: AuditEntry[], at: number) => entries.filter((e) => e.action === 'sign_in' && e.at >= at);
const countOf = (e: AuditEntry) => e.repeated?.count ?? 1;

describe('anonymous failures are counted, not stored one by one', () => {
  test('500 failed sign-ins for unknown logins add at most a few rows, whose counts add up to 500', async () => {
    const before = await rowCount();
    const start = clock();
    const statuses = await failSignIns(500, (i) => `nobody-${i}`);
    // The per-address limit (200 an hour) turns the rest into refusals: both kinds are counted.
    expect(statuses.filter((s) => s === 401)).toHaveLength(200);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300);
    const added = (await rowCount()) - before;
    expect(added).toBeLessThanOrEqual(2);
    const entries = signInsSince(await listAuditEntries(gh.ctx, { limit: 100 }), start);
    expect(entries.map((e) => [e.outcome, e.userId, e.ip, countOf(e)]).sort()).toEqual([
      ['failed', null, '127.0.0.1', 200],
      ['refused', null, '127.0.0.1', 300],
    ]);
    expect(entries.every((e) => e.repeated!.lastAt >= e.at)).toBe(true);
    expect(formatAuditEntry(entries.find((e) => e.outcome === 'failed')!)).toMatch(/sign_in failed ×200 /);
  }, 300_000);

  test('a new hour starts a new entry; failures for an existing account stay apart, naming it', async () => {
    clock.advance(HOUR);
    const owner = await gh.createUser('counted-owner');
    const start = clock();
    await failSignIns(30, (i) => (i % 2 === 0 ? 'counted-owner' : `unknown-${i}`));
    const entries = signInsSince(await listAuditEntries(gh.ctx, { limit: 100 }), start);
    expect(entries.map((e) => [e.outcome, e.userId, countOf(e)]).sort()).toEqual([
      ['failed', null, 15],
      ['failed', owner.id, 15],
    ]);
  }, 120_000);
});

describe('retention (GATEHOUSE_AUDIT_RETENTION)', () => {
  test('the clean-up deletes entries older than the retention, and keeps the rest', async () => {
    const oldest = (await listAuditEntries(gh.ctx, { limit: 10_000 })).length;
    expect(oldest).toBeGreaterThan(0);
    clock.advance((RETENTION_DAYS - 1) * DAY);
    await failSignIns(1, () => 'recent-nobody', 1);
    await cleanUpOnce(gh.ctx.storage, clock(), gh.ctx.config);
    expect(await listAuditEntries(gh.ctx, { limit: 10_000 })).toHaveLength(oldest + 1);

    clock.advance(2 * DAY);
    await cleanUpOnce(gh.ctx.storage, clock(), gh.ctx.config);
    const left = await listAuditEntries(gh.ctx, { limit: 10_000 });
    expect(left.map((e) => e.outcome)).toEqual(['failed']);
    expect(left[0]!.at).toBe(clock() - 2 * DAY);
  });
});
