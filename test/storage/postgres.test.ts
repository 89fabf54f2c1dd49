/** The storage contract on PostgreSQL: a fresh database per test on the run's throwaway server. */
import pg from 'pg';
import { describe, expect, inject, test } from 'vitest';
import { openStorage } from '../../src/storage/open.js';
import type { Storage } from '../../src/storage/storage.js';
import { freshDatabase } from '../helpers/postgres.js';
import { storageContract } from './contract.js';
import { deviceCodeContract } from './device-codes.contract.js';
import { mailContract } from './mail.contract.js';
import { passkeyContract } from './passkeys.contract.js';
import { maintenanceContract } from './maintenance.contract.js';
import { twoStepContract } from './two-step.contract.js';
import { webhookContract } from './webhooks.contract.js';
import { clientKeysContract } from './client-keys.contract.js';

const openPostgreSql = async () => {
  const db = await freshDatabase(inject('postgresUrl'));
  const config = { dataDir: '/nonexistent', databaseUrl: db.url };
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
      await db.drop();
    },
  };
};

storageContract('PostgreSQL', openPostgreSql);
deviceCodeContract('PostgreSQL', openPostgreSql);
maintenanceContract('PostgreSQL', openPostgreSql);
passkeyContract('PostgreSQL', openPostgreSql);
mailContract('PostgreSQL', openPostgreSql);
twoStepContract('PostgreSQL', openPostgreSql);
webhookContract('PostgreSQL', openPostgreSql);
clientKeysContract('PostgreSQL', openPostgreSql);

describe('PostgreSQL indexes', () => {
  test('tokens by user and app, and audit entries by user, are found through indexes that hold only rows with a user', async () => {
    const db = await freshDatabase(inject('postgresUrl'));
    const storage = await openStorage({ dataDir: '/nonexistent', databaseUrl: db.url });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // With sequential scans priced out, the plan shows whether an index can serve the statement at all.
      await client.query('set enable_seqscan = off');
      const plan = async (text: string, parameters: unknown[]) =>
        (await client.query<{ 'QUERY PLAN': string }>({ text: `explain ${text}`, values: parameters })).rows.map((r) => r['QUERY PLAN']).join('\n');
      // The statements revokeAccess and the device cap run (sql-storage.ts), as Kysely writes them, and the audit log's by user.
      expect(await plan('update "tokens" set "revoked_at" = $1 where "revoked_at" is null and "user_id" = $2 and "client_id" = $3', [1, '1', 'a'])).toMatch(/Index (Only )?Scan on tokens_user_client|Index Scan using tokens_user_client/);
      expect(await plan('update "tokens" set "revoked_at" = $1 where "revoked_at" is null and "user_id" = $2', [1, '1'])).toMatch(/Index (Only )?Scan on tokens_user_client|Index Scan using tokens_user_client/);
      expect(await plan('select "id" from "audit_log" where "user_id" = $1', ['1'])).toMatch(/Index (Only )?Scan on audit_log_user|Index (Only )?Scan using audit_log_user/);
      // Rows without a user, or without a repeat key, have no entry in them.
      const definitions = (await client.query<{ indexname: string; indexdef: string }>(
        "select indexname, indexdef from pg_indexes where indexname in ('tokens_user_client', 'audit_log_user', 'audit_log_repeat') order by indexname",
      )).rows;
      expect(definitions.map((d) => [d.indexname, /WHERE \((\w+) IS NOT NULL\)$/.exec(d.indexdef)?.[1]])).toEqual([['audit_log_repeat', 'repeat_key'], ['audit_log_user', 'user_id'], ['tokens_user_client', 'user_id']]);
    } finally {
      await client.end();
      await storage.close();
      await db.drop();
    }
  });
});
