/**
 * What an app's platforms mean for the protocol (docs/protocol.md §9), free of HTTP and SQL.
 *
 * - `web`: a confidential client with a secret, which is always required at
 *   /token. An app that has `web` *and* a native platform stays one
 *   confidential client: its native front end receives codes on the derived
 *   redirect URIs below (with PKCE) and hands them to its backend, which
 *   exchanges them with the secret. A native app with no backend is a separate,
 *   public app (RFC 8252 §8.4–8.5: a secret shipped in an app is no secret).
 * - `ios`, `android`: public, PKCE required; the redirect URIs
 *   `gh<client_id>:///auth/finish?platform=…` (Gatehouse's SDK) and
 *   `yx<client_id>:///auth/finish?platform=…` (Yandex's SDKs) are derived and
 *   accepted without being registered (RFC 8252 §7.1), as are the App Link /
 *   Universal Link forms `https://yx<client_id>.<issuer host>/auth/finish?platform=…`
 *   Yandex's SDKs use on newer systems, when the issuer is https.
 * - `desktop`: public, PKCE required; loopback redirect URIs on 127.0.0.1 and
 *   [::1] match on any port (RFC 8252 §7.3), `http://127.0.0.1/` and
 *   `http://[::1]/` being derived.
 * - `tv`: the device flow only (RFC 8628); /authorize refuses an app whose
 *   platforms are all `tv`.
 * - `spa`: a browser app (OAuth 2.0 for Browser-Based Apps): public, with
 *   https redirect URIs (http only on localhost), PKCE with S256 only; the
 *   token, userinfo, info and revocation endpoints answer its pages
 *   cross-origin only from its redirect URIs' origins (src/http/cors.ts);
 *   its refresh tokens rotate (as every public client's) and live at most
 *   `SPA_REFRESH_TTL_SECONDS`. With `web` too it is one confidential app, as
 *   for native platforms above.
 */
import { InputError } from '../errors.js';
import type { AppRecord, Platform, PlatformType } from '../storage/storage.js';

export const PLATFORM_TYPES: readonly PlatformType[] = ['web', 'spa', 'ios', 'android', 'desktop', 'tv'];
/** A browser app's refresh tokens live one day at most, however often they rotate: a page's storage is easier to reach than a server's. */
export const SPA_REFRESH_TTL_SECONDS = 24 * 3600;
export const MOBILE_PLATFORMS: readonly PlatformType[] = ['ios', 'android'];

/**
 * How a redirect URI was accepted. `native`: it lands on a device (a derived
 * mobile URI or a desktop app's registered loopback URI), so PKCE is required.
 * `loopback`: a desktop app's loopback URI that matched a registered or derived
 * one only by ignoring its port (RFC 8252 §7.3). Whatever listens on that port
 * of the user's machine receives the answer, so it takes a code with PKCE and
 * never a token (RFC 9700 §2.1.2).
 */
export type RedirectMatch = 'registered' | 'native' | 'loopback';

const has = (app: Pick<AppRecord, 'platforms'>, type: PlatformType) => app.platforms.some((p) => p.type === type);

/** Only apps with the web platform keep a secret; native, desktop and TV apps are public (RFC 8252 §8.4). */
export function isConfidential(platforms: readonly Platform[]): boolean {
  return platforms.some((p) => p.type === 'web');
}

/** A browser app: the `spa` platform without `web` (which would make it confidential). */
export function isBrowserApp(app: Pick<AppRecord, 'platforms'>): boolean {
  return has(app, 'spa') && !isConfidential(app.platforms);
}

/** The origins a browser app's pages run on: those of its http(s) redirect URIs. */
export function browserOrigins(app: Pick<AppRecord, 'redirectUris'>): string[] {
  const origins = new Set<string>();
  for (const uri of app.redirectUris) {
    if (!/^https?:/.test(uri)) continue;
    try {
      origins.add(new URL(uri).origin);
    } catch {
      // Registered URIs are validated; nothing to add.
    }
  }
  return [...origins];
}

/** TV apps sign in with the device flow only (docs/protocol.md §9). */
export function isDeviceFlowOnly(app: Pick<AppRecord, 'platforms'>): boolean {
  return app.platforms.length > 0 && app.platforms.every((p) => p.type === 'tv');
}

/** The host of an https issuer, for the App Link form of the derived mobile redirect URIs; null otherwise. */
function httpsIssuerHost(issuer: string): string | null {
  const url = new URL(issuer);
  return url.protocol === 'https:' && /[a-z]/i.test(url.hostname) && !url.hostname.startsWith('[') ? url.host : null;
}

/** The custom-scheme (and, for an https issuer, App Link) redirect URIs of an app's mobile platforms (RFC 8252 §7.1–7.2). */
export function derivedMobileRedirectUris(app: Pick<AppRecord, 'clientId' | 'platforms'>, issuer: string): string[] {
  const host = httpsIssuerHost(issuer);
  const uris: string[] = [];
  for (const platform of MOBILE_PLATFORMS) {
    if (!has(app, platform)) continue;
    uris.push(`gh${app.clientId}:///auth/finish?platform=${platform}`, `yx${app.clientId}:///auth/finish?platform=${platform}`);
    if (host) uris.push(`https://yx${app.clientId}.${host}/auth/finish?platform=${platform}`);
  }
  return uris;
}

