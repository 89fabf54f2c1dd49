/**
 * The SDK's QR encoder (ISO/IEC 18004, byte mode, level M) read back by an
 * independent decoder, jsQR, across versions 1 to 15: short and long
 * verification links, version information (7+) and several blocks.
 */
import jsQR from 'jsqr';
import { describe, expect, test } from 'vitest';
import { encodeQr, qrToSvg, qrToText } from '../../packages/client/src/qr.js';

/** The modules as an RGBA image, 4 pixels a module, with a 4-module quiet zone. */
function decode(modules: boolean[][]): string | null {
  const scale = 4;
  const n = modules.length + 8;
  const width = n * scale;
  const pixels = new Uint8ClampedArray(width * width * 4).fill(255);
  modules.forEach((row, y) => row.forEach((dark, x) => {
    if (!dark) return;
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const i = (((y + 4) * scale + dy) * width + (x + 4) * scale + dx) * 4;
        pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
      }
    }
  }));
  return jsQR(pixels, width, width)?.data ?? null;
}

describe('QR codes of the SDK', () => {
  const link = 'https://id.example.org/device?user_code=ABCD-EFGH';
  test.each([
    ['a short link (version 4)', link, 33],
    ['one character (version 1)', 'A', 21],
    ['a link with a long host (version 6)', `https://${'gatehouse.'.repeat(4)}example.org/device?user_code=WXYZ-2345`, 41],
    ['120 characters (version 7, version information)', 'x'.repeat(120), 45],
    ['300 characters (version 13, several blocks)', 'https://example.org/?' + 'q'.repeat(279), 69],
    ['UTF-8 text', 'Вход в Gatehouse: код ABCD-EFGH', null],
  ])('%s decodes to the same text', (_name, text, size) => {
    const modules = encodeQr(text);
    if (size !== null) expect(modules.length).toBe(size);
    expect(decode(modules)).toBe(text);
  });

  test('terminal text is two module rows a line with a quiet zone; SVG is one path on white', () => {
    const modules = encodeQr(link);
    const lines = qrToText(modules).split('\n');
    expect(lines).toHaveLength(Math.ceil((modules.length + 4) / 2));
    expect(lines.every((l) => [...l].length === modules.length + 4 && /^[█▀▄ ]+$/.test(l))).toBe(true);
    const svg = qrToSvg(modules);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 41 41"[^>]*><rect width="41" height="41" fill="#fff"\/><path d="M4,4h1v1h-1z/);
  });
});
