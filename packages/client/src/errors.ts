/**
 * Typed errors. Every failure is a `GatehouseError` whose `code` callers can
 * switch on: the OAuth error code the server sent (RFC 6749 §5.2, §4.1.2.1,
 * RFC 8628 §3.5, RFC 6750 §3.1) or one of the client-side codes below.
 */

/** Client-side error codes, for checks the SDK makes itself. */
export const ClientErrorCode = {
  /** The redirect's `state` is not the one this client sent (RFC 6749 §10.12). */
  StateMismatch: 'state_mismatch',
  /** The redirect's `iss` is missing or names another server (RFC 9207 §2.4). */
  IssuerMismatch: 'issuer_mismatch',
  /** The redirect carried neither `code` nor `error`. */
  MissingCode: 'missing_code',
  /** No authorization request is pending for this redirect. */
  NoPendingRequest: 'no_pending_request',
  /** The server could not be reached, or answered something that is not OAuth. */
  NetworkError: 'network_error',
  InvalidResponse: 'invalid_response',
  /** There are no tokens, or no refresh token, to use. */
  NotSignedIn: 'not_signed_in',
  /** The caller's AbortSignal fired. */
  Aborted: 'aborted',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class GatehouseError extends Error {
  constructor(
    /** The OAuth `error` (e.g. `access_denied`, `invalid_grant`, `expired_token`) or a `ClientErrorCode`. */
    readonly code: string,
    /** The server's `error_description`, or the SDK's own words. */
    readonly description: string,
    /** HTTP status, when the error came from a server response. */
    readonly status?: number,
  ) {
    super(`${code}: ${description}`);
    this.name = 'GatehouseError';
  }
}

/** An error the authorization server answered (token, device, revocation endpoints or the redirect). */
export class OAuthError extends GatehouseError {
  constructor(code: string, description: string, status?: number) {
    super(code, description, status);
    this.name = 'OAuthError';
  }
}

/** The redirect does not belong to the request this client made (state or iss check failed). */
export class RedirectMismatchError extends GatehouseError {
  constructor(code: typeof ClientErrorCode.StateMismatch | typeof ClientErrorCode.IssuerMismatch, description: string) {
    super(code, description);
    this.name = 'RedirectMismatchError';
  }
}

export function abortError(signal: AbortSignal | undefined): GatehouseError {
  const reason = signal?.reason;
  return new GatehouseError(ClientErrorCode.Aborted, reason instanceof Error ? reason.message : 'the operation was aborted');
}
