/**
 * The message catalogues (docs/protocol.md §10: every page in English and Russian):
 * the same keys, the same `{placeholders}` in each message, and every Russian
 * message actually Russian — none left as a copy of the English one, except
 * names that are the same in both languages.
 */
import { describe, expect, test } from 'vitest';
import { en } from '../../src/pages/messages/en.js';
import { ru as russianCatalogue } from '../../src/pages/messages/index.js';

const ru = russianCatalogue();

/** Messages that are names, written the same in every language, or only arrange other words ("{browser}, {os}", quotation marks around a device name). */
const SAME_IN_BOTH = new Set(['productName', 'navLabel', 'suggestShort', 'browserOn', 'deviceNameQuoted']);

function leaves(value: unknown, path: string[] = []): [string, string][] {
  if (typeof value === 'string') return [[path.join('.'), value]];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, [...path, k]));
}

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  const english = new Map(leaves(en));
  const russian = new Map(leaves(ru));

  test('have the same keys', () => {
    expect([...russian.keys()].sort()).toEqual([...english.keys()].sort());
  });

  test('have the same placeholders in every message', () => {
    for (const [key, text] of english) expect(placeholders(russian.get(key) ?? ''), key).toEqual(placeholders(text));
  });

  test('every Russian message is Russian: Cyrillic, and not a copy of the English one', () => {
    const untranslated = [...russian].filter(([key, text]) => {
      if (key === 'lang' || SAME_IN_BOTH.has(key.split('.').at(-1)!)) return false;
      return text === english.get(key) || !/[а-яё]/i.test(text);
    });
    expect(untranslated).toEqual([]);
  });

  test('the language tags are right', () => {
    expect([en.lang, ru.lang]).toEqual(['en', 'ru']);
  });
});
