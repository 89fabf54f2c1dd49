/**
 * @gatehouse/client: sign in with Gatehouse from any JavaScript platform
 * (Node, browsers, React Native, Electron) with fetch and WebCrypto only.
 * Node-only helpers (a 0600 file token store, the loopback redirect server)
 * are in `@gatehouse/client/node`.
 */
export { GatehouseClient } from './client.js';
export type { AuthorizeOptions, ClientOptions, DeviceCode, DeviceLoginOptions, PendingAuthorization, UserInfo } from './client.js';
export { ClientErrorCode, GatehouseError, OAuthError, RedirectMismatchError } from './errors.js';
export { codeChallengeS256, generateCodeVerifier, randomString } from './pkce.js';
export { encodeQr, qrToSvg, qrToText, renderQr, type QrCode } from './qr.js';
export { MemoryTokenStore, type TokenSet, type TokenStore } from './token-store.js';
