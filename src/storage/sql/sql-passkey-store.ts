/** The passkey store (../passkey-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { SecretHash } from '../../crypto/random.js';
import type { Millis, UserId } from '../../types.js';
import type { PasskeyRecord, PasskeyStore, WebAuthnChallengeRecord, WebAuthnPurpose } from '../passkey-store.js';
import type { ConsumeResult } from '../storage.js';
import type { Database, PasskeysTable, WebAuthnChallengesTable } from './schema.js';
import { num, numOrNull } from './values.js';

function toPasskey(r: Selectable<PasskeysTable>): PasskeyRecord {
  return {
    id: r.id,
    userId: r.user_id as UserId,
    publicKey: r.public_key,
    counter: num(r.counter),
    transports: JSON.parse(r.transports) as string[],
    aaguid: r.aaguid,
    backupEligible: num(r.backup_eligible) === 1,
    backedUp: num(r.backed_up) === 1,
    userVerified: num(r.user_verified) === 1,
    name: r.name,
    createdAt: num(r.created_at),
    lastUsedAt: numOrNull(r.last_used_at),
  };
}

function toChallenge(r: Selectable<WebAuthnChallengesTable>): WebAuthnChallengeRecord {
  return {
    hash: r.hash as SecretHash,
    browser: r.browser as SecretHash,
    purpose: r.purpose as WebAuthnPurpose,
    userId: r.user_id as UserId | null,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    consumedAt: numOrNull(r.consumed_at),
  };
}

export class SqlPasskeyStore implements PasskeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async addPasskey(p: PasskeyRecord): Promise<boolean> {
    const added = await this.db.insertInto('passkeys').values({
      id: p.id, user_id: p.userId, public_key: p.publicKey, counter: p.counter, transports: JSON.stringify(p.transports.slice(0, 10)),
      aaguid: p.aaguid, backup_eligible: p.backupEligible ? 1 : 0, backed_up: p.backedUp ? 1 : 0, user_verified: p.userVerified ? 1 : 0,
      name: p.name.slice(0, 100), created_at: p.createdAt, last_used_at: p.lastUsedAt,
    }).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    return Number(added.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findPasskey(id: string): Promise<PasskeyRecord | null> {
    const row = await this.db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toPasskey(row) : null;
  }

  async listPasskeys(userId: UserId): Promise<PasskeyRecord[]> {
    const rows = await this.db.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toPasskey);
  }

  async renamePasskey(userId: UserId, id: string, name: string): Promise<boolean> {
    const r = await this.db.updateTable('passkeys').set({ name: name.slice(0, 100) }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deletePasskey(userId: UserId, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('passkeys').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async recordPasskeyUse(id: string, use: { counter: number; backedUp: boolean; at: Millis }): Promise<boolean> {
    // One conditional UPDATE: the counter must move forward (or stay 0 for keys without one), so of two
    // assertions carrying the same counter only one is recorded, and a removed key records nothing.
    const r = await this.db.updateTable('passkeys')
      .set({ counter: use.counter, backed_up: use.backedUp ? 1 : 0, last_used_at: use.at })
      .where('id', '=', id)
      .where(use.counter === 0 ? sql<boolean>`counter = 0` : sql<boolean>`counter < ${use.counter}`)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async createWebAuthnChallenge(c: WebAuthnChallengeRecord): Promise<void> {
    await this.db.insertInto('webauthn_challenges').values({
      hash: c.hash, browser: c.browser, purpose: c.purpose, user_id: c.userId, created_at: c.createdAt, expires_at: c.expiresAt, consumed_at: c.consumedAt,
    }).execute();
  }

  async consumeWebAuthnChallenge(hash: SecretHash, browser: SecretHash, purpose: WebAuthnPurpose, now: Millis): Promise<ConsumeResult<WebAuthnChallengeRecord>> {
    const won = await this.db.updateTable('webauthn_challenges').set({ consumed_at: now })
      .where('hash', '=', hash).where('browser', '=', browser).where('purpose', '=', purpose)
      .where('consumed_at', 'is', null).where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (won) return { outcome: 'consumed', record: toChallenge(won) };
    const seen = await this.db.selectFrom('webauthn_challenges').selectAll()
      .where('hash', '=', hash).where('browser', '=', browser).where('purpose', '=', purpose)
      .executeTakeFirst();
    return seen && seen.consumed_at !== null ? { outcome: 'already_consumed', record: toChallenge(seen) } : { outcome: 'not_found' };
  }

  async deleteExpiredWebAuthnChallenges(now: Millis): Promise<number> {
    const r = await this.db.deleteFrom('webauthn_challenges').where('expires_at', '<', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
