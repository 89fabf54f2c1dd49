/** The two-step store (../two-step-store.ts) over SQL, for SQLite and PostgreSQL alike. */
import type { Kysely, Selectable } from 'kysely';
import type { SecretHash } from '../../crypto/random.js';
import type { Millis, UserId } from '../../types.js';
import type { SecondFactorCounts, TotpRecord, TwoStepStore } from '../two-step-store.js';
import { compiledOnce } from './compiled-once.js';
import type { Database, TwoStepTable } from './schema.js';
import { transact } from './units.js';
import { num, numOrNull } from './values.js';

function toTotp(r: Selectable<TwoStepTable>): TotpRecord {
  return {
    userId: r.user_id as UserId,
    secretSealed: r.totp_secret_sealed,
    status: r.status as TotpRecord['status'],
    lastStep: numOrNull(r.last_step),
    createdAt: num(r.created_at),
    enabledAt: numOrNull(r.enabled_at),
  };
}

export class SqlTwoStepStore implements TwoStepStore {
  constructor(private readonly db: Kysely<Database>) {}

  async savePendingTotp(userId: UserId, secretSealed: string, now: Millis): Promise<boolean> {
    // One statement: an enabled row is never overwritten, however the calls race.
    const result = await this.db.insertInto('two_step')
      .values({ user_id: userId, totp_secret_sealed: secretSealed, status: 'pending', last_step: null, created_at: now, enabled_at: null })
      .onConflict((oc) => oc.column('user_id')
        .doUpdateSet({ totp_secret_sealed: secretSealed, created_at: now, last_step: null })
        .where('two_step.status', '=', 'pending'))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async findTotp(userId: UserId): Promise<TotpRecord | null> {
    const row = await this.db.selectFrom('two_step').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row ? toTotp(row) : null;
  }

  async enableTotp(userId: UserId, secretSealed: string, step: number, codeHashes: SecretHash[], now: Millis): Promise<boolean> {
    return transact(this.db, async (trx) => {
      const won = await trx.updateTable('two_step')
        .set({ status: 'enabled', last_step: step, enabled_at: now })
        .where('user_id', '=', userId).where('status', '=', 'pending').where('totp_secret_sealed', '=', secretSealed)
        .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
        .executeTakeFirst();
      if (Number(won.numUpdatedRows) !== 1) return false;
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      if (codeHashes.length > 0) {
        await trx.insertInto('recovery_codes').values(codeHashes.map((hash) => ({ user_id: userId, hash, created_at: now, used_at: null }))).execute();
      }
      return true;
    });
  }

  async acceptTotpStep(userId: UserId, step: number): Promise<boolean> {
    // Compare and set in one conditional UPDATE: of requests racing with the same code, one changes the row.
    const result = await this.db.updateTable('two_step').set({ last_step: step })
      .where('user_id', '=', userId).where('status', '=', 'enabled')
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteTwoStep(userId: UserId): Promise<void> {
    await transact(this.db, async (trx) => {
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      await trx.deleteFrom('two_step').where('user_id', '=', userId).execute();
    });
  }

  async replaceRecoveryCodes(userId: UserId, codeHashes: SecretHash[], now: Millis): Promise<void> {
    await transact(this.db, async (trx) => {
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      if (codeHashes.length > 0) {
        await trx.insertInto('recovery_codes').values(codeHashes.map((hash) => ({ user_id: userId, hash, created_at: now, used_at: null }))).execute();
      }
    });
  }

  async consumeRecoveryCode(userId: UserId, hash: SecretHash, now: Millis): Promise<boolean> {
    const result = await this.db.updateTable('recovery_codes').set({ used_at: now })
      .where('user_id', '=', userId).where('hash', '=', hash).where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async countRecoveryCodes(userId: UserId): Promise<number> {
    const row = await this.db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_id', '=', userId).where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return num(row.n);
  }

  /** Read at every sign-in (the second step it asks for): compiled once (compiled-once.ts). */
  private readonly factorCounts = compiledOnce((userId: string) => this.db.selectNoFrom((eb) => [
    eb.selectFrom('two_step').select('status').where('user_id', '=', userId).as('totp'),
    eb.selectFrom('recovery_codes').select(eb.fn.countAll<number | string>().as('n'))
      .where('user_id', '=', userId).where('used_at', 'is', null).as('recovery'),
    eb.selectFrom('passkeys').select(eb.fn.countAll<number | string>().as('n'))
      .where('user_id', '=', userId).where('user_verified', '=', 0).as('keys'),
  ]), { prepared: true });

  async secondFactorCounts(userId: UserId): Promise<SecondFactorCounts> {
    const row = (await this.db.executeQuery(this.factorCounts(userId))).rows[0]!;
    return { totp: row.totp === 'enabled', recoveryCodesLeft: num(row.recovery ?? 0), securityKeys: num(row.keys ?? 0) };
  }
}
