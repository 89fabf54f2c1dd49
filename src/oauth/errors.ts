/**
 * OAuth errors as values. Every protocol rule that fails throws one of these;
 * the HTTP layer renders them in exactly one place (JSON for endpoints, a page
 * for browsers, a redirect only to a verified redirect URI).
 * Codes and statuses follow RFC 6749 §5.2, RFC 6750 §3.1, RFC 8628 §3.5 and
 * docs/protocol.md §4; Yandex-specific codes are marked.
 */
export class OAuthError extends Error {
  constructor(
    /** The `error` value on the wire. */
    readonly code: string,
    /** The `error_description`: plain words, never echoing raw input. */
    readonly description: string,
    /** HTTP status when rendered as JSON. */
    readonly status: number = 400,
  ) {
    super(`${code}: ${description}`);
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

const define = (code: string, status = 400) =>
  class extends OAuthError {
    constructor(description: string, statusOverride?: number) {
      super(code, description, statusOverride ?? status);
    }
  };

export const InvalidRequest = define('invalid_request');
/** 401 when the credentials came in the Authorization header, 400 in the body (docs/protocol.md §4, as Yandex does). */
export const InvalidClient = define('invalid_client', 401);
export const InvalidGrant = define('invalid_grant');
/** Yandex ID's name for a wrong or expired confirmation code (docs/protocol.md §4). */
export const BadVerificationCode = define('bad_verification_code');
export const UnauthorizedClient = define('unauthorized_client');
export const UnsupportedGrantType = define('unsupported_grant_type');
export const UnsupportedResponseType = define('unsupported_response_type');
export const UnsupportedTokenType = define('unsupported_token_type');
export const InvalidScope = define('invalid_scope');
export const AccessDenied = define('access_denied');
export const InvalidToken = define('invalid_token', 401);
export const ServerError = define('server_error', 500);
export const TemporarilyUnavailable = define('temporarily_unavailable', 503);
export const SlowDown = define('slow_down');
export const AuthorizationPending = define('authorization_pending');
export const ExpiredToken = define('expired_token');
/** OIDC Core §3.1.2.6: `prompt=none` could not be honoured. */
export const LoginRequired = define('login_required');
export const ConsentRequired = define('consent_required');
/** OIDC Core §3.1.2.6: the user must do something more than sign in and consent (here: a second step). */
export const InteractionRequired = define('interaction_required');

/** RFC 7591 §3.2.2: a redirect URI of a registration is not acceptable. */
export const InvalidRedirectUri = define('invalid_redirect_uri');
/** RFC 7591 §3.2.2: another field of a registration is not acceptable. */
export const InvalidClientMetadata = define('invalid_client_metadata');
/** RFC 7591 §3.2.2: a software statement was sent; Gatehouse takes none. */
export const InvalidSoftwareStatement = define('invalid_software_statement');
/** RFC 8707 §2: the resource is unknown, or not one this grant may reach. */
export const InvalidTarget = define('invalid_target');

/**
 * An error about the client or the redirect URI itself (unknown client_id,
 * unregistered redirect_uri): shown on Gatehouse's error page, never sent to
 * the redirect URI, so Gatehouse is no open redirector (RFC 6749 §4.1.2.1).
 */
export class UntrustedRedirectError extends OAuthError {}
