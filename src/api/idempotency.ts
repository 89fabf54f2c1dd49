/**
 * `Idempotency-Key` on writes (the IETF httpapi draft "The Idempotency-Key
 * HTTP Header Field"): a client that did not hear the answer sends the same
 * request with the same key, and gets the first answer again instead of a
 * second user or a second rotated secret. Keys belong to the calling app and
 * last 24 hours. The same key with another request (method, path, body) is
 * refused with 422; while the first request is still being answered, 409.
 * Answers are stored sealed (AES-256-GCM under the server key): some carry a
 * secret shown once (a client secret, a new password).
 */
import { sha256Hex } from '../crypto/random.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { IdempotencyStore } from '../storage/idempotency-store.js';
import type { ClientId, Clock } from '../types.js';
import { ApiProblem } from './problem.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY = /^[\x20-\x7e]{1,255}$/;

export interface StoredAnswer {
  status: number;
  body: unknown;
}

/** What the key says about this request: go ahead (and `complete` after), or answer with what was stored. */
export type IdempotencyOutcome =
  | { kind: 'proceed'; complete(answer: StoredAnswer): Promise<void>; release(): Promise<void> }
  | { kind: 'replay'; answer: StoredAnswer };

export class Idempotency {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** `key` as sent (undefined: none); `request` identifies the request (method, path, body). */
  async begin(clientId: ClientId, key: string | undefined, request: string): Promise<IdempotencyOutcome | null> {
    if (key === undefined) return null;
    if (!KEY.test(key)) throw new ApiProblem('invalid-request', 'Idempotency-Key must be 1–255 printable ASCII characters', [{ pointer: '/header/Idempotency-Key', detail: 'malformed' }]);
    const requestHash = sha256Hex(request);
    const now = this.clock();
    const held = await this.store.claimIdempotencyKey({ clientId, key, requestHash, createdAt: now }, now - IDEMPOTENCY_TTL_MS);
    if (held === null) {
      return {
        kind: 'proceed',
        complete: (answer) => this.store.completeIdempotencyKey(clientId, key, { status: answer.status, body: this.secrets.seal(JSON.stringify(answer.body ?? null)) }),
        release: () => this.store.releaseIdempotencyKey(clientId, key),
      };
    }
    if (held.requestHash !== requestHash) throw new ApiProblem('idempotency-key-reused', 'this Idempotency-Key was used for a different request');
    if (held.response === null) throw new ApiProblem('idempotency-key-in-use', 'a request with this Idempotency-Key is still being answered', undefined, { 'Retry-After': '1' });
    return { kind: 'replay', answer: { status: held.response.status, body: JSON.parse(this.secrets.open(held.response.body)) as unknown } };
  }
}
