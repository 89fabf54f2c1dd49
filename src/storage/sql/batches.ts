/**
 * The scheduling that PostgreSQL's batched writes share (grant-batches.ts,
 * code-batches.ts): requests asked for in one turn of the event loop, or
 * while `inFlight` batches are out, go to the server together, at most
 * `batch` of them in one statement.
 * - A request alone in its turn takes its lone path at once: a batch of one
 *   would only add the batch statement's own cost.
 * - When the server refuses the batch (`WriteRefused`: an ERROR, its
 *   transaction rolled back, nothing of it kept), every request of it takes
 *   its lone path, so that the one the refusal was about gets its own answer
 *   and the others theirs.
 * - Any other failure (the connection lost) cannot be told apart by request:
 *   every request of the batch fails with it, once, as a lone one would have.
 */
import { WriteRefused } from './prepared-reads.js';

/** One request in a batch: what it asks for, and how its caller is answered. */
export interface Waiting<T, V> {
  item: T;
  resolve(value: V): void;
  reject(err: unknown): void;
}

export abstract class Batches<T, V> {
  private pending: Waiting<T, V>[] = [];
  private inFlight = 0;
  private scheduled = false;

  /** `alone`: the lone path of one request. */
  constructor(
    private readonly alone: (item: T) => Promise<V>,
    private readonly limits: { batch: number; inFlight: number },
  ) {}

  /**
   * Sends the batch's statement and settles every request of it from the
   * answer; rejects (settling none) when the statement failed, with
   * `WriteRefused` when the server refused it.
   */
  protected abstract together(batch: readonly Waiting<T, V>[]): Promise<void>;

  protected enqueue(item: T): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** At the next turn, so that every request asked for in this one joins the batch. */
  private schedule(): void {
    if (this.scheduled || this.pending.length === 0 || this.inFlight >= this.limits.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.pending.length > 0 && this.inFlight < this.limits.inFlight) {
        const batch = this.pending.splice(0, this.limits.batch);
        this.inFlight++;
        void this.send(batch).finally(() => {
          this.inFlight--;
          this.schedule();
        });
      }
    });
  }

  /** Settles every request of the batch; never rejects. */
  private async send(batch: Waiting<T, V>[]): Promise<void> {
    if (batch.length === 1) return this.sendAlone(batch[0]!);
    try {
      await this.together(batch);
    } catch (err) {
      if (err instanceof WriteRefused) {
        // Nothing of the batch was kept: each request again, on its own, to get its own answer.
        await Promise.all(batch.map((p) => this.sendAlone(p)));
      } else {
        for (const p of batch) p.reject(err);
      }
    }
  }

  private async sendAlone(p: Waiting<T, V>): Promise<void> {
    try {
      p.resolve(await this.alone(p.item));
    } catch (err) {
      p.reject(err);
    }
  }
}
