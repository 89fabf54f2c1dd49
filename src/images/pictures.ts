/**
 * Uploaded pictures (avatars, app icons) turned into the square PNGs Gatehouse
 * serves, in pure JavaScript: `pngjs` and `jpeg-js` decode and encode, and the
 * resampling below is our own, so installing needs no native module and no
 * download. Every upload is decoded and drawn again from its pixels, so
 * nothing of the uploaded file (metadata, scripts in an SVG, a polyglot) is
 * ever served back.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '../errors.js';
import { AVATAR_SIZES, checkPictureHeader, checkSize, ICON_SIZE, isJpeg, isPng, MAX_MEGAPIXELS, type Pixels } from './picture-limits.js';

export * from './picture-limits.js';

/** Decodes a PNG or JPEG upload; anything else is refused. */
export function decodePicture(file: Buffer): Pixels {
  checkPictureHeader(file);
  try {
    if (isPng(file)) {
      const png = PNG.sync.read(file);
      checkSize(png.width, png.height);
      return { width: png.width, height: png.height, data: png.data };
    }
    if (isJpeg(file)) {
      // A JPEG whose frame header the scan above did not find is still bounded by jpeg-js itself.
      const decoded = jpeg.decode(file, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 256 });
      checkSize(decoded.width, decoded.height);
      return applyExifOrientation({ width: decoded.width, height: decoded.height, data: decoded.data }, exifOrientation(file));
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError('the picture could not be read: upload a PNG or JPEG file');
  }
  throw new InputError('upload a PNG or JPEG picture');
}

/**
 * The EXIF orientation of a JPEG (1 when absent): phones store photos
 * sideways and say so here, and a portrait must not come out lying down.
 */
export function exifOrientation(file: Buffer): number {
  let at = 2;
  while (at + 4 < file.length && file[at] === 0xff) {
    const marker = file[at + 1]!;
    const length = file.readUInt16BE(at + 2);
    if (marker === 0xe1 && file.toString('latin1', at + 4, at + 10) === 'Exif\0\0') {
      const tiff = at + 10;
      const little = file.toString('latin1', tiff, tiff + 2) === 'II';
      const u16 = (o: number) => (little ? file.readUInt16LE(o) : file.readUInt16BE(o));
      const u32 = (o: number) => (little ? file.readUInt32LE(o) : file.readUInt32BE(o));
      if (tiff + 8 > file.length) return 1;
      const ifd = tiff + u32(tiff + 4);
      if (ifd + 2 > file.length) return 1;
      const entries = u16(ifd);
      for (let i = 0; i < entries; i++) {
        const entry = ifd + 2 + i * 12;
        if (entry + 12 > file.length) return 1;
        if (u16(entry) === 0x0112) {
          const value = u16(entry + 8);
          return value >= 1 && value <= 8 ? value : 1;
        }
      }
      return 1;
    }
    if (marker === 0xda) return 1; // start of scan: no more metadata
    at += 2 + length;
  }
  return 1;
}

/** Turns the pixels upright for EXIF orientations 2–8 (mirrors and quarter turns). */
function applyExifOrientation(p: Pixels, orientation: number): Pixels {
  if (orientation <= 1) return p;
  const swap = orientation >= 5;
  const width = swap ? p.height : p.width;
  const height = swap ? p.width : p.height;
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < p.height; y++) {
    for (let x = 0; x < p.width; x++) {
      let nx: number;
      let ny: number;
      switch (orientation) {
        case 2: nx = p.width - 1 - x; ny = y; break;
        case 3: nx = p.width - 1 - x; ny = p.height - 1 - y; break;
        case 4: nx = x; ny = p.height - 1 - y; break;
        case 5: nx = y; ny = x; break;
        case 6: nx = p.height - 1 - y; ny = x; break;
        case 7: nx = p.height - 1 - y; ny = p.width - 1 - x; break;
        default: nx = y; ny = p.width - 1 - x; break;
      }
      out.set(p.data.subarray((y * p.width + x) * 4, (y * p.width + x) * 4 + 4), (ny * width + nx) * 4);
    }
  }
  return { width, height, data: out };
}

