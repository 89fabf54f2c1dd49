/** Where to send the browser after sign-in: only a path on this server, never elsewhere (no open redirect). */
export function safeReturnTo(value: string | undefined): string {
  if (value === undefined || value.length > 8192) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\u0000-\u001f]/.test(value)) return '/';
  return value;
}
