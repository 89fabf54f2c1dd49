/**
 * The association files that let Android and iOS open a verified link in the
 * app instead of the browser (SPEC §9), built from the registered apps:
 * Digital Asset Links (`/.well-known/assetlinks.json`) for Android App Links,
 * and the apple-app-site-association file for iOS Universal Links.
 */
import type { AppRecord } from '../storage/storage.js';

/** The path Gatehouse's and Yandex's mobile redirect URIs end in (`…/auth/finish?platform=…`). */
export const APP_LINK_PATH = '/auth/finish';

export interface AssetLinkStatement {
  relation: string[];
  target: { namespace: 'android_app'; package_name: string; sha256_cert_fingerprints: string[] };
}

/** One statement per active Android platform with a package name and at least one fingerprint. */
export function assetLinks(apps: readonly AppRecord[]): AssetLinkStatement[] {
  const byPackage = new Map<string, Set<string>>();
  for (const app of apps) {
    if (app.status !== 'active') continue;
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

/**
 * Every active iOS App ID, in both the current format (`appIDs` and
 * `components`) and the one before iOS 13 (`appID` and `paths`), so every
 * system version reads it; `webcredentials` lets the apps offer saved passwords.
 */
export function appleAppSiteAssociation(apps: readonly AppRecord[]): Record<string, unknown> {
  const appIds = [...new Set(apps.filter((a) => a.status === 'active')
    .flatMap((a) => a.platforms.filter((p) => p.type === 'ios' && p.appId).map((p) => p.appId!)))];
  return {
    applinks: {
      apps: [],
      details: appIds.map((appId) => ({ appID: appId, appIDs: [appId], paths: [APP_LINK_PATH], components: [{ '/': APP_LINK_PATH }] })),
    },
    webcredentials: { apps: appIds },
  };
}
