/**
 * Migration 0015 on a database that already has users: an address becomes
 * confirmed only where the operator set it (the audit log says the operator's
 * command line created the user, and the user has not edited their profile
 * since); addresses people typed in themselves wait for confirmation. On
 * SQLite and PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { describe, expect, inject, test } from 'vitest';
import { migrate, openKysely } from '../../src/storage/open.js';
import { MIGRATIONS } from '../../src/storage/sql/migrations/index.js';
import type { Database } from '../../src/storage/sql/schema.js';
import { SqlStorage } from '../../src/storage/sql/sql-storage.js';
import { freshDatabase } from '../helpers/postgres.js';

const BEFORE = '0007-images';

async function scenario(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db, provider: { getMigrations: async () => MIGRATIONS }, migrationTableName: 'gatehouse_migrations', migrationLockTableName: 'gatehouse_migrations_lock',
  });
  expect((await migrator.migrateTo(BEFORE)).error).toBeUndefined();
  const any = db as unknown as Kysely<any>;
  const user = (id: string, login: string, emails: string[]) => ({
    id, login, password_hash: null, first_name: null, last_name: null, display_name: null, sex: null, birthday: null,
    emails: JSON.stringify(emails), default_email: emails[0] ?? null, default_phone: '+15551234567', avatar_id: null,
    is_developer: 0, is_admin: 0, status: 'active', created_at: 1, updated_at: 1,
  });
  await any.insertInto('users').values([
    user('100000000000001', 'byoperator', ['Ops.Made@Example.org']),
    user('100000000000002', 'signedup', ['typed@example.org']),
    user('100000000000003', 'editedlater', ['changed@example.org']),
    user('100000000000004', 'beforeaudit', ['old@example.org']),
  ]).execute();
  const audit = (id: string, action: string, actorType: string, actorId: string | null, userId: string, details: object) => ({
    id, at: 1, action, outcome: 'ok', actor_type: actorType, actor_id: actorId, user_id: userId, client_id: null, ip: null, details: JSON.stringify(details),
  });
  await any.insertInto('audit_log').values([
    audit('1', 'user_created', 'operator', null, '100000000000001', { login: 'byoperator' }),
    audit('2', 'sign_up', 'user', '100000000000002', '100000000000002', {}),
    audit('3', 'user_created', 'operator', null, '100000000000003', { login: 'editedlater' }),
    audit('4', 'user_updated', 'user', '100000000000003', '100000000000003', { fields: 'profile' }),
    // An operator's change on /admin is not the user editing their profile.
    audit('5', 'user_updated', 'user', '100000000000009', '100000000000001', { login: 'byoperator', action: 'make_developer', by: 'operator' }),
    audit('6', 'token_issued', 'app', 'c', null as unknown as string, {}),
  ]).execute();

  await migrate(db);
  const storage = new SqlStorage(db);
  const confirmed = async (id: string) => {
    const u = (await storage.findUserById(id as never))!;
    return { emails: u.confirmedEmails, phone: u.confirmedPhone };
  };
  expect(await confirmed('100000000000001')).toEqual({ emails: ['ops.made@example.org'], phone: null });
  expect(await confirmed('100000000000002')).toEqual({ emails: [], phone: null });
  expect(await confirmed('100000000000003')).toEqual({ emails: [], phone: null });
  expect(await confirmed('100000000000004')).toEqual({ emails: [], phone: null });
}

describe('migration 0015 (confirmed addresses)', () => {
  test('confirms only what the operator set: SQLite', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-m15-'));
    const db = openKysely({ dataDir, databaseUrl: '' });
    try {
      await scenario(db);
    } finally {
      await db.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('confirms only what the operator set: PostgreSQL', async () => {
    const database = await freshDatabase(inject('postgresUrl'));
    const db = openKysely({ dataDir: '/nonexistent', databaseUrl: database.url });
    try {
      await scenario(db);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
