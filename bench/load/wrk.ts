/**
 * wrk (https://github.com/wg/wrk) driven by a generated Lua script: it counts
 * every response whose status is not the expected one, substitutes a fresh
 * value per request when the scenario needs one (authorization codes are
 * single-use; each wrk thread takes its own share), and prints one JSON line
 * with the totals and latency percentiles.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { splitTemplate, type LoadResult, type LoadSpec } from './load.js';

const run = promisify(execFile);

export function wrkVersion(): string {
  const out = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  return /wrk\s+(\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? 'unknown';
}

const lua = (s: string) => JSON.stringify(s); // a JSON string literal is a valid Lua string literal for ASCII input

/** A Lua expression building `template` with `v` in place of each `{v}`. */
function expr(template: string): string {
  return splitTemplate(template).map(lua).join(' .. v .. ');
}

function script(spec: LoadSpec, valuesFile: string | null, threads: number): string {
  const varying = valuesFile !== null;
  const headers = Object.entries(spec.headers).map(([k, v]) => `[${lua(k)}] = ${expr(v)}`).join(', ');
  const build = `wrk.format(${lua(spec.method)}, ${expr(spec.path)}, { ${headers} }, ${spec.body === undefined ? 'nil' : expr(spec.body)})`;
  return `
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

bad = 0
first_bad = ""
local vals, n, i = {}, 0, 0
local fixed = nil

function init(args)
  ${varying ? `
  local k = 0
  for line in io.lines(${lua(valuesFile)}) do
    if k % ${threads} == tid then n = n + 1; vals[n] = line end
    k = k + 1
  end` : `
  local v = ""
  fixed = ${build}`}
end

function request()
  if fixed then return fixed end
  i = i + 1
  if i > n then
    ${spec.once ? 'return wrk.format("GET", "/bench-ran-out-of-fresh-values")' : 'i = 1'}
  end
  local v = vals[i]
  return ${build}
end

${spec.ratePerSec === undefined ? '' : `-- Each connection waits its share of the rate before its next request.
function delay()
  return ${((spec.connections * 1000) / spec.ratePerSec).toFixed(3)}
end
`}
function response(status, headers, body)
  if status ~= ${spec.expectStatus} then
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.gsub(string.sub(body or "", 1, 300), "[^%w%p ]", " ") end
  end
end

function done(summary, latency, requests)
  local b, fb = 0, ""
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    if fb == "" then fb = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"bad":%d,"socket_errors":%d,"first_bad":%q}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, b,
    e.connect + e.read + e.write + e.timeout, fb))
end
`;
}

export async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-wrk-'));
  try {
    // Two threads: one per core here; more only adds context switches.
    const threads = Math.max(1, Math.min(2, spec.connections));
    let valuesFile: string | null = null;
    if (spec.values && spec.values.length > 0) {
      valuesFile = path.join(dir, 'values.txt');
      writeFileSync(valuesFile, `${spec.values.join('\n')}\n`);
    }
    const scriptFile = path.join(dir, 'bench.lua');
    writeFileSync(scriptFile, script(spec, valuesFile, threads));
    const args = ['-t', String(threads), '-c', String(spec.connections), '-d', `${spec.durationSec}s`, '--timeout', '10s', '-s', scriptFile, spec.origin + '/'];
    const { stdout } = await run('wrk', args, { maxBuffer: 16 * 1024 * 1024 });
    const line = stdout.split('\n').find((l) => l.startsWith('WRKJSON '));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const r = JSON.parse(line.slice(8)) as {
      requests: number; duration_us: number; p50_us: number; p99_us: number; max_us: number; bad: number; socket_errors: number; first_bad: string;
    };
    const seconds = r.duration_us / 1e6;
    return {
      tool: 'wrk',
      requests: r.requests,
      seconds,
      rps: r.requests / seconds,
      p50Ms: r.p50_us / 1000,
      p99Ms: r.p99_us / 1000,
      maxMs: r.max_us / 1000,
      bad: r.bad,
      socketErrors: r.socket_errors,
      firstBad: r.first_bad,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
