/** Summarising a V8 CPU profile (`node --cpu-prof`): self time by function and by package. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  byFunction: { name: string; where: string; selfMs: number; share: number }[];
  byPackage: { name: string; selfMs: number; share: number }[];
}

/** Which package (or Gatehouse source folder) a script URL belongs to. */
function packageOf(url: string): string {
  if (url === '') return '(native / V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/^node:internal.*/, 'node:internal');
  const dist = /\/dist\/([^/]+)/.exec(url);
  if (dist) return `gatehouse ${dist[1]!.replace(/\.js$/, '')}`;
  return url;
}

export function summarise(profile: CpuProfile, top = 25): ProfileSummary {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const hits = new Map<number, number>();
  for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  const perSample = totalMs / Math.max(1, profile.samples.length);
  const fn = new Map<string, { name: string; where: string; selfMs: number }>();
  const pkg = new Map<string, number>();
  let idleMs = 0;
  for (const node of profile.nodes) {
    const self = (hits.get(node.id) ?? 0) * perSample;
    if (self === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleMs += self;
      continue;
    }
    const where = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const entry = fn.get(key) ?? { name: functionName || '(anonymous)', where, selfMs: 0 };
    entry.selfMs += self;
    fn.set(key, entry);
    const p = functionName === '(garbage collector)' ? '(garbage collector)' : functionName === '(program)' ? '(program)' : packageOf(url);
    pkg.set(p, (pkg.get(p) ?? 0) + self);
  }
  const busy = totalMs - idleMs;
  return {
    totalMs,
    idleMs,
    byFunction: [...fn.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top).map((f) => ({ ...f, share: f.selfMs / busy })),
    byPackage: [...pkg.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, selfMs]) => ({ name, selfMs, share: selfMs / busy })),
  };
}

export function summaryText(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  return [
    `profiled ${(s.totalMs / 1000).toFixed(1)} s, idle ${((s.idleMs / s.totalMs) * 100).toFixed(0)} %; shares below are of busy time`,
    '',
    'self time by package or folder:',
    ...s.byPackage.map((p) => `  ${pct(p.share)}  ${p.name}`),
    '',
    'self time by function:',
    ...s.byFunction.map((f) => `  ${pct(f.share)}  ${f.name}  ${f.where}`),
  ].join('\n');
}
