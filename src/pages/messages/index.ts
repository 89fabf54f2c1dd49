/**
 * Choosing the language of a page (docs/protocol.md §10): `?lang=`, then the language
 * cookie, then `ui_locales` (OIDC), then `Accept-Language`, then English.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../package-root.js';
import { en, type Messages } from './en.js';

/**
 * Every string the pages show, in Russian: assets/messages/ru.json, with the
 * same keys and placeholders as `en` (test/i18n/catalogues.test.ts checks
 * them). Read with the first page asked for in Russian: kept in the server's
 * code, its 40,000 Cyrillic characters, each written as a six-character escape
 * to keep the bundle ASCII, were a tenth of what V8 parsed at every start.
 */
let russian: Messages | null = null;
export function ru(): Messages {
  russian ??= JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'assets', 'messages', 'ru.json'), 'utf8')) as Messages;
  return russian;
}

export const CATALOGUES: Readonly<Record<string, Messages>> = {
  en,
  get ru() {
    return ru();
  },
};
export const LANGUAGES = Object.keys(CATALOGUES);

/** The first supported language of a preference list such as `ru-RU,ru;q=0.9,en;q=0.8`. */
export function pickLanguage(acceptLanguage: string | undefined): string | null {
  if (!acceptLanguage) return null;
  const ranked = acceptLanguage
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { lang: tag.trim().toLowerCase().split('-')[0]!, q: q === undefined ? 1 : Number(q), index };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.find((x) => x.lang in CATALOGUES)?.lang ?? null;
}

export function catalogue(lang: string | null | undefined): Messages | null {
  return lang ? (CATALOGUES[lang.toLowerCase()] ?? null) : null;
}
