/**
 * Choosing the language of a page (docs/protocol.md §10): `?lang=`, then the language
 * cookie, then `ui_locales` (OIDC), then `Accept-Language`, then English.
 */
import { en, type Messages } from './en.js';
import { ru } from './ru.js';

export const CATALOGUES: Readonly<Record<string, Messages>> = { en, ru };
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
