/**
 * The association files that let Android and iOS open a verified link in the
 * app instead of the browser: Digital Asset Links
 * (`/.well-known/assetlinks.json`) for Android App Links, and the
 * apple-app-site-association file for iOS Universal Links and saved passwords.
 *
 * Whoever is listed for a host may open every link to that host in their app
 * (`handle_all_urls`, no address bar) and, with `webcredentials`, offer the
 * passwords people saved for it. So the issuer host lists only the apps an
 * operator marked first-party; every other app is listed on its own host,
 * `yx<client_id>.<issuer host>`, where its App Link redirect URIs
 * (`https://yx<client_id>.<issuer host>/auth/finish?platform=…`) live, and
 * never in `webcredentials`.
 */
import type { AppRecord } from '../storage/storage.js';
import type { ClientId } from '../types.js';

/** The path Gatehouse's and Yandex's mobile redirect URIs end in (`…/auth/finish?platform=…`). */
export const APP_LINK_PATH = '/auth/finish';

export interface AssetLinkStatement {
  relation: string[];
  target: { namespace: 'android_app'; package_name: string; sha256_cert_fingerprints: string[] };
}

const HOST_HEADER = /^[A-Za-z0-9.-]+(?::\d{1,5})?$/;
const PER_APP_HOST = /^yx([0-9a-f]{32})\.(.+)$/;

/**
 * The app whose own host `requestHost` is (`yx<client_id>.<issuer host>`, any
 * letter case, the issuer's port included when it has one), or null: the
 * issuer host, and any other name, get the issuer host's files.
 */
export function perAppHostClientId(requestHost: string, issuer: string): ClientId | null {
  if (!HOST_HEADER.test(requestHost)) return null;
  const issuerUrl = new URL(issuer);
  let host: string;
  try {
    host = new URL(`${issuerUrl.protocol}//${requestHost}`).host;
  } catch {
    return null;
  }
  const match = PER_APP_HOST.exec(host);
  return match && match[2] === issuerUrl.host ? (match[1] as ClientId) : null;
}

/**
 * The apps one host's files list: on an app's own host that app alone, if it
 * is active; on the issuer host the active first-party apps.
 */
export function appsForHost(apps: readonly AppRecord[], perAppClientId: ClientId | null): AppRecord[] {
  return apps.filter((a) => a.status === 'active' && (perAppClientId === null ? a.firstParty : a.clientId === perAppClientId));
}

/** One statement per Android package with at least one fingerprint, of the apps given (see appsForHost). */
export function assetLinks(apps: readonly AppRecord[]): AssetLinkStatement[] {
  const byPackage = new Map<string, Set<string>>();
  for (const app of apps) {
    for (const p of app.platforms) {
      if (p.type !== 'android' || !p.packageName || !p.sha256Fingerprints?.length) continue;
      const prints = byPackage.get(p.packageName) ?? new Set<string>();
      for (const fp of p.sha256Fingerprints) prints.add(fp);
      byPackage.set(p.packageName, prints);
    }
  }
  return [...byPackage].map(([packageName, prints]) => ({
    relation: ['delegate_permission/common.handle_all_urls'],
    target: { namespace: 'android_app', package_name: packageName, sha256_cert_fingerprints: [...prints] },
  }));
}

const iosAppIds = (apps: readonly AppRecord[]) =>
  [...new Set(apps.flatMap((a) => a.platforms.filter((p) => p.type === 'ios' && p.appId).map((p) => p.appId!)))];

/**
 * The iOS App IDs of the apps given (see appsForHost), in both the current
 * format (`appIDs` and `components`) and the one before iOS 13 (`appID` and
 * `paths`), so every system version reads it; `webcredentials`, which lets an
 * app offer the passwords saved for the host, lists first-party apps only.
 */
export function appleAppSiteAssociation(apps: readonly AppRecord[]): Record<string, unknown> {
  return {
    applinks: {
      apps: [],
      details: iosAppIds(apps).map((appId) => ({ appID: appId, appIDs: [appId], paths: [APP_LINK_PATH], components: [{ '/': APP_LINK_PATH }] })),
    },
    webcredentials: { apps: iosAppIds(apps.filter((a) => a.firstParty)) },
  };
}
