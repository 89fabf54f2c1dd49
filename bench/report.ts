/**
 * The benchmark's one table — requests/s, p50 and p99 per endpoint and server,
 * Gatehouse / node-oidc-provider, Gatehouse as a % of the node:http floor —
 * as text for the terminal, Markdown, JSON, and an SVG bar chart of the ratios.
 */
import type { Footprint } from './footprint.js';
import type { Measured } from './measure.js';
import { ENDPOINT_LABELS, type EndpointId } from './targets/target.js';
import { median } from './stats.js';

export interface Cell {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  servedBy: string;
  /** Requests/s of every round, in order. */
  rounds: number[];
}

export interface Row {
  endpoint: EndpointId;
  label: string;
  cells: Record<string, Cell | null>;
  /** Gatehouse target id → its requests/s over node-oidc-provider's (median of the per-round ratios). */
  ratioToPeer: Record<string, number | null>;
  /** Gatehouse target id → its requests/s as a share of the floor's (0–1, median of the per-round shares). */
  shareOfFloor: Record<string, number | null>;
}

export interface LoginResult {
  target: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Logins/s over raw argon2 verifications/s. */
  shareOfHashRate: number;
  /** /info at a steady rate (absent from reports saved before it was steady: they flooded it), alone and while sign-ins saturate the machine. */
  infoRate?: number;
  /**
   * The connections the steady /info is sent over (absent from reports saved before: 4, each pausing
   * after its answer, so the rate offered fell as answers slowed). With wrk, on a fixed schedule.
   */
  infoConnections?: number;
  infoAloneP99Ms: number;
  infoDuringP99Ms: number;
  infoDuringRps: number;
  /** Steady /info requests sent more than 1 ms behind their schedule while sign-ins ran (absent before the schedule). */
  infoDuringLate?: number;
  infoDuringRequests?: number;
  /** The same sign-ins beside /info sent as fast as it is answered (4 connections), where the two split the cores. */
  flood?: { rps: number; shareOfHashRate: number; infoRps: number; infoP99Ms: number };
}

export interface Report {
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number; model: string; node: string; loadavgStart: number[]; loadavgEnd: number[]; uptimeStart: string; uptimeEnd: string; commit: string;
    /** Linux's autogroup scheduling during the run (machine.ts); null without it, absent from reports saved before it was recorded. */
    autogroup?: boolean | null;
  };
  settings: {
    driver: string; connections: number; durationSec: number; warmupSec: number; rounds: number; logLevel: string; smoke: boolean;
    /** Unmeasured seconds of sign-ins before they were measured; absent in runs before it was set apart (they had `warmupSec`). */
    loginWarmupSec?: number;
    /** The PostgreSQL server's durability settings as it reported them (absent from reports saved before they were recorded). */
    postgres?: string;
  };
  targets: { id: string; label: string }[];
  rows: Row[];
  /** `threads` is absent from runs saved before it was recorded (they printed libuv's pool size, which hashing has not used since its own threads, src/crypto/password-pool.ts). */
  hashRate: { perSecond: number; threads?: number } | null;
  login: LoginResult[];
  /** Start-up time, idle memory and SDK size (absent from reports saved before they were measured). */
  footprint?: Footprint | null;
  /** Resident memory of each server once started and seeded (before load) and after every round. */
  rss?: Record<string, { beforeLoadMb: number | null; afterLoadMb: number | null }>;
  runs: Measured[];
  failures: string[];
}

export const PEER = 'oidc-provider';
export const FLOOR = 'node-http';
/** Every Gatehouse measured: this build (one process or several), and a baseline build when one was given. */
export const isGatehouse = (id: string) => id.startsWith('gatehouse') || id.startsWith('baseline');
const isPostgres = (id: string) => id.includes('postgres');
const READS: readonly EndpointId[] = ['info', 'userinfo', 'introspect'];

/** Issue 17's goal for one Gatehouse on one endpoint: requests/s over node-oidc-provider's, and p99 (SQLite only). */
export function goalFor(id: string, endpoint: EndpointId): { ratio: number; p99Ms: number | null; floor: number | null } {
  const read = READS.includes(endpoint);
  if (isPostgres(id)) return { ratio: read ? 1.5 : 1, p99Ms: null, floor: null };
  return read ? { ratio: 3, p99Ms: 10, floor: 0.4 } : { ratio: 2, p99Ms: 15, floor: null };
}

