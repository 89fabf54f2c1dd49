/**
 * The access-log line written by hand (src/http/access-log.ts) is the line
 * pino writes for the same request, byte for byte: the server's own logger,
 * serializers and bindings, addresses and paths that need escaping, an
 * address that is missing, and the `debug` level static files log at.
 */
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { AccessLogWriter, type AccessLine } from '../../src/http/access-log.js';
import { buildServer } from '../../src/http/server.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { spawnGatehouse } from '../helpers/process.js';

let gh: TestGatehouse;
let server: FastifyInstance;
const lines: string[] = [];

beforeAll(async () => {
  gh = await startGatehouse({ config: { logLevel: 'info' } });
  server = await buildServer(gh.ctx, { logStream: { write: (line: string) => void lines.push(line) } });
});
afterAll(async () => {
  await server?.close();
  await gh?.close();
});

/** What pino writes for the line, then what the writer writes (at the end of the turn), at the same moment. */
async function both(level: 'info' | 'debug', line: AccessLine): Promise<[string | undefined, string | undefined]> {
  const now = vi.spyOn(Date, 'now').mockReturnValue(1_764_000_000_123);
  try {
    lines.length = 0;
    server.log.child({}, { redact: [] })[level]({
      reqId: line.reqId, req: { method: line.method, url: line.path, ip: line.ip }, res: { statusCode: line.status }, responseTime: line.responseTime,
    }, 'request completed');
    const [pino] = lines.splice(0);
    new AccessLogWriter(server.log).write(level, line);
    expect(lines).toEqual([]);
    await new Promise(setImmediate);
    const [byHand] = lines.splice(0);
    return [pino, byHand];
  } finally {
    now.mockRestore();
  }
}

const base: AccessLine = { reqId: '5f0c6a52-96a4-4a53-9d51-3c1cfa1b6a0e', method: 'GET', path: '/info', ip: '127.0.0.1', status: 200, responseTime: 0.41803999990224838 };

describe('the access-log line by hand', () => {
  test.each([
    ['a plain request', base],
    ['an IPv6 address and a form', { ...base, method: 'POST', path: '/token', ip: '::ffff:203.0.113.7', status: 400, responseTime: 12 }],
    ['no address (the socket had closed)', { ...base, ip: undefined }],
    ['an address a trusted proxy passed on with quotes, a backslash, control characters and non-ASCII', { ...base, ip: '1.2.3.4"}, "level":60 \\ \n\t\u0001 é 𝄞 \u2028' }],
    ['a path with escapes and non-ASCII', { ...base, path: '/pictures/"x"\\ü\u007f' }],
    ['printable ASCII only, with quotes and backslashes to escape', { ...base, path: '/a"b\\c', ip: '1.2.3.4"}, "level":60, "x":"\\' }],
  ])('%s: the same bytes as pino', async (_name, line) => {
    const [pino, byHand] = await both('info', line);
    expect(pino).toBeDefined();
    expect(byHand).toBe(pino);
    expect(JSON.parse(byHand!)).toMatchObject({ level: 30, msg: 'request completed', res: { statusCode: line.status } });
  });

  test('a static file is logged at debug: nothing at info, the same bytes as pino at debug', async () => {
    expect(await both('debug', base)).toEqual([undefined, undefined]);
    server.log.level = 'debug';
    try {
      const [pino, byHand] = await both('debug', { ...base, path: '/static/app.css' });
      expect(pino).toBeDefined();
      expect(byHand).toBe(pino);
    } finally {
      server.log.level = 'info';
    }
  });
});

test('the lines of one turn leave in one write, in order, at its end', async () => {
  lines.length = 0;
  const writer = new AccessLogWriter(server.log);
  for (let i = 0; i < 3; i++) writer.write('info', { ...base, path: `/n/${i}` });
  expect(lines).toEqual([]);
  await new Promise(setImmediate);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { req: { path: string } }).req.path)).toEqual(['/n/0', '/n/1', '/n/2']);
});

describe('the access log of `node dist/main.js` on a pipe', () => {
  const accessLines = (output: string) => output.split('\n').filter((l) => l.includes('"msg":"request completed"')).map((l) => JSON.parse(l) as { req: { path: string } });

  test('an idle server writes a request\'s line within a moment, and a stopped one writes every line it held', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-access-log-'));
    const server = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'info' });
    try {
      await fetch(`${server.url}/.well-known/openid-configuration`);
      // Lines are held for a batch, never for long: this one arrives with no other request after it.
      const deadline = Date.now() + 2_000;
      while (!accessLines(server.output()).some((l) => l.req.path === '/.well-known/openid-configuration') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(accessLines(server.output()).map((l) => l.req.path)).toContain('/.well-known/openid-configuration');
      // Twenty more, and the server stopped at once: none of their lines is lost.
      for (let i = 0; i < 20; i++) await fetch(`${server.url}/jwks?n=${i}`);
      await server.stop();
      expect(accessLines(server.output()).filter((l) => l.req.path === '/jwks')).toHaveLength(20);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
