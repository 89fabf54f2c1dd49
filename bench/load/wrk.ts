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

/**
 * A steady caller's Lua: requests leave on a fixed schedule, one every
 * `everyMs` per wrk thread, whenever the answers before them come back.
 * Pacing each connection by a pause after its answer (what `delay()` alone
 * does) lets the offered rate fall as answers slow down, and a slow server
 * then looks fast: its callers waited, but no request measured it. Here each
 * answer's connection takes the next free slot of its thread's schedule and
 * waits for it; a slot already past is sent at once and counted as `late`
 * (more than a millisecond behind). wrk times a request from when it is
 * sent, so its latencies are the schedule's only while nothing is late:
 * enough connections give the schedule room (each waits for a slot up to
 * connections × everyMs ahead), and the result carries the late count so
 * that a run in which the server fell behind says so.
 */
function schedule(everyMs: number): string {
  return `
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } gatehouse_timespec;
int clock_gettime(int clock_id, gatehouse_timespec *tp);
]]
local clock = ffi.new("gatehouse_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end
local slot = nil
late = 0
function delay()
  local now = now_ms()
  slot = (slot or now) + ${everyMs.toFixed(4)}
  local wait = slot - now
  if wait < -1 then late = late + 1 end
  -- wrk takes whole milliseconds; the schedule keeps the fraction, so the rate stays exact.
  if wait <= 0 then return 0 end
  return math.floor(wait)
end
`;
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

${spec.ratePerSec === undefined ? '' : schedule((threads * 1000) / spec.ratePerSec)}
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
  local l = 0
  for _, t in ipairs(threads) do l = l + (t:get("late") or 0) end
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"bad":%d,"socket_errors":%d,"late":%d,"first_bad":%q}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, b,
    e.connect + e.read + e.write + e.timeout, l, fb))
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
      requests: number; duration_us: number; p50_us: number; p99_us: number; max_us: number; bad: number; socket_errors: number; late: number; first_bad: string;
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
      ...(spec.ratePerSec === undefined ? {} : { lateSends: r.late }),
      firstBad: r.first_bad,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
