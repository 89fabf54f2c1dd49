/**
 * Where to send the browser after sign-in: only a path on this server, never
 * elsewhere (no open redirect), and only printable ASCII, so it is a valid
 * `Location` header value as it stands.
 */
export function safeReturnTo(value: string | undefined): string {
  if (value === undefined || value.length > 8192) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[^\x20-\x7e]/.test(value)) return '/';
  return value;
}
