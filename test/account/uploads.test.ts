/**
 * Picture uploads over plain HTTP: only multipart forms with the CSRF token,
 * a file of at most 5 MB, and never a server error for a broken or hostile
 * body (the avatar and icon forms are the only multipart endpoints).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PNG } from 'pngjs';
import { startGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hiddenFields, HttpUser } from '../helpers/http-client.js';
import { PASSWORD } from '../console/support.js';

let gh: TestGatehouse;
let user: HttpUser;
let csrf: string;

function multipart(parts: { name: string; value: string | Buffer; filename?: string; type?: string }[], boundary = 'gatehouse-test-boundary'): { body: Buffer; type: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`));
    chunks.push(Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

async function upload(body: Buffer, type: string): Promise<Response> {
  return fetch(`${gh.url}/account/avatar`, { method: 'POST', redirect: 'manual', headers: { 'content-type': type, cookie: user.jar.header() }, body });
}

const smallPng = () => {
  const png = new PNG({ width: 8, height: 8 });
  png.data.fill(90);
  return PNG.sync.write(png);
};

describe('picture uploads', () => {
  beforeAll(async () => {
    gh = await startGatehouse();
    await gh.createUser('uma', PASSWORD);
    user = new HttpUser(gh, 'uma', PASSWORD);
    await user.signIn();
    csrf = hiddenFields(await (await user.get('/account')).text()).csrf!;
  });
  afterAll(async () => {
    await gh?.close();
  });

  test('a PNG with the CSRF token is stored; without the token it is refused', async () => {
    const ok = multipart([{ name: 'csrf', value: csrf }, { name: 'avatar', value: smallPng(), filename: 'a.png', type: 'image/png' }]);
    const res = await upload(ok.body, ok.type);
    expect(res.status).toBe(303);
    expect((await gh.ctx.storage.findUserByLogin('uma'))!.avatarId).toMatch(/^[0-9a-f]{32}$/);
    const forged = multipart([{ name: 'avatar', value: smallPng(), filename: 'a.png', type: 'image/png' }]);
    expect((await upload(forged.body, forged.type)).status).toBe(403);
  });

  test('a file over 5 MB, a missing file, a non-image, and broken or foreign bodies get 4xx, never 5xx', async () => {
    const big = multipart([{ name: 'csrf', value: csrf }, { name: 'avatar', value: Buffer.alloc(5 * 1024 * 1024 + 10, 1), filename: 'big.png', type: 'image/png' }]);
    expect((await upload(big.body, big.type)).status).toBe(400);
    const none = multipart([{ name: 'csrf', value: csrf }]);
    expect((await upload(none.body, none.type)).status).toBe(400);
    const text = multipart([{ name: 'csrf', value: csrf }, { name: 'avatar', value: 'hello', filename: 'a.png', type: 'image/png' }]);
    expect((await upload(text.body, text.type)).status).toBe(400);
    const two = multipart([{ name: 'csrf', value: csrf }, { name: 'avatar', value: smallPng(), filename: 'a.png' }, { name: 'avatar', value: smallPng(), filename: 'b.png' }]);
    expect((await upload(two.body, two.type)).status).toBeLessThan(500);
    for (const [body, type] of [
      [Buffer.from('--x\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nabc'), 'multipart/form-data; boundary=x'],
      [Buffer.from('garbage'), 'multipart/form-data'],
      [Buffer.from('csrf=' + csrf), 'application/x-www-form-urlencoded'],
      [Buffer.from('{}'), 'application/json'],
    ] as const) {
      const res = await upload(body, type);
      expect(res.status, `${type}: ${body.toString().slice(0, 30)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${type}: ${body.toString().slice(0, 30)}`).toBeLessThan(500);
    }
    // Multipart is accepted only where pictures are uploaded.
    const elsewhere = multipart([{ name: 'csrf', value: csrf }, { name: 'login', value: 'uma' }]);
    const res = await fetch(`${gh.url}/login`, { method: 'POST', headers: { 'content-type': elsewhere.type }, body: elsewhere.body });
    expect(res.status).toBe(415);
  });
});