/** For each output pixel along one axis, the source pixels it covers and by how much (area averaging). */
function weights(srcStart: number, srcLength: number, outLength: number): { index: number[]; weight: number[] }[] {
  const scale = srcLength / outLength;
  const out: { index: number[]; weight: number[] }[] = [];
  for (let i = 0; i < outLength; i++) {
    // Enlarging covers less than one source pixel: widen to one so the result is smooth, not blocky.
    const centre = (i + 0.5) * scale;
    const half = Math.max(scale, 1) / 2;
    const from = Math.max(0, centre - half);
    const to = Math.min(srcLength, centre + half);
    const index: number[] = [];
    const weight: number[] = [];
    let total = 0;
    for (let s = Math.floor(from); s < Math.ceil(to); s++) {
      const w = Math.min(to, s + 1) - Math.max(from, s);
      if (w <= 0) continue;
      index.push(srcStart + s);
      weight.push(w);
      total += w;
    }
    out.push({ index, weight: weight.map((w) => w / total) });
  }
  return out;
}

/**
 * The centre square of the picture, scaled to `size` × `size` by averaging
 * the area each output pixel covers (with premultiplied alpha, so transparent
 * edges do not darken).
 */
export function squareThumbnail(p: Pixels, size: number): Pixels {
  const side = Math.min(p.width, p.height);
  const x0 = Math.floor((p.width - side) / 2);
  const y0 = Math.floor((p.height - side) / 2);
  const cols = weights(x0, side, size);
  const rows = weights(y0, side, size);
  // Pass 1: each source row of the square, resampled horizontally (premultiplied RGBA as floats).
  const mid = new Float32Array(side * size * 4);
  for (let y = 0; y < side; y++) {
    const srcRow = (y0 + y) * p.width;
    for (let x = 0; x < size; x++) {
      const { index, weight } = cols[x]!;
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = 0; k < index.length; k++) {
        const o = (srcRow + index[k]!) * 4;
        const alpha = p.data[o + 3]! * weight[k]!;
        r += p.data[o]! * alpha;
        g += p.data[o + 1]! * alpha;
        b += p.data[o + 2]! * alpha;
        a += alpha;
      }
      const o = (y * size + x) * 4;
      mid[o] = r; mid[o + 1] = g; mid[o + 2] = b; mid[o + 3] = a;
    }
  }
  // Pass 2: vertically, then back from premultiplied.
  const out = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    const { index, weight } = rows[y]!;
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = 0; k < index.length; k++) {
        const o = ((index[k]! - y0) * size + x) * 4;
        const w = weight[k]!;
        r += mid[o]! * w; g += mid[o + 1]! * w; b += mid[o + 2]! * w; a += mid[o + 3]! * w;
      }
      const o = (y * size + x) * 4;
      if (a > 0) {
        out[o] = Math.round(r / a); out[o + 1] = Math.round(g / a); out[o + 2] = Math.round(b / a);
      }
      out[o + 3] = Math.round(a);
    }
  }
  return { width: size, height: size, data: out };
}

export function encodePng(p: Pixels): Buffer {
  const png = new PNG({ width: p.width, height: p.height });
  png.data = Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  return PNG.sync.write(png);
}

/** Every avatar size of an upload, as PNGs by size name. */
export function avatarVariants(file: Buffer): Map<string, Buffer> {
  const pixels = decodePicture(file);
  return new Map(Object.entries(AVATAR_SIZES).map(([name, size]) => [name, encodePng(squareThumbnail(pixels, size))]));
}

/** An app icon from an upload: one square PNG. */
export function iconPng(file: Buffer): Buffer {
  return encodePng(squareThumbnail(decodePicture(file), ICON_SIZE));
}

/**
 * The picture of an account without an avatar (Yandex's id `0/0-0`): a
 * neutral head and shoulders, drawn once per size.
 */
export function placeholderAvatar(size: number): Buffer {
  const data = new Uint8Array(size * size * 4);
  const s = size;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const fx = (x + 0.5) / s;
      const fy = (y + 0.5) / s;
      const head = (fx - 0.5) ** 2 + (fy - 0.4) ** 2 < 0.17 ** 2;
      const body = ((fx - 0.5) / 0.32) ** 2 + ((fy - 1.0) / 0.3) ** 2 < 1;
      const o = (y * s + x) * 4;
      const [r, g, b] = head || body ? [0xf4, 0xf5, 0xf8] : [0xa2, 0xa8, 0xb6];
      data[o] = r; data[o + 1] = g; data[o + 2] = b; data[o + 3] = 255;
    }
  }
  return encodePng({ width: s, height: s, data });
}
