/**
 * One upload must not stall the server. A PNG of a few dozen kilobytes can
 * hold tens of millions of pixels; decoding and resizing it takes seconds of
 * CPU. Gatehouse reads the picture's size from its header first and refuses
 * one over the pixel cap (MAX_PIXELS) before decoding anything, decodes the
 * rest in a worker thread so the event loop keeps answering everyone else,
 * and limits uploads per user (`pictureUploadsPerUser`, counted in the
 * database like every other limit).
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PASSWORD } from '../console/support.js';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import { spawnGatehouse, type GatehouseProcess } from '../helpers/process.js';

/** A PNG of one colour with a gradient row, so it compresses to a small file however many pixels it has. */
function bigPng(width: number, height: number): Buffer {
  const image = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  image.data = Buffer.alloc(width * height * 3, 120);
  for (let x = 0; x < width; x++) image.data[x * 3] = x % 256;
  return PNG.sync.write(image, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 1 });
}

/** The start of a baseline JPEG whose frame header (SOF0) claims `width` × `height`. */
function jpegHeader(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]), sof, Buffer.alloc(2000, 0)]);
}

function multipart(csrf: string, file: Buffer, type = 'image/png'): { body: Buffer; type: string } {
  const boundary = 'gatehouse-load-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="a.png"\r\nContent-Type: ${type}\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** A signed-in user on `url` with the account page's CSRF token. */
async function signedIn(url: string, login: string, create: () => Promise<unknown>): Promise<{ user: HttpUser; csrf: string }> {
  await create();
  const user = new HttpUser({ url } as TestGatehouse, login, PASSWORD);
  await user.signIn();
  return { user, csrf: hiddenFields(await (await user.get('/account')).text()).csrf! };
}

async function uploadAvatar(url: string, who: { user: HttpUser; csrf: string }, file: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  const form = multipart(who.csrf, file);
  return fetch(`${url}/account/avatar`, { method: 'POST', redirect: 'manual', headers: { 'content-type': form.type, cookie: who.user.jar.header(), ...headers }, body: form.body });
}

/**
 * Milliseconds this process's main thread (the event loop, which also runs the
 * server here) has spent runnable but waiting for a CPU, from Linux's
 * schedstat; 0 elsewhere. On a machine shared with many busy processes that
 * wait, not anything Gatehouse does, is most of any delay: subtracting it
 * leaves the time the event loop itself was busy.
 */
function cpuWaitMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return 0;
  }
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]!;

describe('picture uploads and the event loop', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse();
  });
  afterAll(async () => {
    await gh?.close();
  });

  test('a burst of large pictures under the pixel cap leaves /healthz answering while they are decoded', { timeout: 300_000 }, async () => {
    // 2400 × 2400 (under 6 megapixels, well under the cap) in about 20 KB: most of a second of decoding each, on the event loop before.
    const file = bigPng(2400, 2400);
    expect(file.length).toBeLessThan(200_000);
    const users = await Promise.all(['loada', 'loadb'].map((login) => signedIn(gh.url, login, () => gh.createUser(login, PASSWORD))));

    const delay = monitorEventLoopDelay({ resolution: 10 });
    /** How late each 10 ms timer of the event loop fired, less the time the thread waited for a CPU meanwhile. */
    const lateness: number[] = [];
    /** Each /healthz round trip, less the time the thread waited for a CPU meanwhile. */
    const latencies: number[] = [];
    const rawLatencies: number[] = [];
    /** When each /healthz answer arrived. */
    const answeredAt: number[] = [];
    let done = false;
    const sampler = (async () => {
      while (!done) {
        const [started, waited] = [performance.now(), cpuWaitMs()];
        const res = await fetch(`${gh.url}/healthz`);
        await res.arrayBuffer();
        rawLatencies.push(performance.now() - started);
        answeredAt.push(performance.now());
        latencies.push(performance.now() - started - (cpuWaitMs() - waited));
        await sleep(20);
      }
    })();
    await sleep(100);
    let tick = [performance.now(), cpuWaitMs()] as const;
    const ticker = setInterval(() => {
      const now = [performance.now(), cpuWaitMs()] as const;
      lateness.push(Math.max(0, now[0] - tick[0] - 10 - (now[1] - tick[1])));
      tick = now;
    }, 10);
    delay.enable();
    const started = performance.now();
    const statuses = await Promise.all(users.flatMap((u) => [u, u]).map(async (u) => (await uploadAvatar(gh.url, u, file)).status));
    const ended = performance.now();
    const burstMs = ended - started;
    delay.disable();
    clearInterval(ticker);
    done = true;
    await sampler;

    expect(statuses).toEqual([303, 303, 303, 303]);
    const healthP99 = percentile(latencies, 99);
    const loopP99 = percentile(lateness, 99);
    console.info(`4 uploads of 2400×2400 in ${Math.round(burstMs)} ms (load average ${loadavg()[0]!.toFixed(1)}): `
      + `/healthz answered ${answeredAt.filter((at) => at >= started && at <= ended).length} times, p99 ${healthP99.toFixed(1)} ms net of CPU wait, ${percentile(rawLatencies, 99).toFixed(1)} ms raw, over ${latencies.length} requests; `
      + `event-loop lateness p99 ${loopP99.toFixed(1)} ms net of CPU wait, max ${Math.max(...lateness).toFixed(1)} ms; `
      + `monitorEventLoopDelay p99 ${(delay.percentile(99) / 1e6 - 10).toFixed(1)} ms, max ${(delay.max / 1e6 - 10).toFixed(1)} ms`);
    expect(latencies.length).toBeGreaterThan(20);
    expect(loopP99).toBeLessThan(50);
    // Answers counted, not timed: the sampler asks every 20 ms, so a free loop answers about burstMs / 25 times during
    // the burst. Decoding on the loop would leave it about one answer per picture (4) plus the few between them.
    const answeredDuringBurst = answeredAt.filter((at) => at >= started && at <= ended).length;
    expect(answeredDuringBurst).toBeGreaterThan(Math.max(12, burstMs / 100));
    // Each stored avatar is served, every size of it.
    const avatarId = (await gh.ctx.storage.findUserByLogin('loada'))!.avatarId!;
    expect((await fetch(`${gh.url}/avatars/${avatarId}/islands-200`)).status).toBe(200);
  });

  test('pictures over the pixel cap are refused from their header, before decoding, with a clear page in English and Russian', async () => {
    const who = await signedIn(gh.url, 'capped', () => gh.createUser('capped', PASSWORD));
    // The 8000 × 3000 PNG of about 100 KB that blocked the server for seconds.
    const wide = bigPng(8000, 3000);
    expect(wide.length).toBeLessThan(200_000);
    const started = performance.now();
    const en = await uploadAvatar(gh.url, who, wide, { 'accept-language': 'en' });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(en.status).toBe(413);
    expect(await en.text()).toContain('at most 16 megapixels');
    const ru = await uploadAvatar(gh.url, who, jpegHeader(10_000, 10_000), { 'accept-language': 'ru' });
    expect(ru.status).toBe(413);
    expect(await ru.text()).toContain('не больше 16 мегапикселей');
    expect((await gh.ctx.storage.findUserByLogin('capped'))!.avatarId).toBeNull();
  });
});

