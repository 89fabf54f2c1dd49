/** The storage contract on PostgreSQL: a fresh database per test on the run's throwaway server. */
import { inject } from 'vitest';
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