/** Yandex's SDK redirect URIs (`yx…`), where Yandex's implicit flow is accepted for compatibility (docs/protocol.md §9). */
export function isYandexSdkRedirectUri(app: Pick<AppRecord, 'clientId' | 'platforms'>, issuer: string, uri: string): boolean {
  return derivedMobileRedirectUris(app, issuer).includes(uri) && (uri.startsWith('yx') || uri.startsWith('https://yx'));
}

/** The loopback redirect URIs a desktop app may always use (docs/protocol.md §9: loopback for desktop and CLI). */
export const DERIVED_LOOPBACK_URIS = ['http://127.0.0.1/', 'http://[::1]/'] as const;

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?].*)?$/;

/**
 * A loopback IP-literal URI without its port, or null (RFC 8252 §7.3: "the
 * authorization server MUST allow any port to be specified at the time of the
 * request for loopback IP redirect URIs"). The rest is kept as it was written,
 * so path and query still compare exactly. `localhost` is not included
 * (RFC 8252 §8.3: NOT RECOMMENDED).
 */
function withoutPort(uri: string): string | null {
  const m = LOOPBACK.exec(uri);
  if (!m) return null;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535 || m[2].startsWith('0'))) return null;
  return `http://${m[1]}${m[3] ?? ''}`;
}

/**
 * Whether `uri` may receive this app's authorization responses: an exact
 * match with a registered URI (RFC 9700 §4.1.3), a derived mobile URI, or, for
 * desktop apps only, a loopback URI that differs from a registered or derived
 * one in its port alone (`loopback`). Web apps' loopback URIs match exactly,
 * port included.
 */
export function matchRedirectUri(app: Pick<AppRecord, 'clientId' | 'platforms' | 'redirectUris'>, uri: string, issuer: string): RedirectMatch | null {
  const desktop = has(app, 'desktop');
  if (derivedMobileRedirectUris(app, issuer).includes(uri)) return 'native';
  if (desktop) {
    const key = withoutPort(uri);
    if (key !== null && app.redirectUris.includes(uri)) return 'native';
    if (key !== null && [...app.redirectUris, ...DERIVED_LOOPBACK_URIS].some((r) => withoutPort(r) === key)) return 'loopback';
  }
  return app.redirectUris.includes(uri) ? 'registered' : null;
}

const IOS_APP_ID = /^[A-Z0-9]{10}\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/;
const ANDROID_PACKAGE = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$/;

/** `AB:CD:…` (32 bytes, upper case) from hex with or without colons, as `keytool -list` or `apksigner` print it. */
export function normalizeFingerprint(value: string): string {
  const hex = value.trim().replace(/:/g, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InputError(`not a SHA-256 certificate fingerprint (32 bytes in hex): ${value.slice(0, 120)}`);
  return hex.toUpperCase().match(/../g)!.join(':');
}

function validateStoreUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`store URL is not an absolute URL: ${value.slice(0, 200)}`);
  }
  if (url.protocol !== 'https:' || value.length > 500) throw new InputError(`store URL must be an https URL of at most 500 characters: ${value.slice(0, 200)}`);
  return value;
}

/**
 * Checks one platform and its fields: an iOS App ID is the team prefix and the
 * bundle id (`ABCDE12345.org.example.app`); an Android package is a Java
 * package name with SHA-256 fingerprints of its signing certificates; a store
 * URL is https. Fields that do not belong to the platform are refused.
 */
export function validatePlatform(input: Platform): Platform {
  if (!PLATFORM_TYPES.includes(input.type)) {
    throw new InputError(`unknown platform: ${String(input.type).slice(0, 40)} (one of ${PLATFORM_TYPES.join(', ')})`);
  }
  const out: Platform = { type: input.type };
  const refuse = (field: string, owner: PlatformType) => { throw new InputError(`${field} belongs to the ${owner} platform, not ${input.type}`); };
  if (input.appId !== undefined) {
    if (input.type !== 'ios') refuse('an iOS App ID', 'ios');
    if (!IOS_APP_ID.test(input.appId)) throw new InputError(`iOS App ID must be the team prefix and bundle id, like ABCDE12345.org.example.app: ${input.appId.slice(0, 120)}`);
    out.appId = input.appId;
  }
  if (input.packageName !== undefined) {
    if (input.type !== 'android') refuse('an Android package name', 'android');
    if (!ANDROID_PACKAGE.test(input.packageName) || input.packageName.length > 255) {
      throw new InputError(`Android package name must look like org.example.app: ${input.packageName.slice(0, 120)}`);
    }
    out.packageName = input.packageName;
  }
  if (input.sha256Fingerprints !== undefined) {
    if (input.type !== 'android') refuse('a certificate fingerprint', 'android');
    if (input.sha256Fingerprints.length > 10) throw new InputError('at most 10 signing certificate fingerprints');
    out.sha256Fingerprints = [...new Set(input.sha256Fingerprints.map(normalizeFingerprint))];
  }
  if (input.storeUrl !== undefined) {
    if (input.type !== 'ios' && input.type !== 'android') throw new InputError(`a store URL belongs to the ios or android platform, not ${input.type}`);
    out.storeUrl = validateStoreUrl(input.storeUrl);
  }
  return out;
}
