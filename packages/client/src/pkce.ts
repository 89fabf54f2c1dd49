/** PKCE (RFC 7636) and random values, with WebCrypto only, so the same code runs in Node, browsers and React Native. */

function webCrypto(): Crypto {
  const c = globalThis.crypto;
  if (!c?.getRandomValues || !c.subtle) throw new Error('@gatehouse/client needs WebCrypto (globalThis.crypto); on React Native install a polyfill such as react-native-quick-crypto');
  return c;
}

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `bytes` random bytes, base64url: 32 bytes give 43 characters, 256 bits. */
export function randomString(bytes = 32): string {
  return base64url(webCrypto().getRandomValues(new Uint8Array(bytes)));
}

/** A code verifier of 43 characters from [A-Za-z0-9-_] (RFC 7636 §4.1: high entropy, 43–128 characters). */
export function generateCodeVerifier(): string {
  return randomString(32);
}

/** `BASE64URL(SHA256(ASCII(code_verifier)))`, the S256 challenge (RFC 7636 §4.2). */
export async function codeChallengeS256(verifier: string): Promise<string> {
  const digest = await webCrypto().subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}
