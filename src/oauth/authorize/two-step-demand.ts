/**
 * Whether an authorization request asks for more than the session proved: the
 * app requires two-step sign-in, or `acr_values` asks for level 2
 * (src/accounts/authentication.ts), and the user signed in with one factor.
 */
import { isTwoFactor, meetsAcr } from '../../accounts/authentication.js';
import type { AppRecord } from '../../storage/storage.js';

/** Who asks for the second step: the app's setting, or the request's `acr_values`. */
export type TwoStepDemand = 'app' | 'acr_values';

export function unmetTwoStepDemand(app: Pick<AppRecord, 'requireTwoStep'>, acrValues: readonly string[], amr: readonly string[]): TwoStepDemand | null {
  if (app.requireTwoStep && !isTwoFactor(amr)) return 'app';
  if (!meetsAcr(amr, acrValues)) return 'acr_values';
  return null;
}

/** The `error_description` (and page text) when the user has no second factor to take the step with. */
export function noSecondFactorReason(demand: TwoStepDemand, appName: string): string {
  return demand === 'app'
    ? `${appName} requires two-step sign-in, and this account has not set it up (it can be turned on on the account page)`
    : 'acr_values asks for level 2 (two-step sign-in), and this account has not set it up (it can be turned on on the account page)';
}
