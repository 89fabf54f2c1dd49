/**
 * dist/main.js, what operators run (scripts/build.mjs bundles the server into dist/server.cjs, which main.js
 * compiles with V8's code cache from dist/server.cache), answers as the sources do.
 * The build rewrites what it bundles so that a start costs less: Gatehouse's own characters outside ASCII
 * become escapes, Node's http2 and Fastify's schema compilers are loaded on first use. What a person or a
 * scraper sees must not change: the pages' text, the metrics' names.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ru as russianCatalogue } from '../../src/pages/messages/index.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { HttpUser } from '../helpers/http-client.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

const ru = russianCatalogue();

const ROOT = path.resolve(import.meta.dirname, '../..');
let dataDir: string;
let bundle: GatehouseProcess;
let sources: TestGatehouse;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bundle-'));
  bundle = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dataDir }, { operator: true });
  sources = await startGatehouse();
});
afterAll(async () => {
  await bundle?.stop();
  await sources?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the bundle and the picture worker are ASCII only: V8 keeps each as a one-byte string, half the memory of a two-byte one', () => {
  for (const file of ['main.js', 'server.cjs', 'picture-worker.js']) {
    const bytes = readFileSync(path.join(ROOT, 'dist', file));
    const first = bytes.findIndex((b) => b > 0x7f);
    expect([file, first === -1 ? null : bytes.subarray(Math.max(0, first - 60), first + 20).toString('utf8')]).toEqual([file, null]);
  }
});

test('V8 takes the code cache the build made for the bundle, compiled as dist/main.js compiles it, under its own path', () => {
  const filename = path.join(ROOT, 'dist/server.cjs');
  const cache = readFileSync(path.join(ROOT, 'dist/server.cache'));
  const end = cache.indexOf(10);
  // V8 keeps the name the cache was made with (stack traces show it): the build's temporary directory must not be it.
  expect(cache.toString('utf8', 0, end)).toBe(filename);
  const script = new vm.Script(readFileSync(filename, 'utf8'), {
    filename,
    cachedData: cache.subarray(end + 1),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  expect(script.cachedDataRejected).toBe(false);
});

test('the libraries the server loads on first use are beside it, in dist/lazy/, and load there', () => {
  const source = readFileSync(path.join(ROOT, 'dist/server.cjs'), 'utf8');
  const required = [...source.matchAll(/require\("(\.\/lazy\/[^"]+)"\)/g)].map((m) => m[1]!).sort();
  expect(required).toEqual(['./lazy/nodemailer.cjs', './lazy/pino-pretty.cjs', './lazy/qrcode.cjs', './lazy/simplewebauthn-server.cjs', './lazy/standardwebhooks.cjs']);
  const load = createRequire(path.join(ROOT, 'dist/server.cjs'));
  expect(typeof load('./lazy/nodemailer.cjs').createTransport).toBe('function');
  expect(typeof load('./lazy/pino-pretty.cjs')).toBe('function');
  expect(typeof load('./lazy/qrcode.cjs').toString).toBe('function');
  expect(typeof load('./lazy/simplewebauthn-server.cjs').verifyRegistrationResponse).toBe('function');
  expect(typeof load('./lazy/standardwebhooks.cjs').Webhook).toBe('function');
});

test('the bundle reports the same metrics as the sources, process CPU and event-loop lag among them', async () => {
  const names = async (url: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return text.split('\n').filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2]).sort();
  };
  const fromBundle = await names(bundle.url);
  expect(fromBundle).toEqual(await names(sources.url));
  expect(fromBundle).toContain('gatehouse_process_cpu_seconds_total');
  expect(fromBundle).toContain('gatehouse_nodejs_eventloop_lag_seconds');
  expect(fromBundle).toContain('gatehouse_nodejs_gc_duration_seconds');
});

test('pages served by the bundle keep their characters outside ASCII, in templates and in catalogues', async () => {
  const login = 'bundled-reader';
  const password = randomBytes(18).toString('base64url');
  execFileSync(process.execPath, ['dist/cli/main.js', 'user', 'create', '--login', login, '--password-stdin'], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', GATEHOUSE_DATA_DIR: dataDir }, input: password, stdio: ['pipe', 'ignore', 'ignore'],
  });
  const person = new HttpUser({ url: bundle.url } as TestGatehouse, login, password);
  await person.signIn();
  const page = await (await person.get('/account?lang=ru')).text();
  // The sessions list joins the time and the address with a middle dot written in an `html` template.
  expect(page).toMatch(/ · <span translate="no">127\.0\.0\.1<\/span>/);
  expect(page).toContain(ru.account.signedInAt.split(' ')[0]!);
  const notFound = await fetch(`${bundle.url}/no-such-page?lang=ru`, { headers: { accept: 'text/html' } });
  expect(notFound.status).toBe(404);
  expect(await notFound.text()).toContain(ru.notFound);
});

test('HEAD is answered as GET is, without a body', async () => {
  const res = await fetch(`${bundle.url}/healthz`, { method: 'HEAD' });
  expect(res.status).toBe(200);
  expect(await res.text()).toBe('');
});
