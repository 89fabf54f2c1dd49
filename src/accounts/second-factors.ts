/**
 * Which second factors a user has, and whether the operator's policy
 * (`GATEHOUSE_REQUIRE_TWO_STEP`) makes them need one. The sign-in steps
 * (src/http/pending-sign-in.ts) and the two-step page ask here, and the page
 * offers one way in for each factor a user has.
 */
import type { Config } from '../config.js';
import type { Storage, UserRecord } from '../storage/storage.js';
import type { SecondFactorCounts } from '../storage/two-step-store.js';
import type { UserId } from '../types.js';

/** What the store counts in one read (two-step-store.ts). */
export type SecondFactors = SecondFactorCounts;

/** The ways a second step can be taken, in the order the two-step page offers them. */
export type SecondStepMethod = 'totp' | 'security_key' | 'recovery';

export function secondFactorsOf(ctx: { storage: Storage }, userId: UserId): Promise<SecondFactors> {
  // Keys that cannot verify their user are a second factor after the password. Passkeys that do are a whole
  // sign-in by themselves; they do not make a password sign-in two-step (a user away from the phone holding
  // their passkey still signs in with the password), though the second step accepts them too.
  return ctx.storage.twoStep.secondFactorCounts(userId);
}

/** Whether the user has a factor to take a second step with (recovery codes only stand in for one). */
export function hasSecondFactor(factors: SecondFactors): boolean {
  return factors.totp || factors.securityKeys > 0;
}

/** The ways this user can take the second step: each factor they have, recovery codes last. */
export function secondStepMethods(factors: SecondFactors): SecondStepMethod[] {
  const methods: SecondStepMethod[] = [];
  if (factors.totp) methods.push('totp');
  if (factors.securityKeys > 0) methods.push('security_key');
  if (factors.recoveryCodesLeft > 0) methods.push('recovery');
  return methods;
}

/** Whether the operator's policy makes this user sign in with two steps. */
export function twoStepRequired(config: Pick<Config, 'requireTwoStep'>, user: Pick<UserRecord, 'isAdmin' | 'isDeveloper'>): boolean {
  return config.requireTwoStep === 'all' || (config.requireTwoStep === 'staff' && (user.isAdmin || user.isDeveloper));
}
