/**
 * Input that breaks a rule a person can fix (a login already taken, a malformed
 * redirect URI). Pages show the message; the CLI prints it on one line.
 * Protocol errors use `OAuthError` instead.
 */
export class InputError extends Error {}
