/**
 * The documents in docs/ cite a test for each claim they make, as `file` › *title*:
 * every cited file exists and holds a test whose title contains the cited
 * words, so the document cannot point at tests that are gone or renamed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

const DOCS = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);

test('every test the documents in docs/ cite exists', () => {
  const doc = DOCS.map((file) => readFileSync(path.join(ROOT, file), 'utf8')).join('\n');
  // `file` › *title*, *title*, … (a file alone is cited as a whole).
  const citations = [...doc.matchAll(/`(test\/[\w./-]+\.ts)`((?:\s*›\s*\*[^*]+\*(?:[,;]?\s*\*[^*]+\*)*)?)/g)];
  expect(citations.length).toBeGreaterThan(40);
  const missing: string[] = [];
  for (const [, file, titles] of citations) {
    const full = path.join(ROOT, file!);
    if (!existsSync(full)) {
      missing.push(file!);
      continue;
    }
    const source = readFileSync(full, 'utf8').replace(/\\'/g, "'");
    for (const [, title] of (titles ?? '').matchAll(/\*([^*]+)\*/g)) {
      const words = title!.trim().replace(/\s+/g, ' ');
      if (!source.replace(/\s+/g, ' ').includes(words)) missing.push(`${file} › ${words}`);
    }
  }
  expect(missing).toEqual([]);
});

test('every relative link in the README and docs/ names a file that exists', () => {
  const files = ['README.md', 'packages/client/README.md', ...DOCS];
  const broken: string[] = [];
  for (const file of files) {
    const doc = readFileSync(path.join(ROOT, file), 'utf8');
    for (const [, target] of doc.matchAll(/\]\(((?!https?:|mailto:|#)[^)\s]+)\)/g)) {
      const local = target!.split('#')[0]!;
      const resolved = path.join(ROOT, path.dirname(file), local);
      // Links out of the repository (the team's shared specification) are not the repository's to keep.
      if (local === '' || !resolved.startsWith(ROOT + path.sep)) continue;
      if (!existsSync(resolved)) broken.push(`${file} → ${target}`);
    }
  }
  expect(broken).toEqual([]);
});

test('the README names every key GATEHOUSE_LIMITS accepts', async () => {
  const { LIMITS } = await import('../../src/oauth/attempts.js');
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(Object.keys(LIMITS).filter((key) => !readme.includes(`\`${key}\``))).toEqual([]);
});
