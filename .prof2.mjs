import { readFileSync, readdirSync } from 'node:fs';
import sm from 'source-map-js';
const dir = process.argv[2];
const p = JSON.parse(readFileSync(`${dir}/${readdirSync(dir)[0]}`, 'utf8'));
const map = new sm.SourceMapConsumer(JSON.parse(readFileSync('dist/main.js.map', 'utf8')));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const where = (n) => {
  const cf = n.callFrame;
  if (!cf.url.endsWith('dist/main.js')) return cf.url.replace(/.*\//, '') + ':' + cf.functionName;
  const o = map.originalPositionFor({ line: cf.lineNumber + 1, column: cf.columnNumber });
  return `${(o.source ?? '?').replace(/.*node_modules\//, 'nm/').replace(/^(\.\.\/)+/, '')}:${o.line} ${o.name ?? cf.functionName}`;
};
// inclusive time per source file (counted once per sample)
const incl = new Map();
for (let i = 0; i < p.samples.length; i++) {
  const d = p.timeDeltas[i] ?? 0; const seen = new Set();
  for (let id = p.samples[i]; id !== undefined; id = parent.get(id)) {
    const n = byId.get(id); if (!n.callFrame.url.endsWith('dist/main.js')) continue;
    const o = map.originalPositionFor({ line: n.callFrame.lineNumber + 1, column: n.callFrame.columnNumber });
    const key = (o.source ?? '?').replace(/.*node_modules\//, 'nm/').replace(/^(\.\.\/)+/, '') ;
    if (!seen.has(key)) { seen.add(key); incl.set(key, (incl.get(key) ?? 0) + d); }
  }
}
for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((v / 1000).toFixed(1).padStart(8), k);
