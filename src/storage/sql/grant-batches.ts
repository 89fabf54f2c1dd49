/**
 * PostgreSQL: the token writes of concurrent grants share one statement and
 * one commit.
 *
 * Each grant outside a unit writes its tokens and their audit entry in one
 * statement, then reads back what they were issued under (the check after
 * commit, `SqlStorage.checkIssued`): two statements and a commit per grant,
 * most of a grant's cost in PostgreSQL's backend. Here the grants asked for
 * in one turn of the event loop, or while the batches before them are in
 * flight, go to the server together (at most MAX_BATCH): one INSERT of every
 * grant's tokens with every audit entry in its CTE (`HotWrites.grants`), one
 * implicit transaction, then one check statement reading every grant's
 * first token (`HotReads.issuedAllAfter`), sent behind it in the same round
 * trip. What each grant is told stays its own:
 * - Durability is the server's as before: a grant is answered once the
 *   statement that holds its tokens has committed, and the check that
 *   follows sees every revocation committed before that.
 * - Each grant is settled on its own row of the check (`settleIssued`), so
 *   a revocation refuses only the grants it revokes.
 * - When the server refuses the batch's INSERT (a foreign key: a user or an
 *   app deleted while their grant was in flight; anything else the server
 *   says no to), nothing of it was kept, and every grant of the batch is
 *   written again on its own by the path a lone grant takes: the one the
 *   refusal was about gets its own answer, the others are saved.
 * - Any other failure (the connection lost, the check refused) cannot be
 *   told apart by grant: every grant of the batch fails with it, as a lone
 *   grant would have.
 * A grant alone in its turn takes the lone path at once, which is also what
 * every grant in a unit (a transaction) and a device-bound family take
 * (`SqlStorage.insertTokens`).
 */
import type { FullRow } from './hot-writes.js';
import type { IssuedRow } from './hot-reads.js';
import { Batches, type Waiting } from './batches.js';
import type { AuditLogTable, TokensTable } from './schema.js';

/** What one grant writes: its tokens (the first is the one its check reads), and its audit entry. */
export interface GrantWrite {
  rows: readonly (FullRow<TokensTable> & { hash: string })[];
  audit: FullRow<AuditLogTable> | undefined;
}

/**
 * The most grants one batch writes: a batch is answered only once its last
 * row is in, so a bigger one makes its first grant wait for more work.
 */
const MAX_BATCH = 64;

/**
 * Batches in flight at once. Grants asked for while that many are out wait
 * for one to come back and go in the next; more in flight would split the
 * load into smaller batches, fewer would queue every grant of the process
 * behind one that waits (on a lock of a user being deleted, say).
 */
const MAX_IN_FLIGHT = 2;

export class GrantBatches extends Batches<GrantWrite, IssuedRow | null> {
  /**
   * `alone`: one grant's write and check, the path of a lone grant
   * (`HotReads.issuedAfter`). `write`: the batch's write and check,
   * rejecting with `WriteRefused` when the server refused the write
   * (`HotReads.issuedAllAfter`).
   */
  constructor(
    alone: (grant: GrantWrite) => Promise<IssuedRow | null>,
    private readonly write: (grants: readonly GrantWrite[]) => Promise<Map<string, IssuedRow>>,
    limits: { batch: number; inFlight: number } = { batch: MAX_BATCH, inFlight: MAX_IN_FLIGHT },
  ) {
    super(alone, limits);
  }

  /**
   * Writes the grant's tokens and audit entry, then reads what its first
   * token is issued under, once the write has committed: null when it is not
   * there. Rejects with the error of its own write, or of its batch's.
   */
  issue(grant: GrantWrite): Promise<IssuedRow | null> {
    return this.enqueue(grant);
  }

  protected async together(batch: readonly Waiting<GrantWrite, IssuedRow | null>[]): Promise<void> {
    const seen = await this.write(batch.map((p) => p.item));
    for (const p of batch) p.resolve(seen.get(p.item.rows[0]!.hash) ?? null);
  }
}
