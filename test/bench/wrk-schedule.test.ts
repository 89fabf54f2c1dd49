/**
 * The benchmark's steady caller (bench/load/wrk.ts `schedule`): requests at
 * a fixed rate must keep that rate while answers take time, and a server too
 * slow for the rate must show up as requests sent late, not as a lower rate
 * with good latencies. Pacing each connection by a pause after its answer
 * fails the first test: 16 connections, each waiting 20 ms for an answer and
 * then 80 ms, send at most 160 requests/s instead of 200 (154 measured).
 * The server here is a plain node:http one whose answers wait a set time;
 * the bounds are wide, since they check the rate the harness offers, not how
 * fast anything is.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runWrk } from '../../bench/load/wrk.js';

let server: Server;
let origin: string;

beforeAll(async () => {
  // GET /<ms>: answered after that many milliseconds.
  server = createServer((req, res) => {
    setTimeout(() => res.end('ok'), Number(req.url!.slice(1)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const steady = (answerMs: number) =>
  runWrk({ method: 'GET', path: `/${answerMs}`, headers: {}, expectStatus: 200, origin, connections: 16, durationSec: 3, ratePerSec: 200 });

test('a steady rate holds while answers take time, and nothing is sent late', async () => {
  const result = await steady(20);
  expect(result.bad).toBe(0);
  expect(result.rps).toBeGreaterThan(180);
  expect(result.rps).toBeLessThan(220);
  // Each connection waits for a slot up to 80 ms ahead: only a stall of the machine makes one late.
  expect(result.lateSends).toBeLessThanOrEqual(0.1 * result.requests);
}, 30_000);

test('a server slower than the rate is reported as requests sent late', async () => {
  // 16 connections, 250 ms per answer: at most 64 answers/s against a schedule of 200.
  const result = await steady(250);
  expect(result.bad).toBe(0);
  expect(result.rps).toBeLessThan(100);
  expect(result.lateSends).toBeGreaterThan(0.5 * result.requests);
}, 30_000);

test('without a rate, wrk floods and counts nothing as late', async () => {
  const result = await runWrk({ method: 'GET', path: '/0', headers: {}, expectStatus: 200, origin, connections: 4, durationSec: 1 });
  expect(result.bad).toBe(0);
  expect(result.lateSends).toBeUndefined();
  expect(result.rps).toBeGreaterThan(200);
}, 30_000);
