/**
 * `npm run bench [-- options]`: runs the benchmark (bench/benchmark.ts),
 * prints the table and writes it as JSON, Markdown and an SVG chart. Exits 1
 * when any request got a wrong answer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runBenchmark, writeReport } from './benchmark.js';
import { parseOptions } from './options.js';
import { buildRows, type Report, toText } from './report.js';

const options = parseOptions(process.argv.slice(2));
let report: Report;
if (options.fromJson) {
  // Re-render a saved run (after a change to the report, or to draw the chart again).
  report = JSON.parse(readFileSync(options.fromJson, 'utf8')) as Report;
  report.rows = buildRows(report.runs, report.rows.map((r) => r.endpoint), report.targets.map((t) => t.id));
} else {
  report = await runBenchmark(options);
}
writeReport(report, options.out);
process.stdout.write(`${toText(report)}\n\nwritten: ${path.join(options.out, 'bench.{json,md,svg}')}\n`);
const worst = report.rows.flatMap((r) => Object.entries(r.ratioToPeer).map(([g, v]) => ({ g, v, e: r.endpoint }))).filter((x) => x.v !== null);
if (worst.length > 0) {
  const w = worst.reduce((a, b) => (a.v! < b.v! ? a : b));
  process.stdout.write(`worst ratio: ${w.v!.toFixed(2)}× (${w.g}, ${w.e})\n`);
}
process.exit(report.failures.length > 0 ? 1 : 0);