/**
 * `a`'s requests/s over `b`'s: the median over rounds of the ratio within each
 * round. The servers of one round ran back to back, so they saw the same
 * machine; pairing them cancels most of the load other programs put on it.
 */
function pairedRatio(runs: Measured[], endpoint: EndpointId, a: string, b: string): number | null {
  const ratios: number[] = [];
  for (const ra of runs.filter((r) => r.endpoint === endpoint && r.target === a)) {
    const rb = runs.find((r) => r.endpoint === endpoint && r.target === b && r.round === ra.round);
    if (rb) ratios.push(ra.rps / rb.rps);
  }
  return ratios.length > 0 ? median(ratios) : null;
}

/** Per endpoint and server, the round with the median requests/s. */
export function buildRows(runs: Measured[], endpoints: EndpointId[], targets: string[]): Row[] {
  return endpoints.map((endpoint) => {
    const cells: Record<string, Cell | null> = {};
    for (const t of targets) {
      const mine = runs.filter((r) => r.endpoint === endpoint && r.target === t);
      if (mine.length === 0) {
        cells[t] = null;
        continue;
      }
      const mid = median(mine.map((r) => r.rps));
      const chosen = mine.find((r) => r.rps === mid)!;
      cells[t] = { rps: chosen.rps, p50Ms: chosen.p50Ms, p99Ms: chosen.p99Ms, servedBy: chosen.servedBy, rounds: mine.map((r) => r.rps) };
    }
    const ratioToPeer: Record<string, number | null> = {};
    const shareOfFloor: Record<string, number | null> = {};
    for (const t of targets.filter(isGatehouse)) {
      ratioToPeer[t] = pairedRatio(runs, endpoint, t, PEER);
      shareOfFloor[t] = pairedRatio(runs, endpoint, t, FLOOR);
    }
    return { endpoint, label: ENDPOINT_LABELS[endpoint], cells, ratioToPeer, shareOfFloor };
  });
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const ratio = (n: number | null) => (n === null ? '–' : `${n.toFixed(2)}×`);
const pct = (n: number | null) => (n === null ? '–' : `${(n * 100).toFixed(0)} %`);

function tableRows(report: Report): string[][] {
  const ids = report.targets.map((t) => t.id);
  const gatehouses = ids.filter(isGatehouse);
  const header = ['endpoint', ...ids.map((id) => `${id} req/s (p50 / p99 ms)`), ...gatehouses.map((g) => `${g} / oidc-provider`), ...gatehouses.map((g) => `${g} % of floor`)];
  const rows = report.rows.map((row) => [
    row.label,
    ...ids.map((id) => {
      const c = row.cells[id];
      return c ? `${f0(c.rps)} (${ms(c.p50Ms)} / ${ms(c.p99Ms)})` : '–';
    }),
    ...gatehouses.map((g) => ratio(row.ratioToPeer[g] ?? null)),
    ...gatehouses.map((g) => pct(row.shareOfFloor[g] ?? null)),
  ]);
  return [header, ...rows];
}

/** The sign-in floor's id (targets/floor.ts): sign-ins that only hash, measured as Gatehouse's are. */
export const SIGN_IN_FLOOR = 'sign-in-floor';

function loginLines(report: Report): string[] {
  if (!report.hashRate) return [];
  const warm = report.settings.loginWarmupSec ?? report.settings.warmupSec;
  const lines = [
    `raw argon2id verifications: ${report.hashRate.perSecond.toFixed(1)}/s${report.hashRate.threads === undefined ? '' : ` (${report.hashRate.threads} hashing threads)`}`,
    `sign-ins measured after ${warm} s of unmeasured sign-ins`,
  ];
  for (const l of report.login) {
    const infoLoad = l.infoRate === undefined ? 'at 4 connections'
      : l.infoDuringLate === undefined ? `at ${f0(l.infoRate)} req/s over ${l.infoConnections ?? 4} connections, each pausing after its answer`
      : `at ${f0(l.infoRate)} req/s on a fixed schedule over ${l.infoConnections} connections`;
    const late = l.infoDuringLate === undefined || l.infoDuringRequests === undefined ? '' : `, ${f0(l.infoDuringLate)} of ${f0(l.infoDuringRequests)} sent late`;
    lines.push(
      `${l.target} POST /login: ${l.rps.toFixed(1)}/s = ${pct(l.shareOfHashRate)} of the hash rate (p50 ${ms(l.p50Ms)} ms, p99 ${ms(l.p99Ms)} ms); ` +
        `/info ${infoLoad}: p99 ${ms(l.infoAloneP99Ms)} ms alone, ${ms(l.infoDuringP99Ms)} ms while sign-ins run (${f0(l.infoDuringRps)} req/s${late})`,
    );
    if (l.flood) {
      lines.push(
        `${l.target} POST /login beside an /info flood (4 connections, each sending as soon as answered): ${l.flood.rps.toFixed(1)}/s = ${pct(l.flood.shareOfHashRate)} of the hash rate; ` +
          `/info ${f0(l.flood.infoRps)} req/s, p99 ${ms(l.flood.infoP99Ms)} ms (the two split the cores)`,
      );
    }
  }
  return lines;
}

function footprintLines(report: Report): string[] {
  const lines: string[] = [];
  const f = report.footprint;
  if (f) {
    lines.push(`Gatehouse (SQLite) start to first /healthz answer: ${f0(f.firstStartMs)} ms on an empty data directory (migrations, keys), ${f0(f.restartMs)} ms on its database (median of ${f.restarts.length})`);
    lines.push(`Gatehouse idle resident memory: ${f.idleRssMb.toFixed(1)} MB (${f.idleSeconds} s after start)`);
    lines.push(`/sdk/suggest.js: ${f0(f.suggestBytes)} bytes, ${f0(f.suggestGzipBytes)} bytes gzipped`);
  }
  const rss = Object.entries(report.rss ?? {});
  if (rss.length > 0) {
    const mb = (n: number | null) => (n === null ? '–' : `${n.toFixed(0)} MB`);
    lines.push(`resident memory before → after the load: ${rss.map(([id, r]) => `${id} ${mb(r.beforeLoadMb)} → ${mb(r.afterLoadMb)}`).join('; ')}`);
  }
  return lines;
}

/** Issue 17's goals, each with the figure of this run and whether it was met. */
/**
 * Whether the server fell behind the steady /info schedule while sign-ins ran
 * (more than 1 % of its requests sent late): then wrk's latencies leave out
 * the waits before sending, and the p99 cannot meet a goal.
 */
const behind = (l: LoginResult): boolean =>
  l.infoDuringLate !== undefined && l.infoDuringRequests !== undefined && l.infoDuringLate > 0.01 * l.infoDuringRequests;

export function goals(report: Report): { goal: string; measured: string; met: boolean | null }[] {
  const out: { goal: string; measured: string; met: boolean | null }[] = [];
  const gatehouses = report.targets.map((t) => t.id).filter(isGatehouse);
  for (const g of gatehouses) {
    for (const [kind, endpoints] of [['token checks', READS], ['grants', ['client_credentials', 'refresh', 'code'] as EndpointId[]]] as const) {
      const rows = report.rows.filter((r) => endpoints.includes(r.endpoint));
      if (rows.length === 0) continue;
      const want = goalFor(g, rows[0]!.endpoint);
      const ratios = rows.map((r) => ({ label: r.label, v: r.ratioToPeer[g] ?? null })).filter((r) => r.v !== null) as { label: string; v: number }[];
      if (ratios.length > 0) {
        const worst = ratios.reduce((a, b) => (b.v < a.v ? b : a));
        out.push({ goal: `${g}: ${kind} ≥ ${want.ratio}× node-oidc-provider`, measured: `worst ${worst.v.toFixed(2)}× (${worst.label})`, met: worst.v >= want.ratio });
      }
      if (want.floor !== null) {
        const shares = rows.map((r) => ({ label: r.label, v: r.shareOfFloor[g] ?? null })).filter((r) => r.v !== null) as { label: string; v: number }[];
        if (shares.length > 0) {
          const worst = shares.reduce((a, b) => (b.v < a.v ? b : a));
          out.push({ goal: `${g}: ${kind} ≥ ${pct(want.floor)} of the node:http floor`, measured: `worst ${pct(worst.v)} (${worst.label})`, met: worst.v >= want.floor });
        }
      }
      if (want.p99Ms !== null) {
        const p99s = rows.map((r) => ({ label: r.label, v: r.cells[g]?.p99Ms ?? null })).filter((r) => r.v !== null) as { label: string; v: number }[];
        if (p99s.length > 0) {
          const worst = p99s.reduce((a, b) => (b.v > a.v ? b : a));
          out.push({ goal: `${g}: ${kind} p99 ≤ ${want.p99Ms} ms at ${report.settings.connections} connections`, measured: `worst ${ms(worst.v)} ms (${worst.label})`, met: worst.v <= want.p99Ms });
        }
      }
    }
    const login = report.login.find((l) => l.target === g);
    const signInFloor = report.login.find((l) => l.target === SIGN_IN_FLOOR);
    if (login) {
      out.push({
        goal: `${g}: sign-ins ≥ 90 % of the argon2 rate while /info${login.infoRate === undefined ? '' : ` (${f0(login.infoRate)} req/s)`} p99 ≤ 20 ms`,
        measured: `${pct(login.shareOfHashRate)}, /info p99 ${ms(login.infoDuringP99Ms)} ms${behind(login) ? ` (${f0(login.infoDuringLate!)} requests sent late: the p99 understates)` : ''}${signInFloor ? `; a server that only hashes: ${pct(signInFloor.shareOfHashRate)}` : ''}`,
        met: login.shareOfHashRate >= 0.9 && login.infoDuringP99Ms <= 20 && !behind(login),
      });
    }
  }
  const f = report.footprint;
  if (f) {
    out.push({ goal: 'idle resident memory ≤ 80 MB', measured: `${f.idleRssMb.toFixed(1)} MB`, met: f.idleRssMb <= 80 });
    out.push({ goal: 'restart to /healthz ≤ 400 ms (SQLite)', measured: `${f0(f.restartMs)} ms (first start on an empty directory ${f0(f.firstStartMs)} ms)`, met: f.restartMs <= 400 });
  }
  return out;
}

function goalLines(report: Report): string[] {
  return goals(report).map((g) => `${g.met === null ? '?' : g.met ? 'met' : 'NOT MET'} · ${g.goal}: ${g.measured}`);
}

function context(report: Report): string[] {
  const m = report.machine;
  const s = report.settings;
  return [
    `${report.startedAt} · ${m.cpus} × ${m.model} · Node ${m.node} · commit ${m.commit}`,
    `load average at start ${m.loadavgStart.map((x) => x.toFixed(2)).join(', ')}; at end ${m.loadavgEnd.map((x) => x.toFixed(2)).join(', ')}`,
    `servers: ${report.targets.map((t) => `${t.id} = ${t.label}`).join('; ')}`,
    `${s.driver}, ${s.connections} connections, ${s.durationSec} s measured after ${s.warmupSec} s warm-up, ${s.rounds} round(s): the median round is shown, ratios are the median of the per-round ratios; Gatehouse log level ${s.logLevel}${s.smoke ? ' — SMOKE MODE, figures meaningless' : ''}`,
    ...(s.postgres ? [`PostgreSQL: ${s.postgres}`] : []),
    ...(m.autogroup === undefined || m.autogroup === null ? [] : [m.autogroup
      ? "Linux's autogroup scheduling on: each PostgreSQL backend is a session of its own, weighed like all of a Gatehouse's processes together when the cores are full (docs/benchmarks.md; `--no-autogroup` turns it off for a run)"
      : "Linux's autogroup scheduling off for this run"]),
  ];
}

export function toText(report: Report): string {
  const table = tableRows(report);
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    ...context(report),
    '',
    line(table[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...table.slice(1).map(line),
    '',
    ...loginLines(report),
    ...footprintLines(report),
    '',
    'goals:',
    ...goalLines(report),
    ...(report.failures.length ? ['', 'FAILURES:', ...report.failures] : []),
  ].join('\n');
}

export function toMarkdown(report: Report): string {
  const table = tableRows(report);
  const peerNotes = report.rows
    .map((r) => r.cells[PEER])
    .filter((c): c is Cell => c !== null && c !== undefined && c.servedBy !== '')
    .map((c) => c.servedBy);
  return [
    '# Gatehouse benchmark',
    '',
    ...context(report).map((l) => `- ${l}`),
    '',
    `| ${table[0]!.join(' | ')} |`,
    `|${table[0]!.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...table.slice(1).map((r) => `| ${r.join(' | ')} |`),
    '',
    ...(peerNotes.length ? [`node-oidc-provider answers /info and /userinfo at \`GET /me\`, introspection at \`POST /token/introspection\`.`, ''] : []),
    ...loginLines(report).map((l) => `- ${l}`),
    ...footprintLines(report).map((l) => `- ${l}`),
    '',
    '## Goals',
    '',
    ...goalLines(report).map((l) => `- ${l}`),
    ...(report.failures.length ? ['', '**Failures:**', '', ...report.failures.map((f) => `- ${f}`)] : []),
    '',
  ].join('\n');
}