describe('picture upload limit per user', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse({ config: { limits: { pictureUploadsPerUser: { max: 3, windowMs: 3_600_000 } } } });
  });
  afterAll(async () => {
    await gh?.close();
  });

  test('uploads past pictureUploadsPerUser are refused with 429 for that user only, in English and Russian', async () => {
    const small = bigPng(40, 40);
    const mallory = await signedIn(gh.url, 'mallory', () => gh.createUser('mallory', PASSWORD));
    const alice = await signedIn(gh.url, 'alice', () => gh.createUser('alice', PASSWORD));
    for (let i = 0; i < 3; i++) expect((await uploadAvatar(gh.url, mallory, small)).status).toBe(303);
    const refused = await uploadAvatar(gh.url, mallory, small, { 'accept-language': 'en' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3600');
    expect(await refused.text()).toContain('Too many pictures uploaded');
    const ru = await uploadAvatar(gh.url, mallory, small, { 'accept-language': 'ru' });
    expect(ru.status).toBe(429);
    expect(await ru.text()).toContain('Слишком много загруженных изображений');
    expect((await uploadAvatar(gh.url, alice, small)).status).toBe(303);
  });
});

describe('the built server', () => {
  let p: GatehouseProcess;
  afterAll(async () => {
    await p?.stop();
  });

  test('decodes uploads in its worker thread from the bundled dist/main.js', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    p = await spawnGatehouse({ GATEHOUSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gatehouse-upload-')) }, { operator: true });
    const login = 'bundled';
    const visitor = new HttpUser({ url: p.url } as TestGatehouse, login, PASSWORD);
    const fields = hiddenFields(await (await visitor.get('/signup')).text());
    expect((await visitor.post('/signup', { ...fields, login, password: PASSWORD })).status).toBe(303);
    const csrf = hiddenFields(await (await visitor.get('/account')).text()).csrf!;
    const res = await uploadAvatar(p.url, { user: visitor, csrf }, bigPng(600, 400));
    expect(res.status).toBe(303);
    const page = await (await visitor.get('/account')).text();
    const avatar = /\/avatars\/([0-9a-f]{32})\//.exec(page);
    expect(avatar, 'the account page shows the new avatar').not.toBeNull();
    const image = await fetch(`${p.url}/avatars/${avatar![1]}/islands-200`);
    expect(image.status).toBe(200);
    expect(PNG.sync.read(Buffer.from(await image.arrayBuffer()))).toMatchObject({ width: 200, height: 200 });
  });
});
