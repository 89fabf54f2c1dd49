/**
 * The repository stands alone: nothing tracked points at documents outside
 * it. Gatehouse's own protocol reference is docs/protocol.md, and code,
 * docs and help cite its sections as "docs/protocol.md §N".
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function trackedTextFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((file) => file !== '' && !/\.(png|jpe?g|ico|svg|woff2?)$|package-lock\.json$/.test(file));
}

// Built from pieces, so that this file does not match its own search.
const OUTSIDE = [['..', 'shared'].join('/'), ['SPEC', 'md'].join('.'), ['SPEC', '§'].join(' ')];

test('no tracked file points at documents outside the repository', () => {
  const offenders: string[] = [];
  for (const file of trackedTextFiles()) {
    const full = path.join(ROOT, file);
    if (!existsSync(full)) continue;
    const text = readFileSync(full, 'utf8');
    text.split('\n').forEach((line, index) => {
      if (OUTSIDE.some((needle) => line.includes(needle))) offenders.push(`${file}:${index + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  expect(offenders).toEqual([]);
});

test('every section of docs/protocol.md that the code cites exists', () => {
  const protocol = readFileSync(path.join(ROOT, 'docs/protocol.md'), 'utf8');
  const sections = new Set([...protocol.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((match) => match[1]));
  const missing = new Set<string>();
  for (const file of trackedTextFiles()) {
    const full = path.join(ROOT, file);
    if (!existsSync(full)) continue;
    for (const [, section] of readFileSync(full, 'utf8').matchAll(/docs\/protocol\.md §(\d+(?:\.\d+)?)/g)) {
      if (!sections.has(section!)) missing.add(`${file}: §${section}`);
    }
  }
  expect(sections.size).toBeGreaterThan(10);
  expect([...missing]).toEqual([]);
});
