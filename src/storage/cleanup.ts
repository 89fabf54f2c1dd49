/**
 * The periodic clean-up of expired rows. Every process runs it; the DELETEs
 * are idempotent, so several processes on one database do no harm.
 * Expired tokens are kept a day past expiry so that a late request still gets
 * "expired" rather than "unknown" in logs and introspection.
 */
import type { Config } from '../config.js';
import type { Storage } from './storage.js';
import type { Clock, Millis } from '../types.js';

const DAY = 24 * 60 * 60 * 1000;

type CleanupConfig = Pick<Config, 'refreshTokenTtlSeconds' | 'auditRetentionDays'>;

/** One pass of the clean-up at `now`; returns the rows deleted. */
export async function cleanUpOnce(storage: Storage, now: Millis, config: CleanupConfig): Promise<number> {
  const deleted = await storage.deleteExpired(now, {
    tokensBefore: now - DAY,
    // A revoked family can have no live token once its refresh tokens would have expired.
    familiesBefore: now - config.refreshTokenTtlSeconds * 1000 - DAY,
    countersBefore: now - DAY,
    // The audit log keeps what the operator's retention says (0: for ever).
    ...(config.auditRetentionDays > 0 ? { auditBefore: now - config.auditRetentionDays * DAY } : {}),
  });
  // Mail links past expiry; the outbox's records (their bodies are gone once sent) after 30 days.
  await storage.mail.deleteExpiredMail(now, { mailsBefore: now - 30 * DAY });
  // Webhook events and their delivery log: retries end after a day; the log is kept a month.
  await storage.webhooks.deleteOldWebhookEvents(now - 30 * DAY);
  // WebAuthn challenges past expiry (they live minutes).
  await storage.passkeys.deleteExpiredWebAuthnChallenges(now);
  await storage.upstreams.deleteExpiredUpstreamStates(now);
  // The management API's Idempotency-Key answers are kept a day (src/api/idempotency.ts).
  await storage.idempotency.deleteExpiredIdempotencyKeys(now - DAY);
  return deleted;
}

export function startCleanup(storage: Storage, clock: Clock, config: CleanupConfig, onError: (err: unknown) => void, everyMs = 10 * 60_000): () => void {
  const run = async () => {
    try {
      await cleanUpOnce(storage, clock(), config);
    } catch (err) {
      onError(err);
    }
  };
  // Stagger processes started together.
  const first = setTimeout(run, 30_000 + Math.random() * 30_000).unref();
  const timer = setInterval(run, everyMs).unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
