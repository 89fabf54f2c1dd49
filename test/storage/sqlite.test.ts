/** The storage contract on SQLite (a fresh file per test), and what only SQLite has: the file itself. */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { migrate, openKysely, openStorage, sqliteFile } from '../../src/storage/open.js';
import { MIGRATIONS } from '../../src/storage/sql/migrations/index.js';
import type { AppRecord, Storage, TokenRecord, UserRecord } from '../../src/storage/storage.js';
import type { Millis, UserId } from '../../src/types.js';
import { storageContract } from './contract.js';
import { appRecord, T0, userRecord } from './records.js';
import { randomHex, sha256Hex, type SecretHash } from '../../src/crypto/random.js';
import { deviceCodeContract } from './device-codes.contract.js';
import { mailContract } from './mail.contract.js';
import { passkeyContract } from './passkeys.contract.js';
import { maintenanceContract } from './maintenance.contract.js';
import { twoStepContract } from './two-step.contract.js';
import { webhookContract } from './webhooks.contract.js';
import { clientKeysContract } from './client-keys.contract.js';

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'gatehouse-sqlite-'));

/** A database Gatehouse has just migrated, opened read-only for `inspect`, then deleted. */
async function withMigratedFile(inspect: (db: SQLite.Database) => void): Promise<void> {
  const dataDir = tempDir();
  try {
    await (await openStorage({ dataDir, databaseUrl: '' })).close();
    const db = new SQLite(sqliteFile({ dataDir }), { readonly: true });
    try {
      inspect(db);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** SQLite's plan for a statement, its steps joined. */
const planOf = (db: SQLite.Database, text: string, ...parameters: unknown[]) =>
  (db.prepare(`explain query plan ${text}`).all(...parameters) as { detail: string }[]).map((p) => p.detail).join('; ');

/**
 * A database with every migration applied, made once: each test starts from a
 * copy of it, as the PostgreSQL contract starts from a template database.
 * Migrating from nothing is tested below ('applies every migration…').
 */
let template: Promise<string> | null = null;
const migratedTemplate = () => (template ??= (async () => {
  const dataDir = tempDir();
  await (await openStorage({ dataDir, databaseUrl: '' })).close();
  return sqliteFile({ dataDir });
})());
afterAll(async () => {
  if (template) rmSync(path.dirname(await template), { recursive: true, force: true });
});

const openSqlite = async () => {
  const dataDir = tempDir();
  copyFileSync(await migratedTemplate(), sqliteFile({ dataDir }));
  const config = { dataDir, databaseUrl: '' };
  const storage = await openStorage(config);
  const others: Storage[] = [];
  return {
    storage,
    reopen: async () => {
      const other = await openStorage(config);
      others.push(other);
      return other;
    },
    async close() {
      for (const other of others) await other.close();
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

storageContract('SQLite', openSqlite);
deviceCodeContract('SQLite', openSqlite);
maintenanceContract('SQLite', openSqlite);
passkeyContract('SQLite', openSqlite);
mailContract('SQLite', openSqlite);
twoStepContract('SQLite', openSqlite);
webhookContract('SQLite', openSqlite);
clientKeysContract('SQLite', openSqlite);

describe('SQLite file', () => {
  test('is created as <dataDir>/gatehouse.db in WAL mode', async () => {
    const dataDir = tempDir();
    try {
      const storage = await openStorage({ dataDir, databaseUrl: '' });
      await storage.close();
      const db = new SQLite(sqliteFile({ dataDir }), { readonly: true });
      try {
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        db.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('applies every migration on first open, none on the second, and keeps the data', async () => {
    const dataDir = tempDir();
    const config = { dataDir, databaseUrl: '' };
    try {
      const first = openKysely(config);
      const applied = await migrate(first);
      expect(applied.results?.map((r) => [r.migrationName, r.status])).toEqual(Object.keys(MIGRATIONS).map((name) => [name, 'Success']));
      await first.destroy();

      const storage = await openStorage(config);
      await storage.createUser({
        id: '100000000000001' as UserId, login: 'kept', passwordHash: null, firstName: null, lastName: null, displayName: null,
        sex: null, birthday: null, emails: [], defaultEmail: null, confirmedEmails: [], defaultPhone: null, confirmedPhone: null, avatarId: null, isDeveloper: false,
        isAdmin: false, status: 'active', createdAt: 1, updatedAt: 1,
      });
      await storage.close();

      const again = openKysely(config);
      expect((await migrate(again)).results).toEqual([]);
      await again.destroy();
      const reopened = await openStorage(config);
      expect((await reopened.findUserByLogin('kept'))?.id).toBe('100000000000001');
      await reopened.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('an up-to-date database is left alone; a pending migration is applied, one this build does not know is refused', async () => {
    const dataDir = tempDir();
    const config = { dataDir, databaseUrl: '' };
    const db = openKysely(config);
    try {
      await migrate(db);
      expect((await migrate(db)).results).toEqual([]);
      // The last migration undone and struck from the list: the next start applies it again.
      const names = Object.keys(MIGRATIONS);
      const last = names[names.length - 1]!;
      await MIGRATIONS[last]!.down!(db);
      await db.deleteFrom('gatehouse_migrations' as never).where('name' as never, '=', last as never).execute();
      expect((await migrate(db)).results?.map((r) => [r.migrationName, r.status])).toEqual([[last, 'Success']]);
      // A migration of a later build: Kysely's Migrator refuses the database, as before.
      await db.insertInto('gatehouse_migrations' as never).values({ name: '9999-later', timestamp: new Date().toISOString() } as never).execute();
      await expect(migrate(db)).rejects.toThrow(/migration .*9999-later is missing/);
    } finally {
      await db.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a write waiting for another connection\'s lock leaves the event loop free (no blocking busy wait)', async () => {
    const dataDir = tempDir();
    // Opened as after any restart: on a database already migrated (no schema change after the connection opens).
    await (await openStorage({ dataDir, databaseUrl: '' })).close();
    const storage = await openStorage({ dataDir, databaseUrl: '' });
    // Another writer (a second worker process, the CLI) holds the lock; here it is released from this process's own
    // event loop, so a connection that waited for it inside SQLite would block that loop until its busy timeout.
    const other = new SQLite(sqliteFile({ dataDir }));
    try {
      other.exec('begin immediate');
      const asked = performance.now();
      const written = storage.createUser(userRecord({ id: '100000000000002' as UserId, login: 'second' }));
      const released = await new Promise<number>((resolve) => setTimeout(() => {
        other.exec('commit');
        resolve(performance.now() - asked);
      }, 10));
      await written;
      // Blocked, the timer would fire only after the 5 s busy timeout: the bound is a liveness check, not a speed claim.
      expect(released).toBeLessThan(2500);
      expect((await storage.findUserByLogin('second'))?.id).toBe('100000000000002');
    } finally {
      other.close();
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a round of webhook delivery that finds nothing due writes nothing (no commit, no sync of the log)', async () => {
    const dataDir = tempDir();
    let syncs = 0;
    const counting = { sync: async () => void syncs++, close: async () => {} };
    const storage = await openStorage({ dataDir, databaseUrl: '' }, { walSyncer: counting });
    try {
      const before = syncs;
      expect(await storage.webhooks.claimWebhookDeliveries(Date.now() as never, 30_000, 10)).toEqual([]);
      expect(syncs).toBe(before);
    } finally {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a revocation whose statement joins the group a grant waits in is seen by the grant\'s check: the grant is refused, its tokens revoked before it answers', async () => {
    // The attack: a grant (a refresh, a code exchange) issued from what was read before a revocation, its
    // tokens written in the same group commit as the revocation's mark. The grant's writes and check run
    // when the group commits, after the mark: the check must see it and refuse, never answer 'saved'.
    const dataDir = tempDir();
    copyFileSync(await migratedTemplate(), sqliteFile({ dataDir }));
    let gate: Promise<void> | null = null;
    let syncsAsked = 0;
    const syncer = { sync: async () => { syncsAsked++; await gate; }, close: async () => {} };
    const storage = await openStorage({ dataDir, databaseUrl: '' }, { walSyncer: syncer });
    const family = (user: UserRecord, app: AppRecord): TokenRecord[] => {
      const base = {
        clientId: app.clientId, userId: user.id, scopes: ['login:info'], familyId: randomHex(16), deviceId: null, deviceName: null, isDebug: false,
        authTime: T0, amr: ['pwd'], createdAt: T0, revokedAt: null, rotatedAt: null, jkt: null, generation: 0, resources: [] as string[],
      };
      return [
        { ...base, hash: sha256Hex(randomHex(32)) as SecretHash, type: 'access' as const, expiresAt: (T0 + 3_600_000) as Millis },
        { ...base, hash: sha256Hex(randomHex(32)) as SecretHash, type: 'refresh' as const, expiresAt: (T0 + 36_000_000) as Millis },
      ];
    };
    try {
      const owners = Array.from({ length: 4 }, () => ({ user: userRecord(), app: appRecord() }));
      for (const { user, app } of owners) {
        await storage.createUser(user);
        await storage.createApp(app);
      }
      const [revoked, blockedUser, blockedApp] = owners as [typeof owners[0], typeof owners[0], typeof owners[0]];
      const families = owners.map(({ user, app }) => family(user, app));
      // A sync held open: the next statements gather in one group, which commits when it ends.
      let release!: () => void;
      gate = new Promise((resolve) => { release = resolve; });
      const asked = syncsAsked;
      const opener = storage.createUser(userRecord());
      for (let i = 0; i < 200 && syncsAsked === asked; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(syncsAsked).toBe(asked + 1);
      // The grants first, then the revocations: each revocation's first statement runs at once in the open
      // group; the grants' writes and checks wait for its commit.
      const grants = families.map((tokens) => storage.saveTokens(tokens, { now: T0, maxDeviceFamilies: 30 }));
      const revocations = [
        storage.revokeAccess({ userId: revoked.user.id, clientId: revoked.app.clientId }, (T0 + 1) as Millis),
        storage.updateUser(blockedUser.user.id, { status: 'blocked' }),
        storage.blockApp(blockedApp.app.clientId, 'operator', (T0 + 1) as Millis),
      ];
      gate = null;
      release();
      await opener;
      expect(await Promise.all(grants)).toEqual(['revoked', 'revoked', 'revoked', 'saved']);
      // Revoked by the grant's own settling, before it answered: not left for the revocation's later statements.
      for (const tokens of families.slice(0, 3)) for (const t of tokens) expect((await storage.findToken(t.hash))!.revokedAt).not.toBeNull();
      for (const t of families[3]!) expect((await storage.findToken(t.hash))!.revokedAt).toBeNull();
      await Promise.all(revocations);
    } finally {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('withdrawing consent finds the user\'s unexchanged codes through an index, not by reading every code', async () => {
    await withMigratedFile((db) => {
      for (const table of ['auth_codes', 'device_codes']) {
        for (const owner of ['"user_id" = ? and "client_id" = ?', '"user_id" = ?']) {
          // The statements revokeAccess runs (sql-storage.ts), as Kysely writes them.
          expect(planOf(db, `delete from "${table}" where "consumed_at" is null and ${owner}`, ...['1', 'a'].slice(0, owner.split('?').length - 1))).toContain(`USING INDEX ${table}_user_client`);
        }
      }
    });
  });

  test('tokens by user and app, and audit entries by user, are found through indexes that hold only rows with a user', async () => {
    await withMigratedFile((db) => {
      const plan = (text: string, ...parameters: unknown[]) => planOf(db, text, ...parameters);
      // The statements revokeAccess and the device cap run (sql-storage.ts), as Kysely writes them, and the audit log's by user.
      expect(plan('update "tokens" set "revoked_at" = ? where "revoked_at" is null and "user_id" = ? and "client_id" = ?', 1, '1', 'a')).toContain('USING INDEX tokens_user_client');
      expect(plan('update "tokens" set "revoked_at" = ? where "revoked_at" is null and "user_id" = ?', 1, '1')).toContain('USING INDEX tokens_user_client');
      expect(plan('select "id" from "audit_log" where "user_id" = ?', '1')).toMatch(/USING (COVERING )?INDEX audit_log_user\b/);
      // Rows without a user, or without a repeat key, have no entry in them.
      const definitions = db.prepare("select name, sql from sqlite_master where name in ('tokens_user_client', 'audit_log_user', 'audit_log_repeat') order by name").all() as { name: string; sql: string }[];
      expect(definitions.map((d) => [d.name, /where\s+"?(\w+)"?\s+is not null\s*$/i.exec(d.sql)?.[1]])).toEqual([['audit_log_repeat', 'repeat_key'], ['audit_log_user', 'user_id'], ['tokens_user_client', 'user_id']]);
    });
  });

  test('opens an explicit sqlite: URL', async () => {
    const dataDir = tempDir();
    try {
      const file = path.join(dataDir, 'elsewhere.db');
      const storage = await openStorage({ dataDir: path.join(dataDir, 'unused'), databaseUrl: `sqlite:${file}` });
      await storage.ping();
      await storage.close();
      const db = new SQLite(file, { readonly: true });
      expect(db.prepare("select count(*) as n from sqlite_master where name = 'tokens'").get()).toEqual({ n: 1 });
      db.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('refuses a database URL it cannot open with a readable error', async () => {
    const dataDir = tempDir();
    await expect(openStorage({ dataDir, databaseUrl: 'mysql://localhost/x' })).rejects.toThrow(/GATEHOUSE_DATABASE_URL/);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