const escapeXml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * Horizontal bars of Gatehouse / node-oidc-provider per endpoint, one bar per
 * Gatehouse server (engine, process count), the 1× line, and each bar's goal
 * of issue 17 as a red tick.
 */
export function toSvg(report: Report, title = 'Gatehouse requests/s ÷ node-oidc-provider requests/s (same run)'): string {
  const targets = report.targets.filter((t) => isGatehouse(t.id));
  const gatehouses = targets.map((t) => t.id);
  // By kind: a baseline grey; SQLite blue, PostgreSQL green; two or more workers the lighter shade.
  const colour = (id: string) => (id.startsWith('baseline') ? '#9ca3af' : isPostgres(id) ? (/-\d+w$/.test(id) ? '#86efac' : '#16a34a') : /-\d+w$/.test(id) ? '#93c5fd' : '#2563eb');
  const values = report.rows.flatMap((r) => gatehouses.map((g) => r.ratioToPeer[g] ?? 0));
  const max = Math.max(3.2, ...values) * 1.1;
  const left = 250;
  const width = 760;
  const plot = width - left - 60;
  const bar = 12;
  const group = gatehouses.length * (bar + 3) + 14;
  const top = 64 + targets.length * 16;
  const height = top + report.rows.length * group + 40;
  const x = (v: number) => left + (v / max) * plot;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="10" y="36" fill="#555">${escapeXml(`${report.startedAt.slice(0, 16)} · ${report.machine.cpus} cores · load ${report.machine.loadavgStart[0]!.toFixed(1)} · ${report.settings.connections} connections · red tick: the goal (issue 17)`)}</text>`,
  ];
  targets.forEach((t, i) => {
    out.push(`<rect x="10" y="${46 + i * 16}" width="10" height="10" fill="${colour(t.id)}"/>`);
    out.push(`<text x="25" y="${55 + i * 16}">${escapeXml(t.label)}</text>`);
  });
  out.push(`<line x1="${x(1)}" y1="${top - 6}" x2="${x(1)}" y2="${height - 30}" stroke="#888" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${x(1) + 3}" y="${height - 13}" fill="#555">1× (as fast as node-oidc-provider)</text>`);
  report.rows.forEach((row, r) => {
    const y0 = top + r * group;
    out.push(`<text x="${left - 8}" y="${y0 + group / 2 - 2}" text-anchor="end">${escapeXml(row.label)}</text>`);
    gatehouses.forEach((g, i) => {
      const v = row.ratioToPeer[g];
      const y = y0 + i * (bar + 3);
      const goal = goalFor(g, row.endpoint).ratio;
      out.push(`<line x1="${x(goal)}" y1="${y - 1}" x2="${x(goal)}" y2="${y + bar + 1}" stroke="#dc2626" stroke-width="2"/>`);
      if (v === null || v === undefined) return;
      out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(v) - left).toFixed(1)}" height="${bar}" fill="${colour(g)}"/>`);
      out.push(`<text x="${(Math.max(x(v), x(goal)) + 4).toFixed(1)}" y="${y + bar - 2}">${v.toFixed(2)}×</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
