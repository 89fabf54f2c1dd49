/** The upstream store (../upstream-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import type { Kysely, Selectable } from 'kysely';
import type { SecretHash } from '../../crypto/random.js';
import type { Millis, UserId } from '../../types.js';
import type { ConsumeResult } from '../storage.js';
import type {
  UpstreamIdentityRecord, UpstreamKind, UpstreamRecord, UpstreamStatePurpose, UpstreamStateRecord, UpstreamStore,
} from '../upstream-store.js';
import type { Database, UpstreamIdentitiesTable, UpstreamStatesTable, UpstreamsTable } from './schema.js';
import { transact } from './units.js';
import { num, numOrNull } from './values.js';

function toUpstream(r: Selectable<UpstreamsTable>): UpstreamRecord {
  return {
    name: r.name,
    displayName: r.display_name,
    kind: r.kind as UpstreamKind,
    issuer: r.issuer,
    clientId: r.client_id,
    clientSecretSealed: r.client_secret_sealed,
    scope: r.scope,
    authorizationEndpoint: r.authorization_endpoint,
    tokenEndpoint: r.token_endpoint,
    userinfoEndpoint: r.userinfo_endpoint,
    linkVerifiedEmail: num(r.link_verified_email) === 1,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

function toIdentity(r: Selectable<UpstreamIdentitiesTable>): UpstreamIdentityRecord {
  return {
    upstream: r.upstream,
    subject: r.subject,
    userId: r.user_id as UserId,
    email: r.email,
    createdAt: num(r.created_at),
    lastUsedAt: numOrNull(r.last_used_at),
  };
}

function toState(r: Selectable<UpstreamStatesTable>): UpstreamStateRecord {
  return {
    hash: r.hash as SecretHash,
    browser: r.browser as SecretHash,
    upstream: r.upstream,
    purpose: r.purpose as UpstreamStatePurpose,
    payloadSealed: r.payload_sealed,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    consumedAt: numOrNull(r.consumed_at),
  };
}

export class SqlUpstreamStore implements UpstreamStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createUpstream(u: UpstreamRecord): Promise<boolean> {
    const added = await this.db.insertInto('upstreams').values({
      name: u.name, display_name: u.displayName, kind: u.kind, issuer: u.issuer, client_id: u.clientId, client_secret_sealed: u.clientSecretSealed,
      scope: u.scope, authorization_endpoint: u.authorizationEndpoint, token_endpoint: u.tokenEndpoint, userinfo_endpoint: u.userinfoEndpoint,
      link_verified_email: u.linkVerifiedEmail ? 1 : 0, created_at: u.createdAt, updated_at: u.updatedAt,
    }).onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
    return Number(added.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findUpstream(name: string): Promise<UpstreamRecord | null> {
    const row = await this.db.selectFrom('upstreams').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toUpstream(row) : null;
  }

  async listUpstreams(): Promise<UpstreamRecord[]> {
    return (await this.db.selectFrom('upstreams').selectAll().orderBy('name').execute()).map(toUpstream);
  }

  async updateUpstream(name: string, p: Partial<Omit<UpstreamRecord, 'name' | 'createdAt'>>): Promise<boolean> {
    const row: Partial<UpstreamsTable> = {};
    if (p.displayName !== undefined) row.display_name = p.displayName;
    if (p.kind !== undefined) row.kind = p.kind;
    if (p.issuer !== undefined) row.issuer = p.issuer;
    if (p.clientId !== undefined) row.client_id = p.clientId;
    if (p.clientSecretSealed !== undefined) row.client_secret_sealed = p.clientSecretSealed;
    if (p.scope !== undefined) row.scope = p.scope;
    if (p.authorizationEndpoint !== undefined) row.authorization_endpoint = p.authorizationEndpoint;
    if (p.tokenEndpoint !== undefined) row.token_endpoint = p.tokenEndpoint;
    if (p.userinfoEndpoint !== undefined) row.userinfo_endpoint = p.userinfoEndpoint;
    if (p.linkVerifiedEmail !== undefined) row.link_verified_email = p.linkVerifiedEmail ? 1 : 0;
    if (p.updatedAt !== undefined) row.updated_at = p.updatedAt;
    const r = await this.db.updateTable('upstreams').set(row).where('name', '=', name).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteUpstream(name: string): Promise<boolean> {
    // Explicitly, not only by the foreign keys' cascade: SQLite enforces them only when told to.
    return transact(this.db, async (tx) => {
      await tx.deleteFrom('upstream_states').where('upstream', '=', name).execute();
      await tx.deleteFrom('upstream_identities').where('upstream', '=', name).execute();
      const r = await tx.deleteFrom('upstreams').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    });
  }

  async linkIdentity(i: UpstreamIdentityRecord): Promise<boolean> {
    const added = await this.db.insertInto('upstream_identities').values({
      upstream: i.upstream, subject: i.subject, user_id: i.userId, email: i.email?.slice(0, 254) ?? null, created_at: i.createdAt, last_used_at: i.lastUsedAt,
    }).onConflict((oc) => oc.columns(['upstream', 'subject']).doNothing()).executeTakeFirst();
    return Number(added.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findIdentity(upstream: string, subject: string): Promise<UpstreamIdentityRecord | null> {
    const row = await this.db.selectFrom('upstream_identities').selectAll().where('upstream', '=', upstream).where('subject', '=', subject).executeTakeFirst();
    return row ? toIdentity(row) : null;
  }

  async listIdentities(userId: UserId): Promise<UpstreamIdentityRecord[]> {
    const rows = await this.db.selectFrom('upstream_identities').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('upstream').execute();
    return rows.map(toIdentity);
  }

  async recordIdentityUse(upstream: string, subject: string, at: Millis): Promise<void> {
    await this.db.updateTable('upstream_identities').set({ last_used_at: at }).where('upstream', '=', upstream).where('subject', '=', subject).execute();
  }

  async unlinkIdentity(userId: UserId, upstream: string, subject: string): Promise<boolean> {
    const r = await this.db.deleteFrom('upstream_identities').where('user_id', '=', userId).where('upstream', '=', upstream).where('subject', '=', subject).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async createUpstreamState(s: UpstreamStateRecord): Promise<void> {
    await this.db.insertInto('upstream_states').values({
      hash: s.hash, browser: s.browser, upstream: s.upstream, purpose: s.purpose, payload_sealed: s.payloadSealed,
      created_at: s.createdAt, expires_at: s.expiresAt, consumed_at: s.consumedAt,
    }).execute();
  }

  async findUpstreamState(hash: SecretHash, browser: SecretHash, upstream: string, purpose: UpstreamStatePurpose, now: Millis): Promise<UpstreamStateRecord | null> {
    const row = await this.db.selectFrom('upstream_states').selectAll()
      .where('hash', '=', hash).where('browser', '=', browser).where('upstream', '=', upstream).where('purpose', '=', purpose)
      .where('consumed_at', 'is', null).where('expires_at', '>', now)
      .executeTakeFirst();
    return row ? toState(row) : null;
  }

  async consumeUpstreamState(hash: SecretHash, browser: SecretHash, upstream: string, purpose: UpstreamStatePurpose, now: Millis): Promise<ConsumeResult<UpstreamStateRecord>> {
    const won = await this.db.updateTable('upstream_states').set({ consumed_at: now })
      .where('hash', '=', hash).where('browser', '=', browser).where('upstream', '=', upstream).where('purpose', '=', purpose)
      .where('consumed_at', 'is', null).where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (won) return { outcome: 'consumed', record: toState(won) };
    const seen = await this.db.selectFrom('upstream_states').selectAll()
      .where('hash', '=', hash).where('browser', '=', browser).where('upstream', '=', upstream).where('purpose', '=', purpose)
      .executeTakeFirst();
    return seen && seen.consumed_at !== null ? { outcome: 'already_consumed', record: toState(seen) } : { outcome: 'not_found' };
  }

  async deleteExpiredUpstreamStates(now: Millis): Promise<number> {
    const r = await this.db.deleteFrom('upstream_states').where('expires_at', '<', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
