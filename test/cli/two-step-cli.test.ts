/**
 * `gatehouse user reset-two-step --login L`, run as the operator runs it (the
 * built CLI): a user who lost their phone and recovery codes signs in with the
 * password again; the audit log says the operator did it, and names no key or code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext, type Context } from '../../src/context.js';
import { totpCode } from '../helpers/two-step.js';
import { gatehouseCli } from './support.js';

let dataDir: string;
const ISSUER = 'https://id.example.org';

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-two-step-cli-'));
});
afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function withCtx<T>(fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await createContext(loadConfig({ dataDir, issuer: ISSUER, logLevel: 'silent' }, {}));
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

test('user reset-two-step deletes the key and every recovery code, and the audit log records the operator', { timeout: 240_000 }, async () => {
  const key = await withCtx(async (ctx) => {
    const user = await ctx.users.create({ login: 'lostphone', password: 'correct horse battery' });
    const enrolment = (await ctx.twoStep.enrolment(user))!;
    const confirmed = await ctx.twoStep.confirm(user, totpCode(enrolment.secret, ctx.clock()), { type: 'user', id: user.id }, null);
    expect(confirmed.ok).toBe(true);
    return enrolment.secret;
  });
  const result = await gatehouseCli({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ISSUER: ISSUER }, ['user', 'reset-two-step', '--login', 'LostPhone']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^two-step sign-in is reset for lostphone/);
  await withCtx(async (ctx) => {
    const user = (await ctx.storage.findUserByLogin('lostphone'))!;
    expect(await ctx.storage.twoStep.findTotp(user.id)).toBeNull();
    expect(await ctx.storage.twoStep.countRecoveryCodes(user.id)).toBe(0);
    const [entry] = await ctx.storage.listAudit({ userId: user.id, action: 'two_step_disabled' });
    expect(entry).toMatchObject({ actorType: 'operator', details: { login: 'lostphone', by: 'operator' } });
    expect(JSON.stringify(await ctx.storage.listAudit({ userId: user.id }))).not.toContain(key);
  });
  const unknown = await gatehouseCli({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ISSUER: ISSUER }, ['user', 'reset-two-step', '--login', 'nobody']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/no user with login nobody/);
});
