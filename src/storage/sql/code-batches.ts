/**
 * PostgreSQL: the authorization codes of concurrent exchanges are consumed by
 * one statement and one commit.
 *
 * Each exchange outside a unit consumes its code with one UPDATE of its own
 * (`HotWrites.consumeCode`), its own implicit transaction and commit: a
 * statement, a commit and a round trip per exchange, before the grant's
 * tokens, which are batched already (grant-batches.ts). Here, by the same
 * rules, the codes asked for in one turn of the event loop, or while the
 * batches before them are in flight (at most MAX_IN_FLIGHT, each of at most
 * MAX_BATCH), go to the server together: one UPDATE of every code of the
 * batch, each looked up by its key (`HotWrites.consumeCodes`), one implicit
 * transaction. What each exchange is told stays what the lone statement
 * would have told it:
 * - A code is consumed once. The statement sets `consumed_at` only where it
 *   is still null, and under READ COMMITTED a row a concurrent statement
 *   (another batch, a lone exchange, another process) consumed first is
 *   rechecked against that and left out, so of every exchange of one code,
 *   across batches and processes, exactly one wins. Within a batch a code is
 *   sent once, with the time of its first requester: that requester is the
 *   winner when the row comes back, and every other requester of the code
 *   in the batch is told it was used already, with the row, exactly as if
 *   it had come a moment later (the grant then revokes what the code gave).
 * - A code the statement did not consume is read on its own, as the lone
 *   path reads a code its UPDATE missed: unknown, or used already. The one
 *   case the lone UPDATE would not have missed, a row changed by something
 *   else while the batch was at it (the statement finds its rows by their
 *   place in the table, which such a change moves), finds the code still
 *   unused: that exchange then takes the lone path (`SqlStorage.consumeCode`).
 * - Rows are locked in the order of their hashes (the batch sends them
 *   sorted), so two batches in flight that share codes wait for one
 *   another, never on each other.
 * - When the server refuses the batch's statement (an ERROR: its
 *   transaction rolled back, nothing of it was kept), every code of the batch
 *   is consumed again on its own, by the lone path. Any other failure (the
 *   connection lost) cannot be told apart by code: every exchange of the
 *   batch fails with it, as a lone exchange would have.
 * A code alone in its turn takes the lone path at once, which is also what
 * every exchange in a unit (a transaction) and on SQLite takes.
 */
import { Batches, type Waiting } from './batches.js';

/** One exchange's code: its hash, and the time it is consumed at when it wins. */
export interface CodeToConsume {
  hash: string;
  now: number;
}

/**
 * What an exchange learns from the statement that tried its code: `won`, the
 * row it consumed; `lost`, the row another exchange of its batch consumed
 * first; `missed`, nothing (the code is unknown, was consumed before, or is
 * to be read on its own).
 */
export type ConsumeVerdict<R> = { outcome: 'won'; row: R } | { outcome: 'lost'; row: R } | { outcome: 'missed' };

/** The most codes one statement consumes: an exchange is answered only once its batch's statement is. */
const MAX_BATCH = 64;

/** Batches in flight at once, as grant-batches.ts's (and for the same reasons). */
const MAX_IN_FLIGHT = 2;

export class CodeBatches<R> extends Batches<CodeToConsume, ConsumeVerdict<R>> {
  /**
   * `alone`: the lone statement of one code, its row when it won.
   * `consumeAll`: the batch's statement, every code once, by hash the rows it
   * consumed; rejecting with `WriteRefused` when the server refused it.
   */
  constructor(
    alone: (code: CodeToConsume) => Promise<R | undefined>,
    private readonly consumeAll: (codes: readonly CodeToConsume[]) => Promise<Map<string, R>>,
    limits: { batch: number; inFlight: number } = { batch: MAX_BATCH, inFlight: MAX_IN_FLIGHT },
  ) {
    super(async (code) => {
      const row = await alone(code);
      return row === undefined ? { outcome: 'missed' } : { outcome: 'won', row };
    }, limits);
  }

  /** Consumes the code unless it was consumed already. Rejects with the error of its own statement, or of its batch's. */
  consume(code: CodeToConsume): Promise<ConsumeVerdict<R>> {
    return this.enqueue(code);
  }

  protected async together(batch: readonly Waiting<CodeToConsume, ConsumeVerdict<R>>[]): Promise<void> {
    // Each code once, at its first requester's time; sorted, so that rows are locked in one order by every batch.
    const first = new Map<string, CodeToConsume>();
    for (const p of batch) if (!first.has(p.item.hash)) first.set(p.item.hash, p.item);
    const codes = [...first.values()].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const won = await this.consumeAll(codes);
    for (const p of batch) {
      const row = won.get(p.item.hash);
      if (row === undefined) p.resolve({ outcome: 'missed' });
      else if (first.get(p.item.hash) === p.item) p.resolve({ outcome: 'won', row });
      else p.resolve({ outcome: 'lost', row });
    }
  }
}
