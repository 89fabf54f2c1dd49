import { readFileSync, readdirSync } from 'node:fs';
import { SourceMapConsumer } from 'source-map-js';
const map = new SourceMapConsumer(JSON.parse(readFileSync('dist/main.js.map', 'utf8')));
const f = readdirSync('/tmp/prof')[0];
const p = JSON.parse(readFileSync('/tmp/prof/' + f));
const byId = new Map(p.nodes.map(n => [n.id, n]));
const parent = new Map(); for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const orig = (cf) => { if (!cf.url.endsWith('dist/main.js')) return null; const o = map.originalPositionFor({ line: cf.lineNumber + 1, column: cf.columnNumber }); return o.source ? o.source.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1').replace(/^.*?\.\.\/(src|dist)\//, '') + (o.source.includes('node_modules') ? '' : ':' + o.line + ' ' + (o.name ?? '')) : null; };
const incl = new Map(); const selfm = new Map(); let total = 0;
for (let i = 0; i < p.samples.length; i++) { const n = byId.get(p.samples[i]); const d = p.timeDeltas[i] ?? 0; total += d;
  const s = orig(n.callFrame); const sk = (s ?? n.callFrame.url ?? n.callFrame.functionName).replace(/:\d+.*$/, '') || n.callFrame.functionName; selfm.set(sk, (selfm.get(sk) ?? 0) + d);
  const seen = new Set(); let m = n; while (m) { const k = orig(m.callFrame); if (k && !seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + d); } m = byId.get(parent.get(m.id)); } }
console.log('total', (total/1000).toFixed(0));
console.log('SELF by source'); for (const [k, v] of [...selfm].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log((v / 1000).toFixed(1).padStart(8), k);
console.log('INCL'); for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((v / 1000).toFixed(1).padStart(8), k);
