/** The resource store (../resource-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import type { Kysely, Selectable } from 'kysely';
import type { ClientId } from '../../types.js';
import type { ResourceServerRecord, ResourceStore } from '../resource-store.js';
import type { Database, ResourceServersTable } from './schema.js';

function toResource(r: Selectable<ResourceServersTable>): ResourceServerRecord {
  return { uri: r.uri, name: r.name, jwt: Number(r.jwt) === 1, clientId: r.client_id as ClientId | null, createdAt: Number(r.created_at) };
}

export class SqlResourceStore implements ResourceStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createResource(r: ResourceServerRecord): Promise<boolean> {
    const result = await this.db.insertInto('resource_servers')
      .values({ uri: r.uri, name: r.name, jwt: r.jwt ? 1 : 0, client_id: r.clientId, created_at: r.createdAt })
      .onConflict((oc) => oc.column('uri').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async findResource(uri: string): Promise<ResourceServerRecord | null> {
    const row = await this.db.selectFrom('resource_servers').selectAll().where('uri', '=', uri).executeTakeFirst();
    return row ? toResource(row) : null;
  }

  async listResources(): Promise<ResourceServerRecord[]> {
    return (await this.db.selectFrom('resource_servers').selectAll().orderBy('created_at').orderBy('uri').execute()).map(toResource);
  }

  async resourcesOfApp(clientId: ClientId): Promise<ResourceServerRecord[]> {
    return (await this.db.selectFrom('resource_servers').selectAll().where('client_id', '=', clientId).orderBy('uri').execute()).map(toResource);
  }

  async deleteResource(uri: string): Promise<boolean> {
    const result = await this.db.deleteFrom('resource_servers').where('uri', '=', uri).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
